"""What the engine needs from persistence, as a Protocol the storage layer implements.

Contract (checked by the shared store test suite on every backend):
- ``open_ticket`` and ``apply`` are each one transaction: all rows or none.
- ``open_ticket`` assigns ids, then seals each new ticket's events with
  :func:`engine.core.journal.seal` (``ticket_id=`` the new id) before inserting them.
- ``apply`` raises :class:`engine.core.errors.Conflict` when the ticket's stored version is not
  ``change.expected_version`` (or an event's ``(ticket_id, seq)`` exists), writing nothing.
- Events are append-only; nothing updates or deletes one.
- Lookups of what does not exist raise :class:`engine.core.errors.NotFound`.
- ``apply`` also saves ``change.accounts`` and appends ``change.admin`` to the admin
  journal, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from engine.accounts.sessions import LoginSession
from engine.core.admin_journal import AdminEntry
from engine.core.errors import TicketflowError
from engine.core.journal import Event
from engine.core.model import (
    Account,
    Change,
    Delivery,
    Inbound,
    NewTicket,
    Notification,
    ProcessVersion,
    Requester,
    SavedView,
    Ticket,
    TicketQuery,
    Timer,
)

if TYPE_CHECKING:  # items bring the YAML loader and pydantic: not for the light reads
    from engine.desk.articles import Article, Content, Use, Version
    from engine.desk.items import Item
    from engine.desk.problems import ProblemLink


class Store(Protocol):
    """Persistence of process versions, tickets, journals, timers and accounts."""

    # process versions
    def save_version(self, version: ProcessVersion, *, journal: AdminEntry | None = None
                     ) -> ProcessVersion:
        """Store a version unless its digest exists; return the stored one (numbered).

        ``journal``: the admin journal entry recording the deploy, appended in the same
        transaction when the version is new.
        """
        ...

    def get_version(self, digest: str) -> ProcessVersion: ...

    def current_version(self, name: str) -> ProcessVersion:
        """The most recently deployed version of a process."""
        ...

    def list_versions(self, name: str | None = None) -> list[ProcessVersion]: ...

    # tickets and journals
    def open_ticket(self, new: NewTicket) -> Ticket:
        """Insert a ticket with its first events and timers; return it with its id."""
        ...

    def apply(self, change: Change) -> None: ...

    def apply_all(self, changes: list[Change]) -> list[TicketflowError | None]:
        """Commit changes of different tickets in one transaction, each all or nothing on
        its own: what refused each (None: applied). An error of the database as a whole
        (unreachable, busy) is raised, and then none is applied."""
        ...

    def load_ticket(self, ticket_id: int) -> Ticket: ...

    def load_tickets(self, ticket_ids: list[int]) -> dict[int, Ticket]:
        """The tickets of these ids that exist, by id, as stored now."""
        ...

    def list_tickets(self, query: TicketQuery) -> list[Ticket]: ...

    def count_tickets(self, query: TicketQuery, *, at_most: int | None = None) -> int:
        """How many tickets match (paging fields ignored), counted up to ``at_most``."""
        ...

    def last_change(self) -> int:
        """A marker that grows with every committed change: the highest journal event id."""
        ...

    def events(self, ticket_id: int, *, until: datetime | None = None) -> list[Event]: ...

    def iter_events(self, ticket_ids: Iterable[int] | None = None) -> Iterable[Event]:
        """Every event (of these tickets), ordered by ticket id and seq."""
        ...

    def ticket_ids_active(self, since: datetime, until: datetime) -> list[int]:
        """Ascending ids of the tickets opened before ``until`` that are open or changed at
        or after ``since``: every ticket whose journal may matter in [since, until)."""
        ...

    # timers
    def pending_timers(self, ticket_id: int) -> list[Timer]: ...

    def pending_timers_between(self, first: int, last: int) -> list[Timer]:
        """Every pending timer of the tickets whose ids lie from ``first`` to ``last``,
        by ticket id, then due time."""
        ...

    def due_timers(self, now: datetime, limit: int) -> list[Timer]:
        """Pending timers due at or before ``now``, earliest first."""
        ...

    def claim_due_timers(self, now: datetime, limit: int, *, worker: str,
                         lease: timedelta) -> list[Timer]:
        """Claim due timers no live claim holds (for ``lease``), earliest first.

        Workers claiming at once get different timers (PostgreSQL: SKIP LOCKED).
        """
        ...

    # the outbox
    def notifications(self, post: str | None, *, after: int | None = None,
                      limit: int = 100) -> list[Notification]:
        """Notifications (to one post, or all), oldest first, after the id ``after``."""
        ...

    # accounts (each change one transaction: see engine.accounts.accounts)
    def get_account(self, username: str) -> Account: ...

    def save_account(self, account: Account) -> None:
        """Insert or update a whole account (restores and tests only)."""
        ...

    def list_accounts(self) -> list[Account]: ...

    def create_account(self, account: Account, entries: list[AdminEntry]) -> None:
        """Insert a new account with its journal entries; BadRequest when the name is taken."""
        ...

    def change_account(self, username: str,
                       change: Callable[[Account, list[Account]], Account],
                       journal: Callable[[Account], list[AdminEntry]]) -> Account:
        """Change an account, end its sessions and journal it, in one transaction."""
        ...

    def record_login(self, username: str, *, password_hash: str, new_hash: str | None,
                     now: datetime, entry: AdminEntry) -> bool:
        """A login's bookkeeping, only while the account still has ``password_hash``."""
        ...

    def count_failed_login(self, username: str, entry: AdminEntry) -> int: ...

    def lock_account(self, username: str, *, failures: int, until: datetime,
                     entry: AdminEntry) -> bool: ...

    def save_session(self, *, token_hash: str, username: str, created_at: datetime,
                     expires_at: datetime, password_hash: str) -> bool:
        """Remember a login session, only while the account has ``password_hash``."""
        ...

    def session_user(self, token_hash: str, *, now: datetime) -> str:
        """The username of a live session; NotFound when unknown or expired."""
        ...

    def list_sessions(self, username: str, *, now: datetime) -> list[LoginSession]: ...

    def end_sessions(self, *, token_hash: str | None = None,
                     before: datetime | None = None, username: str | None = None) -> int:
        """Forget one session, an account's, or every one expired before a moment."""
        ...

    # settings
    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str, entry: AdminEntry) -> None: ...

    # the admin journal
    def append_admin(self, entries: list[AdminEntry], *, accounts: list[Account] | None = None
                     ) -> list[AdminEntry]:
        """Append entries and save these accounts in one transaction; the entries chained.

        The store reads the journal's head in that transaction and chains each entry with
        :func:`engine.core.admin_journal.chained`.
        """
        ...

    def admin_entries(self, *, since: datetime | None = None) -> list[AdminEntry]:
        """The admin journal in seq order (from ``since`` on, when given)."""
        ...

    def admin_head(self) -> tuple[int, str]:
        """The seq and hash of the admin journal's latest entry ((0, "") when empty)."""
        ...

    # saved views
    def save_view(self, view: SavedView) -> None:
        """Save a view (replacing the account's view of that name)."""
        ...

    def saved_views(self, username: str) -> list[SavedView]:
        """An account's saved views, by name."""
        ...

    def delete_view(self, username: str, name: str) -> bool:
        """Delete an account's view of that name; whether there was one."""
        ...

    def requester_names(self, ticket_ids: list[int]) -> dict[int, str]:
        """The requester's name of each of these tickets that has one."""
        ...

    # configuration items
    def save_items(self, items: list[Item], entry: AdminEntry) -> None:
        """Add or replace the items with their relations, and journal ``entry``, at once."""
        ...

    def list_items(self) -> list[Item]:
        """Every configuration item with its relations, by name."""
        ...

    # problem links
    def problem_link(self, ticket_id: int) -> ProblemLink | None:
        """The link of a ticket to its problem (None: none)."""
        ...

    def problem_links(self, problem_id: int | None = None) -> list[ProblemLink]:
        """The links to a problem (None: every link), by ticket id."""
        ...

    def save_problem_link(self, changes: list[Change], *, add: ProblemLink | None = None,
                          remove: ProblemLink | None = None) -> None:
        """Apply both tickets' changes with the link's insert or delete, at once."""
        ...

    # knowledge-base articles (engine.desk.articles.ArticleStore says what each does)
    def add_article(self, content: Content, author: str, at: datetime,
                    entry: AdminEntry) -> Article: ...

    def add_version(self, number: int, expected: int, content: Content, author: str,
                    at: datetime, status: str, entry: AdminEntry) -> Article: ...

    def set_status(self, number: int, expected: int, status: str,
                   entry: AdminEntry) -> Article: ...

    def get_article(self, number: int) -> Article: ...

    def article_versions(self, number: int) -> list[Version]: ...

    def list_articles(self, *, status: str | None = None, words: tuple[str, ...] = (),
                      limit: int = 100) -> list[Article]: ...

    def article_uses(self, start: datetime, end: datetime) -> list[Use]: ...

    # requesters
    def add_requester(self, requester: Requester) -> Requester:
        """Insert a requester; Conflict when its address is taken."""
        ...

    def find_or_add_requester(self, requester: Requester) -> Requester:
        """The requester of this address, inserted first when there is none (race-free)."""
        ...

    def get_requester(self, requester_id: int) -> Requester: ...

    def requester_by_email(self, email: str) -> Requester: ...

    def list_requesters(self, *, after: int | None = None, limit: int = 100
                        ) -> list[Requester]: ...

    def update_requester(self, requester: Requester) -> Requester:
        """Save a requester's details; Conflict when the address is another requester's."""
        ...

    def ticket_requester(self, ticket_id: int) -> int | None:
        """The id of the requester a ticket is for (linked by ``NewTicket.requester_id``)."""
        ...

    def requester_ticket_ids(self, requester_id: int, *, limit: int = 100) -> list[int]:
        """A requester's ticket ids, newest first."""
        ...

    # mail out: deliveries planned from a cursor over a source, claimed by workers
    def mail_cursor(self, name: str) -> int: ...

    def journal_after(self, position: int, limit: int) -> list[tuple[int, Event]]:
        """(row id, event) of the journal events after ``position``, by row id."""
        ...

    def queue_mail(self, name: str, start: int, end: int, deliveries: list[Delivery]) -> bool:
        """Move the cursor from ``start`` to ``end`` and insert the deliveries (each unique by
        source, kind and recipient) in one transaction; False when the cursor had moved."""
        ...

    def claim_deliveries(self, now: datetime, limit: int, *, worker: str,
                         lease: timedelta) -> list[Delivery]:
        """Claim due pending deliveries no live claim holds (PostgreSQL: SKIP LOCKED)."""
        ...

    def finish_delivery(self, delivery: Delivery, *, worker: str) -> bool:
        """Save an attempt's outcome while ``worker`` holds the claim; False otherwise."""
        ...

    def deliveries(self, *, status: str | None = None, ticket_id: int | None = None,
                   after: int | None = None, limit: int = 100) -> list[Delivery]: ...

    # mail in
    def save_inbound(self, inbound: Inbound) -> Inbound: ...

    def inbound_mail(self, *, status: str | None = None, after: int | None = None,
                     limit: int = 100) -> list[Inbound]: ...

    def count_inbound(self, sender: str, since: datetime) -> int: ...

    def seen_message(self, message_id: str) -> Inbound | None:
        """A mail already taken in (not quarantined) with this Message-ID."""
        ...

    def save_attachment(self, digest: str, content: bytes) -> None: ...

    def attachment(self, digest: str) -> bytes: ...

    # the connections
    def close(self) -> None:
        """Give back every connection; the store is not used afterwards.

        Closing a store whose connections the server has already dropped does not fail.
        """
        ...
