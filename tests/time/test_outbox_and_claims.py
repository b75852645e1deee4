"""The store's part of time: SLA timers cancelled by kind, the outbox, claims of due timers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from engine.core.model import Notification
from storage import SqlStore, open_store
from tests.storage.samples import NOW, opening, step, ticket, timer, version


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    with open_store(store_url) as opened:
        opened.save_version(version())
        yield opened


def test_a_change_cancels_pending_timers_of_a_kind_only(store: SqlStore) -> None:
    opened = store.open_ticket(opening(ticket(), timers=[
        timer(0, state="submitted", minutes=5, trigger="desk", kind="sla_breach"),
        timer(0, state="submitted", minutes=4, trigger="desk", kind="sla_warning"),
        timer(0, state="submitted", minutes=9)]))
    store.apply(step(opened, dest="submitted", cancel_kinds=["sla_warning", "sla_breach"],
                     arm=[timer(opened.id, state="submitted", minutes=50, trigger="desk",
                                kind="sla_breach")]))
    assert [(t.kind, t.due_at - NOW) for t in store.pending_timers(opened.id)] == [
        ("timer", timedelta(minutes=9)), ("sla_breach", timedelta(minutes=50))]


def test_notifications_are_written_with_the_change_and_read_per_post(store: SqlStore) -> None:
    opened = store.open_ticket(opening(ticket()))
    notes = [Notification(post=post, ticket_id=opened.id, kind="sla_breach", message=text,
                          at=NOW, details={"clock": "desk"})
             for post, text in (("service_desk", "late"), ("response_group", "yours now"),
                                ("service_desk", "later"))]
    store.apply(step(opened, dest="received", notifications=notes))
    desk = store.notifications("service_desk")
    assert [(n.message, n.details, n.at) for n in desk] == [
        ("late", {"clock": "desk"}, NOW), ("later", {"clock": "desk"}, NOW)]
    assert [n.message for n in store.notifications("service_desk", after=desk[0].id)] == [
        "later"]
    assert len(store.notifications(None)) == 3


def test_a_refused_change_writes_no_notification(store: SqlStore) -> None:
    opened = store.open_ticket(opening(ticket()))
    store.apply(step(opened, dest="received"))
    stale = step(opened, dest="closed", notifications=[Notification(
        post="service_desk", ticket_id=opened.id, kind="sla_breach", message="x", at=NOW)])
    with pytest.raises(Exception, match="changed by someone else"):
        store.apply(stale)
    assert store.notifications(None) == []


def test_claims_hand_each_due_timer_to_one_worker_until_the_lease_ends(
        store: SqlStore) -> None:
    for minutes in (3, 1, 2, 60):
        store.open_ticket(opening(ticket(), timers=[timer(0, state="submitted",
                                                          minutes=minutes)]))
    lease = timedelta(minutes=5)
    first = store.claim_due_timers(NOW + timedelta(minutes=10), 2, worker="a", lease=lease)
    second = store.claim_due_timers(NOW + timedelta(minutes=10), 5, worker="b", lease=lease)
    assert [t.due_at - NOW for t in first] == [timedelta(minutes=1), timedelta(minutes=2)]
    assert [t.due_at - NOW for t in second] == [timedelta(minutes=3)]
    later = NOW + timedelta(minutes=16)  # a's lease ran out: a died, its timers are free
    assert [t.due_at - NOW for t in store.claim_due_timers(later, 5, worker="c", lease=lease)
            ] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=3)]


def test_a_ticket_s_timers_are_claimed_one_at_a_time_in_due_order(store: SqlStore) -> None:
    first = store.open_ticket(opening(ticket(), timers=[
        timer(0, state="submitted", minutes=m, trigger=f"t{m}") for m in (2, 1)]))
    other = store.open_ticket(opening(ticket(), timers=[timer(0, state="submitted", minutes=3)]))
    later, lease = NOW + timedelta(minutes=10), timedelta(minutes=5)
    claimed = store.claim_due_timers(later, 10, worker="a", lease=lease)
    assert [(t.ticket_id, t.trigger) for t in claimed] == [(first.id, "t1"),
                                                           (other.id, "expire")]
    assert store.claim_due_timers(later, 10, worker="b", lease=lease) == []
    store.apply(step(first, dest="submitted", fired_timer=claimed[0].id))
    assert [t.trigger for t in store.claim_due_timers(later, 10, worker="b", lease=lease)] == [
        "t2"]


def test_changes_applied_together_each_stand_or_fall_alone(store: SqlStore) -> None:
    """A worker applies a batch of firings in one transaction: the one made from a ticket
    that changed meanwhile is refused, the others are committed, events and timers alike."""
    opened = [store.open_ticket(opening(ticket(), timers=[timer(0, state="submitted",
                                                                minutes=5)]))
              for _ in range(4)]
    timers = {t.ticket_id: t for t in store.pending_timers_between(opened[0].id, opened[-1].id)}
    read = store.load_tickets([t.id for t in opened] + [10_000])
    assert sorted(read) == [t.id for t in opened]  # a missing id is left out
    store.apply(step(read[opened[2].id], dest="received", trigger="agent"))  # meanwhile
    refused = store.apply_all([step(read[t.id], dest="closed", trigger="expire",
                                    fired_timer=timers[t.id].id, cancel_states=["submitted"])
                               for t in opened])
    assert [type(error).__name__ if error else None for error in refused] == [
        None, None, "Conflict", None]
    assert [store.load_ticket(t.id).state for t in opened] == [
        "closed", "closed", "received", "closed"]
    assert [[e.trigger for e in store.events(t.id)] for t in opened] == [
        [None, "expire"], [None, "expire"], [None, "agent"], [None, "expire"]]
    assert [len(store.pending_timers(t.id)) for t in opened] == [0, 0, 1, 0]
    assert store.apply_all([]) == []


def test_a_change_the_database_refuses_does_not_hold_the_others_back(store: SqlStore) -> None:
    """A row the database refuses (an event seq taken) fails its change alone: on SQLite
    its savepoint is rolled back, on PostgreSQL the pipelined batch is sent again one by one."""
    opened = [store.open_ticket(opening(ticket())) for _ in range(3)]
    changes = [step(t, dest="received") for t in opened]
    clash = changes[1]
    changes[1] = replace(clash, events=[replace(clash.events[0], seq=1)])
    refused = store.apply_all(changes)
    assert [type(error).__name__ if error else None for error in refused] == [
        None, "Conflict", None]
    assert [store.load_ticket(t.id).state for t in opened] == [
        "received", "submitted", "received"]
    assert [len(store.events(t.id)) for t in opened] == [2, 1, 2]
