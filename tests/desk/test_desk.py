"""The desk service on every backend: opening, firing, refusals, timers, children."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from engine.core.errors import (
    AuthenticationFailed,
    Conflict,
    Forbidden,
    GuardFailed,
    InvalidTrigger,
    MissingField,
    NotFound,
    TicketflowError,
)
from engine.core.journal import GENESIS, compute_hash
from engine.core.model import Change, TicketQuery
from engine.desk.desk import Desk
from engine.process.load import load_process
from tests.desk.conftest import ROOT, DeskWorld, build_world


def mini(world: DeskWorld, **data: object) -> int:
    ticket = world.desk.open("mini", world.people["ann"], {"summary": "printer", **data})
    return ticket.id


def assert_chain(world: DeskWorld, ticket_id: int) -> None:
    events = world.desk.history(ticket_id)
    previous = GENESIS
    for number, event in enumerate(events, start=1):
        assert (event.seq, event.prev_hash, event.hash) == (number, previous, compute_hash(event))
        previous = event.hash
    assert world.desk.ticket(ticket_id).head == previous


def test_open_applies_defaults_types_and_seals_the_first_event(world: DeskWorld) -> None:
    ticket = world.desk.open("mini", world.people["ann"], {"summary": "x", "level": "2"})
    assert (ticket.state, ticket.post, ticket.data["level"], ticket.data["returns"]) == (
        "submitted", "service_desk", 2, 0)
    [event] = world.desk.history(ticket.id)
    assert (event.kind, event.actor, event.dest, event.ticket_id) == ("open", "ann",
                                                                      "submitted", ticket.id)
    assert_chain(world, ticket.id)


@pytest.mark.parametrize("data, message", [
    ({}, "required field 'summary'"),
    ({"summary": "x", "level": 9}, "at most 4"),
    ({"summary": "x", "level": "two"}, "expected an integer"),
    ({"summary": "x", "colour": "red"}, "'colour' cannot be given"),
])
def test_open_refuses_bad_data(world: DeskWorld, data: dict[str, object], message: str) -> None:
    with pytest.raises(MissingField, match=message):
        world.desk.open("mini", world.people["ann"], data)
    assert world.desk.tickets(TicketQuery()) == []


def test_open_needs_a_working_role_and_a_known_process(world: DeskWorld) -> None:
    with pytest.raises(Forbidden):
        world.desk.open("mini", world.people["aud"], {"summary": "x"})
    with pytest.raises(NotFound):
        world.desk.open("nonesuch", world.people["ann"], {"summary": "x"})


def test_firing_moves_post_assignee_and_journals_changes(world: DeskWorld) -> None:
    ann, hal = world.people["ann"], world.people["hal"]
    ticket_id = mini(world, level=1)
    world.desk.fire(ticket_id, "receive", ann)
    world.desk.claim(ticket_id, ann)
    moved = world.desk.fire(ticket_id, "dispatch", ann)
    assert (moved.state, moved.post, moved.assignee) == ("handling", "handling_group", None)
    back = world.desk.fire(ticket_id, "return_to_desk", hal)
    assert (back.state, back.data["returns"]) == ("received", 1)
    last = world.desk.history(ticket_id)[-1]
    assert last.changes == {"_post": ["handling_group", "service_desk"], "returns": [0, 1]}
    assert (last.source, last.dest, last.trigger) == ("handling", "received", "return_to_desk")
    assert_chain(world, ticket_id)


def test_refusals_change_nothing(world: DeskWorld) -> None:
    ann, hal = world.people["ann"], world.people["hal"]
    ticket_id = mini(world)
    before = world.desk.ticket(ticket_id)
    with pytest.raises(InvalidTrigger):
        world.desk.fire(ticket_id, "resolve", ann)
    with pytest.raises(Forbidden, match="post"):
        world.desk.fire(ticket_id, "receive", hal)
    with pytest.raises(Forbidden, match="role"):
        world.desk.fire(ticket_id, "receive", world.people["aud"])
    with pytest.raises(InvalidTrigger):
        world.desk.fire(ticket_id, "no_such_trigger", ann)
    after = world.desk.ticket(ticket_id)
    assert (after.version, after.seq, after.state) == (before.version, before.seq, before.state)


def test_required_fields_and_guards(world: DeskWorld) -> None:
    ann, hal = world.people["ann"], world.people["hal"]
    ticket_id = mini(world)
    world.desk.fire(ticket_id, "receive", ann)
    world.desk.fire(ticket_id, "dispatch", ann)
    with pytest.raises(MissingField, match="resolution"):
        world.desk.fire(ticket_id, "resolve", hal)
    with pytest.raises(MissingField, match="cannot be given"):
        world.desk.fire(ticket_id, "resolve", hal, data={"resolution": "x", "level": 2})
    done = world.desk.fire(ticket_id, "resolve", hal, data={"resolution": "replaced toner"})
    assert (done.state, done.is_open, done.data["resolution"]) == ("closed", False,
                                                                   "replaced toner")


def test_a_false_guard_is_refused(world: DeskWorld) -> None:
    ann = world.people["ann"]
    ticket = world.desk.open("service_desk", ann, {"summary": "db down",
                                                   "priority": "critical"})
    world.desk.fire(ticket.id, "receive", ann)
    with pytest.raises(GuardFailed, match="priority"):
        world.desk.fire(ticket.id, "solve_at_desk", ann,
                        data={"knowledge_article": "KB-1", "resolution": "restart"})


def test_stale_version_is_a_conflict(world: DeskWorld) -> None:
    ann = world.people["ann"]
    ticket_id = mini(world)
    world.desk.fire(ticket_id, "receive", ann)
    with pytest.raises(Conflict):
        world.desk.fire(ticket_id, "dispatch", ann, expected_version=1)
    assert world.desk.ticket(ticket_id).state == "received"


def test_two_desks_racing_on_one_ticket_leave_one_winner(world: DeskWorld) -> None:
    ann = world.people["ann"]
    ticket_id = mini(world)
    other = Desk(world.workspace.store, world.clock)
    stale = world.desk.ticket(ticket_id)
    world.desk.fire(ticket_id, "receive", ann)
    change = other._plan_fire(other.compiled(stale.digest), stale, "receive", ann, {}, None,
                              world.clock.now(), None)
    with pytest.raises(Conflict):
        world.workspace.store.apply(change)
    assert [e.trigger for e in world.desk.history(ticket_id)] == [None, "receive"]
    assert_chain(world, ticket_id)


def test_events_comments_and_assignment(world: DeskWorld) -> None:
    ann, sue, aud = world.people["ann"], world.people["sue"], world.people["aud"]
    ticket_id = mini(world)
    with pytest.raises(MissingField):
        world.desk.record(ticket_id, "complaint", ann)
    world.desk.record(ticket_id, "complaint", ann, note="too slow")
    world.desk.record(ticket_id, "comment", sue, note="looking into it")
    with pytest.raises(Forbidden):
        world.desk.record(ticket_id, "comment", aud, note="auditors only read")
    with pytest.raises(Forbidden, match="post"):
        world.desk.assign(ticket_id, "hal", sue)
    assert world.desk.assign(ticket_id, "ann", sue).assignee == "ann"
    kinds = [(e.kind, e.trigger) for e in world.desk.history(ticket_id)]
    assert kinds[1:] == [("event", "complaint"), ("event", "comment"), ("assign", "assign")]


def test_an_account_acts_only_on_tickets_it_may_read(world: DeskWorld) -> None:
    ann, hal = world.people["ann"], world.people["hal"]
    ticket = world.desk.open("service_desk", ann, {"summary": "printer jams"})
    refusals: list[Callable[[], object]] = [
        lambda: world.desk.record(ticket.id, "comment", hal, note="seen it"),
        lambda: world.desk.fire(ticket.id, "receive", hal),
        lambda: world.desk.claim(ticket.id, hal)]
    for refused in refusals:
        with pytest.raises(Forbidden, match="'hal' may not read this ticket"):
            refused()
    assert [e.kind for e in world.desk.history(ticket.id)] == ["open"]
    assert world.desk.record(ticket.id, "comment", ann, note="mine").version == 2
    # a step the process opens to every post (posts: ["*"]) is the process's grant
    world.desk.deploy([load_process(ROOT / "tests/flows/family/child.yaml")],
                      world.people["root"])
    child = world.desk.open("child", ann, {"summary": "x"})
    assert world.desk.fire(child.id, "close", hal).state == "closed"
    with pytest.raises(InvalidTrigger):  # a race lost on a granted step: not possible now
        world.desk.fire(child.id, "close", hal)


def test_timers_fire_as_the_system_after_their_delay(world: DeskWorld) -> None:
    ann = world.people["ann"]
    ticket_id = mini(world)
    world.desk.fire(ticket_id, "receive", ann)
    [timer] = world.desk.timers(ticket_id)
    assert (timer.trigger, timer.due_at) == ("expire", world.clock.now() + timedelta(days=1))
    world.clock.advance(timedelta(hours=23))
    assert world.desk.fire_due() == 2  # only the SLA warning and breach of received (PT1H)
    world.clock.advance(timedelta(hours=2))
    assert world.desk.fire_due() == 1
    ticket = world.desk.ticket(ticket_id)
    last = world.desk.history(ticket_id)[-1]
    assert (ticket.state, last.kind, last.actor) == ("closed", "timer", "system")
    assert last.details["due_at"] == timer.due_at.isoformat()
    assert world.desk.timers(ticket_id) == [] and world.desk.fire_due() == 0


def test_fire_due_fires_in_batches_what_one_by_one_firing_did(
        world: DeskWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several tickets each with an SLA warning, a breach and a timeout due: fire_due
    commits them batch by batch (one timer per ticket in each) and every journal, hash
    for hash, and every ticket row is what firing each timer alone in due order gave."""
    alone = build_world(f"sqlite:///{tmp_path / 'alone.db'}")
    for desk_world in (world, alone):
        for number in range(5):
            desk_world.desk.fire(mini(desk_world, level=number % 4 + 1), "receive",
                                 desk_world.people["ann"])
        desk_world.clock.advance(timedelta(hours=25))
    batches: list[int] = []
    apply_all = world.desk.store.apply_all

    def counted(changes: list[Change]) -> list[TicketflowError | None]:
        batches.append(len(changes))
        return apply_all(changes)

    monkeypatch.setattr(world.desk.store, "apply_all", counted)
    one_by_one = sum(alone.desk.fire_timer(timer)
                     for timer in alone.desk.store.due_timers(alone.clock.now(), 100))
    assert world.desk.fire_due() == one_by_one == 15
    assert batches == [5, 5, 5]
    for ticket_id in range(1, 6):
        assert world.desk.history(ticket_id) == alone.desk.history(ticket_id)
        assert vars(world.desk.ticket(ticket_id)) == vars(alone.desk.ticket(ticket_id))
        assert_chain(world, ticket_id)
    assert world.desk.ticket(1).state == "closed" and world.desk.fire_due() == 0


def test_a_batch_does_not_count_a_timer_another_worker_fired_first(
        world: DeskWorld) -> None:
    for _ in range(3):
        world.desk.fire(mini(world), "receive", world.people["ann"])
    world.clock.advance(timedelta(minutes=50))  # each ticket's SLA warning is due
    due = world.desk.store.due_timers(world.clock.now(), 100)
    assert sorted(timer.ticket_id for timer in due) == [1, 2, 3]
    assert world.desk.fire_timer(due[0])  # another worker, first
    assert world.desk.fire_together(due) == 2
    assert all(len(world.desk.history(ticket_id)) == 3 for ticket_id in (1, 2, 3))


def test_leaving_a_state_cancels_its_timers(world: DeskWorld) -> None:
    ann = world.people["ann"]
    ticket_id = mini(world)
    world.desk.fire(ticket_id, "receive", ann)
    world.desk.fire(ticket_id, "dispatch", ann)
    world.clock.advance(timedelta(days=2))
    world.desk.fire_due()
    assert [t for t in world.desk.timers(ticket_id) if t.trigger == "expire"] == []
    assert world.desk.ticket(ticket_id).state == "handling"


def test_a_child_process_reports_back_to_its_parent(world: DeskWorld) -> None:
    ann, hal, sue = world.people["ann"], world.people["hal"], world.people["sue"]
    parent = world.desk.open("service_desk", ann, {"summary": "router"}).id
    world.desk.fire(parent, "receive", ann)
    world.desk.fire(parent, "dispatch", ann, data={"assigned_group": "hardware_platform"})
    world.desk.fire(parent, "accept", hal)
    world.desk.fire(parent, "request_vendor_access", hal,
                    data={"vendor_name": "Acme", "vendor_rights": "read_only"})
    [child] = world.desk.tickets(TicketQuery(parent_id=parent))
    assert (child.process, child.data["vendor_name"], child.data["rights"]) == (
        "vendor_access", "Acme", "read_only")
    assert child.data["summary"] == "Vendor access for: router"
    assert world.desk.ticket(parent).state == "awaiting_vendor"
    world.desk.fire(child.id, "refuse", sue, data={"refusal_reason": "not needed"})
    back = world.desk.ticket(parent)
    last = world.desk.history(parent)[-1]
    assert (back.state, last.trigger, last.actor) == ("handling", "vendor_access_closed",
                                                      "system")


def test_inactive_accounts_cannot_act(world: DeskWorld) -> None:
    root, ann = world.people["root"], world.people["ann"]
    world.workspace.accounts.update(root, "ann", disabled=True)
    with pytest.raises(AuthenticationFailed):
        world.workspace.accounts.login("ann", "Str0ng-pass")
    disabled = world.workspace.store.get_account("ann")
    with pytest.raises(AuthenticationFailed):
        world.desk.open("mini", disabled, {"summary": "x"})
    world.workspace.accounts.update(root, "ann", disabled=False,
                                    expires_at=world.clock.now() + timedelta(hours=1))
    assert world.workspace.accounts.login("ann", "Str0ng-pass").username == ann.username
    world.clock.advance(timedelta(hours=2))
    with pytest.raises(AuthenticationFailed, match="expired"):
        world.workspace.accounts.login("ann", "Str0ng-pass")


def test_account_rules(world: DeskWorld) -> None:
    root = world.people["root"]
    with pytest.raises(Forbidden, match="vendor"):
        world.workspace.accounts.add(root, username="v1", password="Vend0r-pw", roles=["admin"],
                                     post="vendor", vendor=True)
    with pytest.raises(Exception, match="at least two"):
        world.workspace.accounts.add(root, username="v2", password="abcdefgh", roles=["agent"],
                                     post="vendor")
    with pytest.raises(Forbidden):
        world.workspace.accounts.add(world.people["ann"], username="v3", password="Vend0r-pw",
                                     roles=["agent"], post="vendor")
    stored = world.workspace.store.get_account("root")
    assert "Str0ng-pass" not in stored.password_hash and stored.password_hash.startswith(
        "$argon2")


@pytest.mark.parametrize("details", [None, {}, {"due_at": "2026-01-01T00:00:00+00:00"}])
def test_an_event_sealed_in_one_go_is_the_sealed_dataclass(details: dict[str, str] | None
                                                           ) -> None:
    from datetime import UTC, datetime, timezone

    from engine.core.journal import Event, seal, sealed_event

    at = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC).astimezone(
        timezone(timedelta(hours=5)))
    values = dict(ticket_id=7, seq=3, at=at, actor="agent é", kind="fire", trigger="hold",
                  source="handling", dest="pending", changes={"level": [1, 2.5]},
                  digest="d" * 64, note="n\u2028", prev_hash="p" * 64)
    made = sealed_event(**values, details=details)  # type: ignore[arg-type]
    expected = seal(Event(**values, details=details or {}))  # type: ignore[arg-type]
    assert made == expected and list(vars(made).items()) == list(vars(expected).items())
    assert made.hash == compute_hash(made)
