"""Timers: armed and cancelled with a change, fired at most once, found when due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.core.errors import Conflict, NotFound
from storage import SqlStore
from tests.storage.samples import NOW, opening, step, ticket, timer


def test_timers_are_armed_and_listed_earliest_first(deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket()))
    deployed.apply(step(opened, dest="received", arm=[
        timer(opened.id, state="received", minutes=30, trigger="late"),
        timer(opened.id, state="received", minutes=10, kind="sla_warning")]))
    pending = deployed.pending_timers(opened.id)
    assert [(t.trigger, t.kind, t.due_at) for t in pending] == [
        ("expire", "sla_warning", NOW + timedelta(minutes=10)),
        ("late", "timer", NOW + timedelta(minutes=30))]
    assert all(t.id is not None and t.status == "pending" for t in pending)


def test_leaving_a_state_cancels_only_its_pending_timers(deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket(), timers=[
        timer(0, state="submitted", minutes=5), timer(0, state="elsewhere", minutes=6)]))
    change = step(opened, dest="received", cancel_states=["submitted"],
                  arm=[timer(opened.id, state="received", minutes=7)])
    deployed.apply(change)
    assert [t.state for t in deployed.pending_timers(opened.id)] == ["elsewhere", "received"]


def test_re_entering_a_state_cancels_the_old_timer_and_keeps_the_new(
        deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket(), timers=[timer(0, state="submitted",
                                                                  minutes=5)]))
    deployed.apply(step(opened, dest="submitted", cancel_states=["submitted"],
                        arm=[timer(opened.id, state="submitted", minutes=50)]))
    [left] = deployed.pending_timers(opened.id)
    assert left.due_at == NOW + timedelta(minutes=50)


def test_a_timer_fires_once_and_a_second_firing_is_a_conflict(deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket(), timers=[timer(0, state="submitted",
                                                                  minutes=5)]))
    [due] = deployed.due_timers(NOW + timedelta(minutes=5), 10)
    fired = step(opened, dest="closed", fired_timer=due.id, cancel_states=["submitted"])
    deployed.apply(fired)
    assert deployed.pending_timers(opened.id) == []
    with pytest.raises(Conflict, match="already fired"):
        deployed.apply(step(fired.ticket, dest="again", fired_timer=due.id))
    stored = deployed.load_ticket(opened.id)
    assert (stored.state, stored.version) == ("closed", 2)
    assert len(deployed.events(opened.id)) == 2


def test_due_timers_are_pending_due_by_now_earliest_first(deployed: SqlStore) -> None:
    first = deployed.open_ticket(opening(ticket(), timers=[
        timer(0, state="submitted", minutes=20), timer(0, state="submitted", minutes=-5)]))
    second = deployed.open_ticket(opening(ticket(), timers=[
        timer(0, state="submitted", minutes=10), timer(0, state="submitted", minutes=90)]))
    due = deployed.due_timers(NOW + timedelta(minutes=20), 10)
    assert [(t.ticket_id, t.due_at - NOW) for t in due] == [
        (first.id, timedelta(minutes=-5)), (second.id, timedelta(minutes=10)),
        (first.id, timedelta(minutes=20))]
    assert len(deployed.due_timers(NOW + timedelta(minutes=20), 2)) == 2
    deployed.apply(step(first, dest="received", cancel_states=["submitted"]))
    assert [t.ticket_id for t in deployed.due_timers(NOW + timedelta(days=1), 10)] == [
        second.id, second.id]


def test_timers_of_a_missing_ticket_are_not_found(deployed: SqlStore) -> None:
    with pytest.raises(NotFound):
        deployed.pending_timers(404)
