"""Opening tickets and applying changes: one transaction each, sealed, all or nothing."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from engine.core.errors import Conflict, NotFound
from engine.core.journal import GENESIS, seal
from engine.core.model import Change, TicketQuery
from storage import IntegrityViolation, SqlStore
from tests.storage.samples import chain_problems, opening, step, ticket, timer


def test_open_ticket_assigns_an_id_and_seals_the_events_with_it(deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket(), events=3))
    journal = deployed.events(opened.id)
    assert opened.id > 0
    assert [e.ticket_id for e in journal] == [opened.id] * 3
    assert journal[0].prev_hash == GENESIS
    assert chain_problems(journal) == []
    assert (opened.seq, opened.head) == (3, journal[-1].hash)
    assert vars(deployed.load_ticket(opened.id)) == vars(opened)


def test_open_ticket_stores_its_timers_with_its_id(deployed: SqlStore) -> None:
    new = opening(ticket(), timers=[timer(0, state="submitted", minutes=5)])
    opened = deployed.open_ticket(new)
    [stored] = deployed.pending_timers(opened.id)
    assert (stored.ticket_id, stored.trigger, stored.status) == (opened.id, "expire", "pending")


def test_each_ticket_gets_its_own_id(deployed: SqlStore) -> None:
    ids = [deployed.open_ticket(opening(ticket())).id for _ in range(3)]
    assert len(set(ids)) == 3
    assert ids == sorted(ids)


def test_apply_commits_the_ticket_and_its_event(deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket()))
    change = step(opened, dest="received", data={"summary": "printer", "level": 2})
    deployed.apply(change)
    assert vars(deployed.load_ticket(opened.id)) == vars(change.ticket)
    journal = deployed.events(opened.id)
    assert journal[-1] == replace(change.events[0], details={"at": str(change.events[0].at)})
    assert chain_problems(journal) == []


def test_a_stale_version_is_a_conflict_that_writes_nothing(deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket()))
    deployed.apply(step(opened, dest="received"))
    with pytest.raises(Conflict) as caught:
        deployed.apply(step(opened, dest="closed", arm=[timer(opened.id, state="closed",
                                                              minutes=1)]))
    assert caught.value.ticket == opened.id
    stored = deployed.load_ticket(opened.id)
    assert (stored.state, stored.version) == ("received", 2)
    assert len(deployed.events(opened.id)) == 2
    assert deployed.pending_timers(opened.id) == []


def test_a_failure_midway_leaves_everything_as_it_was(deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket(), events=2))
    change = step(opened, dest="received", arm=[timer(opened.id, state="received", minutes=9)])
    taken = seal(replace(change.events[0], seq=2))  # the second event clashes with seq 2
    with pytest.raises(Conflict):
        deployed.apply(replace(change, events=[change.events[0], taken]))
    assert vars(deployed.load_ticket(opened.id)) == vars(opened)
    assert len(deployed.events(opened.id)) == 2
    assert deployed.pending_timers(opened.id) == []


def test_a_refused_child_undoes_the_parents_change(deployed: SqlStore) -> None:
    parent = deployed.open_ticket(opening(ticket()))
    orphan = opening(ticket(digest="f" * 64))  # no such process version
    with pytest.raises(IntegrityViolation):
        deployed.apply(step(parent, dest="waiting", children=[orphan]))
    assert vars(deployed.load_ticket(parent.id)) == vars(parent)
    assert deployed.count_tickets(TicketQuery()) == 1


def test_children_are_inserted_with_their_parent_and_own_journal(deployed: SqlStore) -> None:
    parent = deployed.open_ticket(opening(ticket()))
    children = [opening(ticket(state="child", data={"n": n}), events=2) for n in (1, 2)]
    deployed.apply(step(parent, dest="waiting", children=children))
    stored = deployed.list_tickets(TicketQuery(parent_id=parent.id))
    assert [(c.parent_id, c.data, c.seq) for c in stored] == [(parent.id, {"n": 1}, 2),
                                                              (parent.id, {"n": 2}, 2)]
    for child in stored:
        journal = deployed.events(child.id)
        assert {e.ticket_id for e in journal} == {child.id}
        assert chain_problems(journal) == []
        assert child.head == journal[-1].hash


def test_missing_tickets_are_not_found(deployed: SqlStore) -> None:
    with pytest.raises(NotFound):
        deployed.load_ticket(404)
    with pytest.raises(NotFound):
        deployed.events(404)
    with pytest.raises(NotFound):
        deployed.apply(step(ticket(id=404, version=3), dest="x"))


def test_events_until_a_moment(deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket()))
    first = step(opened, dest="received")
    deployed.apply(first)
    deployed.apply(step(first.ticket, dest="closed"))
    journal = deployed.events(opened.id, until=first.ticket.updated_at)
    assert [e.seq for e in journal] == [1, 2]


def test_the_journal_is_append_only(deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket()))
    current = opened
    for dest in ("received", "handling", "pending"):
        change = step(current, dest=dest)
        deployed.apply(change)
        current = change.ticket
    before = deployed.events(opened.id)
    rewrite = step(opened, dest="forged")  # seq 2 again, from the stale version
    with pytest.raises(Conflict):
        deployed.apply(replace(rewrite, expected_version=current.version))
    assert deployed.events(opened.id) == before
    assert chain_problems(before) == []


def test_iter_events_streams_in_ticket_and_seq_order(deployed: SqlStore) -> None:
    ids = [deployed.open_ticket(opening(ticket(), events=n)).id for n in (3, 1, 2)]
    every = [(e.ticket_id, e.seq) for e in deployed.iter_events()]
    assert every == [(ids[0], 1), (ids[0], 2), (ids[0], 3), (ids[1], 1), (ids[2], 1),
                     (ids[2], 2)]
    some = [(e.ticket_id, e.seq) for e in deployed.iter_events(reversed(range(ids[1], 1200)))]
    assert some == every[3:]
    stream = iter(deployed.iter_events())
    assert next(stream).seq == 1


def test_threads_sharing_one_store_never_interleave_transactions(deployed: SqlStore) -> None:
    ids = [deployed.open_ticket(opening(ticket())).id for _ in range(4)]
    errors: list[Exception] = []

    def work(ticket_id: int) -> None:
        try:
            for number in range(40):
                current = deployed.load_ticket(ticket_id)
                deployed.apply(step(current, dest=f"s{number}"))
                deployed.list_accounts()
        except Exception as exc:  # collected: a thread's exception would vanish
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(ticket_id,)) for ticket_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [deployed.load_ticket(ticket_id).version for ticket_id in ids] == [41] * 4


def test_a_change_from_a_row_read_updates_only_what_changed_to_the_same_row(
        deployed: SqlStore) -> None:
    statements: list[str] = []
    if deployed.engine.dialect.name == "sqlite":
        deployed._hot.connections.cursor().connection.set_trace_callback(statements.append)
    opened = deployed.open_ticket(opening(ticket()))
    loaded = deployed.load_ticket(opened.id)
    moved = step(loaded, dest="received")
    deployed.apply(moved)
    assert vars(deployed.load_ticket(opened.id)) == vars(moved.ticket)
    changed = step(moved.ticket, dest="handling", data={"summary": "printer", "level": 1})
    changed.ticket.post, changed.ticket.assignee = "handling_group", "bob"
    deployed.apply(changed)
    assert vars(deployed.load_ticket(opened.id)) == vars(changed.ticket)
    deployed._hot._loaded.clear()  # as if another process had read it: it sets every column
    closed = step(changed.ticket, dest="closed")
    closed.ticket.is_open, closed.ticket.assignee = False, None
    deployed.apply(closed)
    assert vars(deployed.load_ticket(opened.id)) == vars(closed.ticket)
    if statements:
        updates = [s for s in statements if s.startswith("UPDATE tickets SET")
                   and "tickets.version =" in s]
        assert "post=" not in updates[0] and "assignee=" not in updates[0]
        assert "data=" not in updates[0] and "state=" in updates[0]
        assert "assignee=" in updates[1] and "data=" in updates[1] and "sla=" not in updates[1]
        assert all(f"{name}=" in updates[2] for name in ("post", "data", "sla", "is_open"))


@pytest.mark.parametrize("before, after", [
    ({"flag": 1}, {"flag": True}),  # equal in Python, not in JSON
    ({"spent": 0.0}, {"spent": -0.0}),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}),  # equal dicts, keys in another order
    ({"tags": ["x", 1]}, {"tags": ["x", 1.0]}),
    ({"n": {"k": 1}}, {"n": {"k": 1, "j": None}}),
])
def test_data_equal_in_python_but_not_in_json_is_written(
        deployed: SqlStore, before: dict[str, object], after: dict[str, object]) -> None:
    """The store leaves out of an update a JSON column made of the very values it read;
    values merely equal to them (``True == 1``) encode differently and are written."""
    opened = deployed.open_ticket(opening(ticket(data=before)))
    loaded = deployed.load_ticket(opened.id)
    deployed.apply(step(loaded, dest="received", data=after))
    deployed._hot._loaded.clear()
    stored = deployed.load_ticket(opened.id).data
    assert list(stored.items()) == list(after.items())
    assert [type(value) for value in stored.values()] == [type(v) for v in after.values()]
    assert repr(stored) == repr(after)


def test_data_rebuilt_from_the_values_read_is_left_out_of_the_update(
        deployed: SqlStore) -> None:
    opened = deployed.open_ticket(opening(ticket(data={"summary": "printer", "n": [1, {}]})))
    loaded = deployed.load_ticket(opened.id)
    rebuilt = {key: value for key, value in loaded.data.items()}
    changed = step(loaded, dest="received", data=rebuilt)
    values = deployed._hot._changed_values(changed.ticket, deployed._hot._loaded[
        (loaded.id, loaded.version)])
    assert values["data"] is deployed._hot._loaded[(loaded.id, loaded.version)][0][4]
    deployed.apply(changed)
    assert deployed.load_ticket(opened.id).data == {"summary": "printer", "n": [1, {}]}


def test_a_change_that_changes_no_column_still_checks_the_version(
        deployed: SqlStore) -> None:
    """Every column equal to the row read (its JSON given as the row holds it, a decoded
    object on PostgreSQL): the update sets the version alone, to itself."""
    opened = deployed.open_ticket(opening(ticket(data={"summary": "printer", "n": 1})))
    loaded = deployed.load_ticket(opened.id)
    deployed.apply(Change(ticket=replace(loaded), expected_version=loaded.version, events=[]))
    assert vars(deployed.load_ticket(opened.id)) == vars(loaded)
    with pytest.raises(Conflict):
        deployed.apply(Change(ticket=replace(loaded), expected_version=loaded.version - 1,
                              events=[]))
