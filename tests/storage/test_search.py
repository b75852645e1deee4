"""The search index: written with each change, matched by words, combined with filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from alembic import command

from engine.core.journal import Event, seal
from engine.core.model import Change, NewTicket, Requester, Ticket, TicketQuery
from storage import SqlStore
from storage.database import migration_config
from tests.storage.samples import NOW, opening, step, ticket


def found(store: SqlStore, *words: str, **filters: object) -> list[int]:
    query = TicketQuery(words=words, **filters)  # type: ignore[arg-type]
    return [t.id for t in store.list_tickets(query)]


def opened(store: SqlStore, **data: object) -> Ticket:
    return store.open_ticket(opening(ticket(data=dict(data))))


def comment(before: Ticket, note: str) -> Change:
    """A change that only adds a comment to the journal."""
    at = before.updated_at + timedelta(minutes=1)
    after = replace(before, version=before.version + 1, seq=before.seq + 1, updated_at=at)
    event = seal(Event(ticket_id=before.id, seq=after.seq, at=at, actor="bob", kind="event",
                       trigger="comment", source=before.state, dest=before.state, changes={},
                       digest=before.digest, note=note, prev_hash=before.head))
    after.head = event.hash
    return Change(ticket=after, expected_version=before.version, events=[event])


def test_words_match_field_values_as_prefixes_all_of_them(deployed: SqlStore) -> None:
    printer = opened(deployed, summary="Printer jammed on floor 3",
                     description="paper stuck in tray")
    mail = opened(deployed, summary="Mail quota", description="mailbox full", floor=3)
    assert found(deployed, "print*") == [printer.id]
    assert found(deployed, "print") == []  # whole words unless a prefix is asked for
    assert found(deployed, "PAPER", "tray") == [printer.id]
    assert found(deployed, "paper", "quota") == []
    assert found(deployed, "3") == [printer.id, mail.id]  # a number field counts too
    assert found(deployed, "--") == []  # no word in it: nothing, not everything


def test_a_change_reindexes_the_fields_and_appends_journal_notes(deployed: SqlStore) -> None:
    first = opened(deployed, summary="keyboard broken")
    moved = step(first, dest="received", data={"summary": "mouse broken"})
    deployed.apply(moved)
    assert found(deployed, "keyboard") == []
    assert found(deployed, "mouse") == [first.id]
    deployed.apply(comment(moved.ticket, "replaced the cable"))
    deployed.apply(comment(replace(moved.ticket, version=moved.ticket.version + 1,
                                   head=deployed.load_ticket(first.id).head,
                                   seq=moved.ticket.seq + 1), "user confirmed"))
    assert found(deployed, "cable") == [first.id]
    assert found(deployed, "confirmed", "mouse") == [first.id]


def test_a_requester_is_found_by_name_address_and_a_new_name(deployed: SqlStore) -> None:
    person = deployed.add_requester(Requester("Mei Lin", "mei@example.com", created_at=NOW,
                                              organisation="Acme"))
    new = opening(ticket(data={"summary": "vpn down"}))
    mine = deployed.open_ticket(NewTicket(new.ticket, new.events, requester_id=person.id))
    opened(deployed, summary="vpn slow")
    assert found(deployed, "mei") == [mine.id]
    assert found(deployed, "example", "vpn") == [mine.id]
    assert found(deployed, "acme") == [mine.id]
    deployed.update_requester(replace(person, name="Mei Chen"))
    assert found(deployed, "chen") == [mine.id]
    assert [t.id for t in deployed.list_tickets(TicketQuery(requester="mei@"))] == [mine.id]
    assert [t.id for t in deployed.list_tickets(TicketQuery(requester="MEI C".lower()))] == [
        mine.id]
    assert deployed.list_tickets(TicketQuery(requester="nobody")) == []


def test_words_combine_with_filters_counts_and_pages(deployed: SqlStore) -> None:
    tickets = [deployed.open_ticket(opening(ticket(data={"summary": f"disk {n}"},
                                                   post="service_desk" if n % 2 else "other")))
               for n in range(7)]
    opened(deployed, summary="unrelated")
    desk = [t.id for t in tickets if t.post == "service_desk"]
    assert found(deployed, "disk", post="service_desk") == desk
    assert deployed.count_tickets(TicketQuery(words=("disk",))) == 7
    assert deployed.count_tickets(TicketQuery(words=("disk",), post="other")) == 4
    newest = found(deployed, "disk", descending=True, limit=3)
    assert newest == [t.id for t in reversed(tickets)][:3]
    assert found(deployed, "disk", descending=True, limit=3, after=newest[-1]) == [
        t.id for t in reversed(tickets)][3:6]
    assert found(deployed, "disk", limit=2, after=tickets[1].id) == [t.id for t in tickets[2:4]]


def test_the_migration_back_fills_the_index(deployed: SqlStore) -> None:
    before = opened(deployed, summary="toner empty")
    deployed.apply(comment(before, "ordered a new cartridge"))
    config = migration_config()
    with deployed.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
        command.upgrade(config, "head")
        connection.commit()
    assert found(deployed, "toner", "cartridge") == [before.id]


def test_views_are_saved_per_account_by_name(store: SqlStore) -> None:
    from engine.core.model import Account, SavedView

    for name in ("ann", "bob"):
        store.save_account(Account(name, name, ["agent"], "service_desk", "x"))
    store.save_view(SavedView("ann", "printers", "post", "printer", "sla_due", False))
    store.save_view(SavedView("ann", "printers", "all", "printer open:all", "id", True))
    store.save_view(SavedView("ann", "mine", "mine"))
    assert store.saved_views("ann") == [
        SavedView("ann", "mine", "mine"),
        SavedView("ann", "printers", "all", "printer open:all", "id", True)]
    assert store.saved_views("bob") == []
