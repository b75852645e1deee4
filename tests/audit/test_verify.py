"""Verify catches every change made to the database behind the product's back."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, update

from engine.audit.audit import Audit
from engine.audit.parallel import spans, verify_in_parallel
from engine.audit.verify import Report
from engine.core.errors import Forbidden
from engine.core.journal import GENESIS, Event, seal
from engine.desk.ports import Store
from storage.models import metadata
from tests.audit.conftest import KEY, sql, tour
from tests.desk.conftest import DeskWorld, build_world
from tui.wiring import open_workspace

EVENTS, TICKETS = metadata.tables["events"], metadata.tables["tickets"]


def verify(world: DeskWorld, key: bytes | None = None, tickets: list[int] | None = None
           ) -> Report:
    return Audit(world.workspace.store, world.clock).verify(tickets, key)


def problems(report: Report) -> list[tuple[int | None, int | None, str]]:
    return [(v.ticket, v.seq, v.problem) for v in report.violations]


def write_journal(world: DeskWorld, ticket_id: int, events: list[Event]) -> None:
    """Replace a ticket's journal rows with these events as they are (no rechaining)."""
    with world.workspace.store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(delete(EVENTS).where(EVENTS.c.ticket_id == ticket_id))
        for event in events:
            connection.execute(insert(EVENTS).values(vars(event)))


def rechained(events: list[Event]) -> list[Event]:
    """Events renumbered and rehashed into a consistent chain."""
    result, previous = [], GENESIS
    for seq, event in enumerate(events, start=1):
        event = seal(replace(event, seq=seq, prev_hash=previous))
        result.append(event)
        previous = event.hash
    return result


def set_head(world: DeskWorld, ticket_id: int, events: list[Event]) -> None:
    with world.workspace.store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(update(TICKETS).where(TICKETS.c.id == ticket_id).values(
            seq=events[-1].seq, head=events[-1].hash))


@pytest.fixture
def journal(world: DeskWorld) -> tuple[DeskWorld, int, list[Event]]:
    """The toured world, the id of its longest closed mini ticket and that journal."""
    ids = tour(world)
    ticket_id = ids["mini_done"]
    assert verify(world).ok
    return world, ticket_id, world.desk.history(ticket_id)


def test_a_clean_desk_verifies_with_every_event_counted(world: DeskWorld) -> None:
    ids = tour(world)
    report = verify(world)
    assert report.ok, problems(report)
    assert report.tickets == len(ids) == 6
    assert report.events == sum(len(world.desk.history(t)) for t in ids.values())
    assert report.admin_entries == len(world.workspace.store.admin_entries())
    assert any("no seal yet" in note for note in report.notes)


def test_an_edited_event_is_caught_at_its_seq(journal: tuple[DeskWorld, int, list[Event]]
                                              ) -> None:
    world, ticket_id, _ = journal
    sql(world, "UPDATE events SET actor = 'sue' WHERE ticket_id = :t AND seq = 3", t=ticket_id)
    found = problems(verify(world))
    assert (ticket_id, 3, "its content does not match its hash (edited)") in found


def test_a_deleted_event_is_caught_where_the_chain_breaks(
        journal: tuple[DeskWorld, int, list[Event]]) -> None:
    world, ticket_id, _ = journal
    sql(world, "DELETE FROM events WHERE ticket_id = :t AND seq = 4", t=ticket_id)
    found = problems(verify(world))
    assert (ticket_id, 5, "seq 5 follows seq 3 (events missing or inserted); does not chain to "
            "the entry before it (deleted, inserted or reordered)") in found


def test_a_deleted_last_event_is_caught_by_the_ticket_row(
        journal: tuple[DeskWorld, int, list[Event]]) -> None:
    world, ticket_id, events = journal
    sql(world, "DELETE FROM events WHERE ticket_id = :t AND seq = :s", t=ticket_id,
        s=events[-1].seq)
    found = problems(verify(world))
    assert any(t == ticket_id and "ticket row disagrees" in p and "seq" in p
               for t, _, p in found)


def test_reordered_events_are_caught(journal: tuple[DeskWorld, int, list[Event]]) -> None:
    world, ticket_id, events = journal
    swapped = list(events)
    swapped[2], swapped[3] = (replace(events[3], seq=3), replace(events[2], seq=4))
    write_journal(world, ticket_id, swapped)
    found = problems(verify(world))
    assert {(ticket_id, 3), (ticket_id, 4)} <= {(t, s) for t, s, _ in found}


def test_an_inserted_event_is_caught(journal: tuple[DeskWorld, int, list[Event]]) -> None:
    world, ticket_id, events = journal
    extra = replace(events[2], note="an extra step nobody took")
    shifted = [*events[:3], extra, *(replace(e, seq=e.seq + 1) for e in events[3:])]
    write_journal(world, ticket_id, [replace(e, seq=n) for n, e in enumerate(shifted, 1)])
    found = problems(verify(world))
    assert any(t == ticket_id and s == 4 for t, s, _ in found)


def test_a_forged_but_well_chained_illegal_step_is_caught_by_replanning(
        journal: tuple[DeskWorld, int, list[Event]]) -> None:
    world, ticket_id, _ = journal
    # ticket 'mini_open' sits in handling; the auditor "resolves" it, chained perfectly
    open_id = ticket_id + 2
    history = world.desk.history(open_id)
    forged = seal(Event(
        ticket_id=open_id, seq=history[-1].seq + 1, at=world.clock.now(), actor="aud",
        kind="fire", trigger="resolve", source="handling", dest="closed",
        changes={"resolution": [None, "made up"], "_post": ["handling_group", None]},
        digest=history[-1].digest, prev_hash=history[-1].hash))
    write_journal(world, open_id, [*history, forged])
    set_head(world, open_id, [*history, forged])
    found = problems(verify(world))
    assert any(t == open_id and s == forged.seq and "needs the role agent" in p
               for t, s, p in found), found


def test_a_recorded_change_the_transition_does_not_make_is_caught(
        journal: tuple[DeskWorld, int, list[Event]]) -> None:
    world, ticket_id, events = journal
    target = next(e for e in events if e.trigger == "return_to_desk")
    changes = {**target.changes, "returns": [0, 5]}
    rewritten = rechained([replace(e, changes=changes) if e is target else e for e in events])
    write_journal(world, ticket_id, rewritten)
    set_head(world, ticket_id, rewritten)
    found = problems(verify(world))
    assert any(t == ticket_id and s == target.seq and "'returns'" in p for t, s, p in found)


def test_a_consistently_rewritten_chain_is_caught_only_against_the_seal(
        journal: tuple[DeskWorld, int, list[Event]]) -> None:
    world, ticket_id, events = journal
    Audit(world.workspace.store, world.clock).seal(world.people["aud"], KEY)
    rewritten = rechained([events[0], replace(events[1], note="nothing to see"), *events[2:]])
    write_journal(world, ticket_id, rewritten)
    set_head(world, ticket_id, rewritten)
    unkeyed = verify(world)
    assert unkeyed.ok and any("not checked: no seal key" in n for n in unkeyed.notes)
    found = problems(verify(world, KEY))
    assert [(t, p) for t, _, p in found if "differs from the seal" in p] == [
        (ticket_id, found[0][2])]


def test_a_seal_made_with_another_key_is_noted_not_trusted(world: DeskWorld) -> None:
    """Not trusted: a key that checks no seal at all fails, as the genuine seals may have
    been replaced by a forger's (issue 13)."""
    tour(world)
    Audit(world.workspace.store, world.clock).seal(world.people["root"], KEY)
    report = verify(world, b"some other key, also 16+ bytes")
    assert any("another key" in note for note in report.notes)
    assert problems(report) == [(None, None, "no seal made with this key is in the admin "
                                 "journal: none was made yet, or every one was removed")]
    Audit(world.workspace.store, world.clock).seal(world.people["root"],
                                                   b"some other key, also 16+ bytes")
    assert verify(world, b"some other key, also 16+ bytes").ok


def test_an_altered_seal_fails_its_signature(world: DeskWorld) -> None:
    tour(world)
    entry = Audit(world.workspace.store, world.clock).seal(world.people["aud"], KEY)
    sql(world, "UPDATE admin_journal SET details = :d WHERE seq = :s", s=entry.seq,
        d=__import__("json").dumps({**entry.details, "tickets": 1}))
    found = problems(verify(world, KEY))
    assert (None, entry.seq, "seal: its signature does not match its content (the seal was "
            "altered)") in found
    assert (None, entry.seq, "its content does not match its hash (edited)") in found


def test_accounts_admin_entries_and_versions_changed_behind_its_back_are_caught(
        world: DeskWorld) -> None:
    tour(world)
    sql(world, "UPDATE accounts SET roles = :r WHERE username = 'ann'", r='["admin","agent"]')
    sql(world, "UPDATE admin_journal SET actor = 'ann' WHERE seq = 2")
    sql(world, "UPDATE process_versions SET source = source || ' ' WHERE name = 'mini'")
    found = problems(verify(world))
    assert (None, None, "account 'ann' differs from its last admin journal record (changed "
            "outside the product)") in found
    assert (None, 2, "its content does not match its hash (edited)") in found
    assert (None, None, "process mini version 1: its source does not match its digest") in found


def test_an_account_inserted_directly_has_no_journal_record(world: DeskWorld) -> None:
    sql(world, "INSERT INTO accounts (username, display_name, roles, post, password_hash, "
        "vendor, disabled) VALUES ('mallory', 'm', '[\"admin\"]', NULL, 'x', false, false)")
    found = problems(verify(world))
    assert (None, None, "account 'mallory' has no record in the admin journal") in found


def test_a_step_by_an_account_whose_role_was_later_removed_stays_legal(world: DeskWorld
                                                                       ) -> None:
    desk, ann, root = world.desk, world.people["ann"], world.people["root"]
    ticket = desk.open("mini", ann, {"summary": "x"})
    desk.fire(ticket.id, "receive", ann)
    world.clock.advance(timedelta(minutes=1))
    world.workspace.accounts.update(root, "ann", roles=["auditor"])
    world.clock.advance(timedelta(minutes=1))
    with pytest.raises(Forbidden):
        desk.fire(ticket.id, "dispatch", world.workspace.store.get_account("ann"))
    report = verify(world)
    assert report.ok, problems(report)


def test_verifying_some_tickets_only(journal: tuple[DeskWorld, int, list[Event]]) -> None:
    world, ticket_id, _ = journal
    sql(world, "UPDATE events SET note = 'x' WHERE ticket_id = :t AND seq = 2", t=ticket_id)
    assert verify(world, tickets=[ticket_id + 1]).ok
    assert verify(world, tickets=[ticket_id + 1]).tickets == 1
    assert not verify(world, tickets=[ticket_id]).ok


def test_several_processes_find_what_one_finds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    world = build_world(url)
    ids = tour(world)
    Audit(world.workspace.store, world.clock).seal(world.people["aud"], KEY)
    sql(world, "UPDATE events SET note = 'x' WHERE ticket_id = :t AND seq = 2",
        t=ids["mini_done"])
    sql(world, "DELETE FROM events WHERE ticket_id = :t AND seq = 3", t=ids["vendor_child"])
    single = verify(world, KEY)
    for workers in (2, 3):
        parallel = verify_in_parallel(lambda: open_workspace(url).store, KEY, workers)
        assert (parallel.tickets, parallel.events) == (single.tickets, single.events)
        assert problems(parallel) == problems(single) != []
    assert spans(1, 10, 3, (1, 4)) == [(1, 4), (5, 8), (9, 10)]
    assert spans(3, 3, 2, None) == [(3, 3)]


def test_a_child_ticket_no_step_of_its_parent_started_is_caught(world: DeskWorld) -> None:
    ids = tour(world)
    child = ids["vendor_child"]
    events = world.desk.history(child)
    opening = replace(events[0], actor="aud")
    rewritten = rechained([opening, *events[1:]])
    write_journal(world, child, rewritten)
    set_head(world, child, rewritten)
    found = problems(verify(world))
    assert (child, 1, f"opened as a child of ticket {ids['service_desk']}, but no step of "
            "that ticket started a vendor_access then") in found


def test_values_orjson_writes_differently_still_verify(
        journal: tuple[DeskWorld, int, list[Event]]) -> None:
    """``verify`` hashes with orjson first; floats it writes otherwise (1e16 for the
    standard 1e+16) and integers beyond 64 bits fall back to the standard encoding."""
    world, ticket_id, events = journal
    odd = {"huge": 10**20, "float": 1e16, "tiny": 1e-7, "text": "é\u202e\x1b"}
    last = replace(events[-1], details={**events[-1].details, **odd})
    forged = rechained([*events[:-1], last])
    write_journal(world, ticket_id, forged)
    set_head(world, ticket_id, forged)
    assert world.desk.history(ticket_id)[-1].details["huge"] == 10**20
    report = verify(world)
    assert report.ok, problems(report)
    edited = replace(forged[-1], details={**forged[-1].details, "float": 2e16})
    write_journal(world, ticket_id, [*forged[:-1], edited])
    assert problems(verify(world)) == [
        (ticket_id, forged[-1].seq, "its content does not match its hash (edited)")]


def test_the_ranges_of_a_worker_that_died_are_verified_by_the_parent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    world = build_world(url)
    tour(world)
    parent = os.getpid()

    def open_store() -> Store:
        if os.getpid() != parent:  # every worker dies as it starts
            os._exit(1)
        return open_workspace(url).store

    single = verify(world)
    parallel = verify_in_parallel(open_store, None, 2)
    assert (parallel.tickets, parallel.events) == (single.tickets, single.events)
    assert parallel.ok
