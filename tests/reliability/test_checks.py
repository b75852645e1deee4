"""The harness's checks catch what they claim to: each tampering below is reported.

A crash test whose checker sees nothing proves nothing; these cases break a desk on
purpose, one way at a time, and expect :func:`check_desk` / :func:`missing_acks` to say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from engine.time.clock import VirtualClock
from storage import SqlStore
from tests.reliability.world import Setup, check_desk, missing_acks, prepare


@pytest.fixture
def desk(tmp_path: Any) -> Iterator[tuple[Setup, VirtualClock, list[int]]]:
    clock = VirtualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    setup = prepare(f"sqlite:///{tmp_path / 'desk.db'}", clock=clock)
    desk, agent = setup.workspace.desk, setup.people["a1"]
    ids = [desk.open("crash", agent, {"summary": f"s{n}"}).id for n in range(3)]
    desk.fire(ids[0], "take", agent)
    desk.fire(ids[1], "take", agent)
    desk.fire(ids[1], "park", agent)
    clock.advance(timedelta(seconds=5))
    assert desk.fire_due() > 0  # wakes ticket 2, parks ticket 1, SLA alarms
    yield setup, clock, ids
    setup.workspace.store.close()


def _sql(setup: Setup, statement: str) -> None:
    store = setup.workspace.store
    assert isinstance(store, SqlStore)
    with store.engine.begin() as connection:
        connection.execute(text(statement))


def test_an_untouched_desk_has_no_problems(desk: tuple[Setup, VirtualClock, list[int]]) -> None:
    setup, _, _ = desk
    assert check_desk(setup.workspace.store) == []  # type: ignore[arg-type]


TAMPERING: dict[str, tuple[str, str]] = {
    "an event lost": ("DELETE FROM events WHERE id = (SELECT max(id) FROM events)",
                      "journal has"),
    "an event edited": ("UPDATE events SET note = 'forged' WHERE seq = 1", "match its hash"),
    "a seq gap": ("UPDATE events SET seq = seq + 10 WHERE seq = 3", "expected"),
    "a state rewritten": ("UPDATE tickets SET state = 'closed' WHERE state = 'working'",
                          "journal says"),
    "a field rewritten": ("UPDATE tickets SET data = '{\"summary\": \"x\", \"rounds\": 9}'",
                          "data"),
    "a timer lost": ("UPDATE timers SET status = 'cancelled' WHERE status = 'pending' "
                     "AND kind = 'timer'", "pending timers for its state"),
    "a timer left armed": ("UPDATE timers SET status = 'pending' WHERE status = 'cancelled' "
                           "AND kind = 'timer'", "pending timers"),
    "a timer fired without its event": (
        "UPDATE timers SET status = 'fired' WHERE status = 'cancelled'", "timers fired but"),
}


@pytest.mark.parametrize("what", sorted(TAMPERING))
def test_each_tampering_is_reported(desk: tuple[Setup, VirtualClock, list[int]],
                                    what: str) -> None:
    setup, _, _ = desk
    statement, expected = TAMPERING[what]
    _sql(setup, statement)
    problems = check_desk(setup.workspace.store)  # type: ignore[arg-type]
    assert problems and any(expected in p for p in problems), problems


def test_an_acknowledged_command_that_is_not_stored_is_reported(
        desk: tuple[Setup, VirtualClock, list[int]]) -> None:
    setup, _, ids = desk
    store: Any = setup.workspace.store
    ticket = store.load_ticket(ids[0])
    good = {"op": "take", "ticket": ticket.id, "seq": ticket.seq, "hash": ticket.head}
    acks: list[dict[str, Any]] = [good, {**good, "seq": ticket.seq + 1}, {"timer": 10_000}]
    found = missing_acks(store, acks)
    assert len(found) == 2 and "not in the journal" in found[0] and "timer 10000" in found[1]


