"""Listing tickets: every filter, counts, and keyset pagination both ways."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.core.model import Ticket, TicketQuery
from storage import SqlStore
from tests.storage.samples import NOW, opening, step, ticket, version

DESK, GROUP = "service_desk", "handling_group"


@pytest.fixture
def desk(deployed: SqlStore) -> tuple[SqlStore, list[Ticket]]:
    """Eight tickets across states, posts, assignees, processes, parents and timers."""
    deployed.save_version(version("other", "process: other\n"))
    other = deployed.get_version(version("other", "process: other\n").digest)
    specs: list[dict[str, Any]] = [
        dict(state="submitted", post=DESK), dict(state="received", post=DESK, assignee="ann"),
        dict(state="handling", post=GROUP, assignee="bob"),
        dict(state="handling", post=GROUP),
        dict(state="closed", post=None, is_open=False, assignee="ann"),
        dict(state="submitted", post=DESK, process="other", digest=other.digest),
        dict(state="received", post=DESK, assignee="bob"),
        dict(state="handling", post=GROUP, assignee="ann")]
    tickets = [deployed.open_ticket(opening(ticket(**spec))) for spec in specs]
    deployed.apply(step(tickets[1], dest="received", children=[opening(ticket(state="child"))]))
    tickets.append(deployed.list_tickets(TicketQuery(parent_id=tickets[1].id))[0])
    return deployed, tickets


def ids(store: SqlStore, **filters: object) -> list[int]:
    return [t.id for t in store.list_tickets(TicketQuery(**filters))]  # type: ignore[arg-type]


def positions(tickets: list[Ticket], *indexes: int) -> list[int]:
    return [tickets[i].id for i in indexes]


def test_every_filter(desk: tuple[SqlStore, list[Ticket]]) -> None:
    store, t = desk
    assert ids(store, state="handling") == positions(t, 2, 3, 7)
    assert ids(store, post=GROUP) == positions(t, 2, 3, 7)
    assert ids(store, assignee="ann") == positions(t, 1, 4, 7)
    assert ids(store, process="other") == positions(t, 5)
    assert ids(store, is_open=False) == positions(t, 4)
    assert ids(store, is_open=True, post=DESK) == positions(t, 0, 1, 5, 6, 8)
    assert ids(store, unassigned=True, is_open=True) == positions(t, 0, 3, 5, 8)
    assert ids(store, parent_id=t[1].id) == positions(t, 8)
    assert ids(store, state="handling", assignee="ann") == positions(t, 7)
    assert ids(store) == positions(t, *range(9))


def clock(due_minutes: int | None, *, running: bool = True, breached: bool = False
          ) -> dict[str, Any]:
    """One SLA clock as ``engine.time.sla`` keeps it in ``Ticket.sla``."""
    due = None if due_minutes is None else (NOW + timedelta(minutes=due_minutes)).isoformat()
    return {"post": "service_desk", "started": NOW.isoformat(), "spent": 0.0,
            "since": NOW.isoformat() if running else None, "limit": 600.0, "due": due,
            "warn": None, "warned": breached, "breached": breached}


def test_overdue_tickets_have_an_open_sla_clock_past_its_limit(deployed: SqlStore) -> None:
    def opened(*clocks: dict[str, Any], done: list[dict[str, Any]] | None = None) -> int:
        sla = {"clocks": {f"c{n}": c for n, c in enumerate(clocks)}, "done": done or []}
        return deployed.open_ticket(opening(ticket(sla=sla))).id

    soon = opened(clock(5))
    breached = opened(clock(-1, breached=True))  # the breach timer fired: still counts
    paused = opened(clock(None, running=False, breached=True))  # paused after its breach
    opened(clock(None, running=False))  # paused in time
    opened(done=[{"clock": "c", "breached": True}])  # that clock ended: history
    two = opened(clock(60), clock(-3, breached=True))
    opened()
    assert ids(deployed, overdue_at=NOW) == [breached, paused, two]
    assert ids(deployed, overdue_at=NOW + timedelta(minutes=10)) == [soon, breached, paused,
                                                                    two]
    assert deployed.count_tickets(TicketQuery(overdue_at=NOW)) == 3


def test_counts_ignore_paging(desk: tuple[SqlStore, list[Ticket]]) -> None:
    store, _ = desk
    assert store.count_tickets(TicketQuery()) == 9
    assert store.count_tickets(TicketQuery(post=DESK, limit=1, after=10**6)) == 5
    assert store.count_tickets(TicketQuery(state="nowhere")) == 0


@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_walk_every_ticket_once(desk: tuple[SqlStore, list[Ticket]],
                                            descending: bool) -> None:
    store, t = desk
    seen: list[int] = []
    after = None
    while True:
        page = ids(store, after=after, limit=4, descending=descending)
        if not page:
            break
        assert len(page) <= 4
        seen += page
        after = page[-1]
    expected = [ticket.id for ticket in t]
    assert seen == (sorted(expected, reverse=True) if descending else sorted(expected))


def test_pages_combine_with_filters(desk: tuple[SqlStore, list[Ticket]]) -> None:
    store, t = desk
    assert ids(store, post=DESK, limit=2) == positions(t, 0, 1)
    assert ids(store, post=DESK, limit=2, after=t[1].id) == positions(t, 5, 6)
    assert ids(store, post=DESK, descending=True, after=t[6].id) == positions(t, 5, 1, 0)
    assert ids(store, limit=0) == []


@pytest.fixture
def sorted_desk(deployed: SqlStore) -> tuple[SqlStore, list[Ticket]]:
    """Tickets whose priorities, assignees, SLA due times and states tie and differ."""
    specs: list[dict[str, Any]] = [
        dict(data={"priority": "low"}, assignee="bob", sla={"clocks": {"c": clock(30)}}),
        dict(data={"priority": "critical"}, assignee=None, sla={"clocks": {"c": clock(5)}}),
        dict(data={}, assignee="ann", state="handling"),
        dict(data={"priority": "high"}, assignee="ann",
             sla={"clocks": {"a": clock(50), "b": clock(-2, breached=True)}}),
        dict(data={"priority": "critical"}, assignee="bob", sla={"clocks": {"c": clock(5)}}),
        dict(data={"priority": "odd"}, assignee=None, state="handling")]
    return deployed, [deployed.open_ticket(opening(ticket(**spec))) for spec in specs]


@pytest.mark.parametrize("sort, expected", [
    ("priority", [1, 4, 3, 0, 2, 5]),
    ("sla_due", [3, 1, 4, 0, 2, 5]),
    ("assignee", [1, 5, 2, 3, 0, 4]),
    ("state", [2, 5, 0, 1, 3, 4]),
    ("requester", [0, 1, 2, 3, 4, 5]),
])
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_orders_with_ties_by_id_and_pages_by_id(
        sorted_desk: tuple[SqlStore, list[Ticket]], sort: str, expected: list[int],
        descending: bool) -> None:
    store, t = sorted_desk
    order = positions(t, *expected)
    if descending:
        order.reverse()
    assert ids(store, sort=sort, descending=descending) == order
    walked: list[int] = []
    while page := ids(store, sort=sort, descending=descending, limit=2,
                      after=walked[-1] if walked else None):
        walked += page
    assert walked == order


def test_at_risk_tickets_run_an_sla_clock_past_its_warning_not_its_limit(
        deployed: SqlStore) -> None:
    def opened(record: dict[str, Any]) -> int:
        return deployed.open_ticket(opening(ticket(sla={"clocks": {"c": record}}))).id

    def warned(minutes: int, **flags: Any) -> dict[str, Any]:
        return {**clock(10, **flags), "warn": (NOW + timedelta(minutes=minutes)).isoformat()}

    risky = opened(warned(-1))
    later = opened(warned(3))
    opened(warned(-1, breached=True))
    opened(warned(-1, running=False))
    opened(clock(-5))  # overdue already: not "at risk" any more
    assert ids(deployed, at_risk_at=NOW) == [risky]
    assert ids(deployed, at_risk_at=NOW + timedelta(minutes=4)) == [risky, later]
    assert ids(deployed, at_risk_at=NOW + timedelta(minutes=11)) == []
    assert ids(deployed, states=("submitted", "nowhere")) == [
        t.id for t in deployed.list_tickets(TicketQuery())]


def test_a_count_stops_at_most_where_asked(deployed: SqlStore) -> None:
    for _ in range(5):
        deployed.open_ticket(opening(ticket()))
    query = TicketQuery(is_open=True, words=("printer",))
    assert deployed.count_tickets(query) == 5
    assert deployed.count_tickets(query, at_most=3) == 3
    assert deployed.count_tickets(query, at_most=9) == 5
