"""SqlStore: the engine's :class:`engine.desk.ports.Store` on SQLite or PostgreSQL.

State changes go through the hot path (:mod:`storage.hotpath`); everything else reads and
writes with SQLAlchemy Core on the SQLModel tables, where it reads best.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields, replace
from datetime import datetime, timedelta
from importlib import import_module
from types import TracebackType
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from engine.core.admin_journal import AdminEntry
from engine.core.errors import NotFound, TicketflowError
from engine.core.journal import Event
from engine.core.model import (
    Account,
    Change,
    NewTicket,
    Notification,
    ProcessVersion,
    Ticket,
    TicketQuery,
    Timer,
)
from storage.accounts import AccountRows
from storage.admin_journal import ADMIN, entry_from_row
from storage.articles import ArticleRows
from storage.errors import map_db_errors
from storage.hotpath import EVENT_COLUMNS, TICKET_COLUMNS, HotPath
from storage.integrations import IntegrationRows
from storage.items import ItemRows
from storage.journal_stream import sqlite_events
from storage.mail import MailRows
from storage.models import metadata
from storage.problems import ProblemRows
from storage.queries import ordered, ticket_filters, ticket_source
from storage.requesters import RequesterRows
from storage.webhooks import WebhookRows

VERSIONS, TICKETS, EVENTS, TIMERS, ACCOUNTS, SESSIONS, OUTBOX = (
    metadata.tables[name] for name in ("process_versions", "tickets", "events", "timers",
                                       "accounts", "login_sessions", "outbox"))
NOTIFICATION_COLUMNS = tuple(f.name for f in fields(Notification))
VERSION_COLUMNS = tuple(f.name for f in fields(ProcessVersion))
TIMER_COLUMNS = tuple(f.name for f in fields(Timer))
STREAM_BATCH = 1000
"""Rows fetched at a time when streaming events."""
IDS_PER_QUERY = 500


class SqlStore(AccountRows, RequesterRows, MailRows, IntegrationRows, WebhookRows, ItemRows,
               ProblemRows, ArticleRows):
    """Process versions, tickets, journals, timers, accounts, requesters, mail, API tokens,
    alerts, webhooks, configuration items and articles in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._hot = HotPath(engine)

    def close(self) -> None:
        """Give back every connection and close the pool."""
        self._hot.connections.close()
        self.engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- process versions ----------------------------------------------------------------

    def save_version(self, version: ProcessVersion, *, journal: AdminEntry | None = None
                     ) -> ProcessVersion:
        """Store a version unless its digest exists; return the stored one (numbered).

        ``journal``: the admin journal entry recording the deploy, appended with it.
        """
        with self._writing(lock=VERSIONS.name) as connection:
            found = connection.execute(_versions().where(VERSIONS.c.digest == version.digest))
            row = found.first()
            if row is not None:
                return ProcessVersion(**row._mapping)
            latest = connection.execute(select(func.max(VERSIONS.c.number))
                                        .where(VERSIONS.c.name == version.name)).scalar()
            stored = replace(version, number=(latest or 0) + 1)
            connection.execute(insert(VERSIONS).values(asdict(stored)))
            if journal is not None:
                self._admin_write(connection, [journal])
            return stored

    def get_version(self, digest: str) -> ProcessVersion:
        rows = self._read(_versions().where(VERSIONS.c.digest == digest))
        if not rows:
            raise NotFound(f"no process version {digest[:12]}")
        return ProcessVersion(**rows[0]._mapping)

    def current_version(self, name: str) -> ProcessVersion:
        """The most recently deployed version of a process."""
        rows = self._read(_versions().where(VERSIONS.c.name == name)
                          .order_by(VERSIONS.c.number.desc()).limit(1))
        if not rows:
            raise NotFound(f"no process {name!r} is deployed")
        return ProcessVersion(**rows[0]._mapping)

    def list_versions(self, name: str | None = None) -> list[ProcessVersion]:
        statement = _versions().order_by(VERSIONS.c.name, VERSIONS.c.number)
        if name is not None:
            statement = statement.where(VERSIONS.c.name == name)
        return [ProcessVersion(**row._mapping) for row in self._read(statement)]

    # -- tickets and journals ------------------------------------------------------------

    def open_ticket(self, new: NewTicket) -> Ticket:
        """Insert a ticket with its first events and timers; return it with its id."""
        return self._hot.open_ticket(new)

    def apply(self, change: Change) -> None:
        """Commit a state change in one transaction, or raise Conflict and write nothing."""
        self._hot.apply(change)

    def apply_all(self, changes: list[Change]) -> list[TicketflowError | None]:
        """Commit changes of different tickets in one transaction, each in a savepoint:
        what refused each (None: applied)."""
        return self._hot.apply_all(changes)

    def load_ticket(self, ticket_id: int) -> Ticket:
        return self._hot.load_ticket(ticket_id)

    def load_tickets(self, ticket_ids: list[int]) -> dict[int, Ticket]:
        """The tickets of these ids that exist, by id: one query per few hundred ids."""
        found: dict[int, Ticket] = {}
        ids = sorted(set(ticket_ids))
        for start in range(0, len(ids), IDS_PER_QUERY):
            statement = (select(*(TICKETS.c[n] for n in TICKET_COLUMNS))
                         .where(TICKETS.c.id.in_(ids[start:start + IDS_PER_QUERY])))
            found.update((t.id, t) for t in self._hot.select_tickets(statement, keep=True))
        return found

    def list_tickets(self, query: TicketQuery) -> list[Ticket]:
        """One page of tickets, keyset-paged by id (``after`` the last id seen)."""
        dialect = self.engine.dialect.name
        source, key = ticket_source(query, tickets=TICKETS, dialect=dialect)
        conditions = ticket_filters(query, tickets=TICKETS, dialect=dialect)
        statement = ordered(select(*(TICKETS.c[n] for n in TICKET_COLUMNS)).select_from(source)
                            .where(*conditions), query, tickets=TICKETS, key=key,
                            dialect=dialect).limit(max(query.limit, 0))
        return self._hot.select_tickets(statement)

    def count_tickets(self, query: TicketQuery, *, at_most: int | None = None) -> int:
        """How many tickets match the filters (paging fields ignored); counting stops at
        ``at_most`` (a word every ticket has would count the whole desk)."""
        dialect = self.engine.dialect.name
        source, _ = ticket_source(query, tickets=TICKETS, dialect=dialect)
        conditions = ticket_filters(query, tickets=TICKETS, dialect=dialect)
        if at_most is None:
            statement = select(func.count()).select_from(source).where(*conditions)
        else:
            hits = select(TICKETS.c.id).select_from(source).where(*conditions).limit(at_most)
            statement = select(func.count()).select_from(hits.subquery())
        return int(self._read(statement)[0][0])

    def last_change(self) -> int:
        """The highest journal event id: it grows with every committed change (one index read)."""
        rows = self._read(select(func.max(EVENTS.c.id)))
        return int(rows[0][0] or 0)

    def events(self, ticket_id: int, *, until: datetime | None = None) -> list[Event]:
        """A ticket's journal in order (up to ``until``, inclusive)."""
        statement = _events().where(EVENTS.c.ticket_id == ticket_id).order_by(EVENTS.c.seq)
        if until is not None:
            statement = statement.where(EVENTS.c.at <= until)
        events = [Event(**row._mapping) for row in self._read(statement)]
        if not events:
            self._require_ticket(ticket_id)
        return events

    def iter_events(self, ticket_ids: Iterable[int] | None = None) -> Iterator[Event]:
        """Every event (of these tickets), ordered by ticket id and seq, streamed."""
        statement = _events().order_by(EVENTS.c.ticket_id, EVENTS.c.seq)
        if ticket_ids is None:
            yield from self._stream(statement)
            return
        ids = sorted(set(ticket_ids))
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start:start + IDS_PER_QUERY]
            yield from self._stream(statement.where(EVENTS.c.ticket_id.in_(chunk)))

    def ticket_ids_active(self, since: datetime, until: datetime) -> list[int]:
        """Ascending ids of the tickets opened before ``until`` that are open or changed at
        or after ``since`` (``updated_at`` is the time of a ticket's latest event)."""
        statement = (select(TICKETS.c.id)
                     .where(TICKETS.c.opened_at < until,
                            or_(TICKETS.c.is_open.is_(True), TICKETS.c.updated_at >= since))
                     .order_by(TICKETS.c.id))
        return [int(row[0]) for row in self._read(statement)]

    # -- timers --------------------------------------------------------------------------

    def pending_timers(self, ticket_id: int) -> list[Timer]:
        """A ticket's pending timers, earliest first."""
        timers = self._timers(TIMERS.c.ticket_id == ticket_id, limit=None)
        if not timers:
            self._require_ticket(ticket_id)
        return timers

    def pending_timers_between(self, first: int, last: int) -> list[Timer]:
        """Every pending timer of the tickets ``first``..``last``, by ticket id and due time."""
        statement = (select(*(TIMERS.c[n] for n in TIMER_COLUMNS))
                     .where(TIMERS.c.ticket_id.between(first, last),
                            TIMERS.c.status == "pending")
                     .order_by(TIMERS.c.ticket_id, TIMERS.c.due_at, TIMERS.c.id))
        return [Timer(**row._mapping) for row in self._read(statement)]

    def due_timers(self, now: datetime, limit: int) -> list[Timer]:
        """Pending timers due at or before ``now``, earliest first.

        Plain reads, also with several workers: each fires a timer through ``apply`` with
        ``fired_timer``, which marks it fired only while still pending (else Conflict).
        """
        return self._timers(TIMERS.c.due_at <= now, limit=limit)

    def claim_due_timers(self, now: datetime, limit: int, *, worker: str,
                         lease: timedelta) -> list[Timer]:
        """Claim up to ``limit`` due timers no live claim holds, for ``lease``; earliest first.

        Only each ticket's earliest pending timer is claimable, so a ticket's timers fire in
        due order even with many workers. On PostgreSQL the rows are picked ``FOR UPDATE SKIP
        LOCKED``, so workers claiming at once take different timers; an expired lease (a
        worker that died) is claimable again, and so are a worker's own claims (it lost the
        database mid-batch and is trying again). Firing still goes through ``apply``, which
        fires a timer only while it is pending.
        """
        due, earlier = TIMERS.alias("due"), TIMERS.alias("earlier")
        free = or_(due.c.claimed_until.is_(None), due.c.claimed_until <= now,
                   due.c.claimed_by == worker)  # its own: it failed mid-batch, reconnected
        first = ~exists().where(  # a ticket's timers are claimed one at a time, in due order
            earlier.c.ticket_id == due.c.ticket_id, earlier.c.status == "pending",
            or_(earlier.c.due_at < due.c.due_at,
                and_(earlier.c.due_at == due.c.due_at, earlier.c.id < due.c.id)))
        picked = (select(due.c.id).where(due.c.status == "pending", due.c.due_at <= now, free,
                                         first)
                  .order_by(due.c.due_at, due.c.id).limit(max(limit, 0))
                  .with_for_update(of=due, skip_locked=True))
        claim = (update(TIMERS).where(TIMERS.c.id.in_(picked.scalar_subquery()))
                 .values(claimed_by=worker, claimed_until=now + lease)
                 .returning(*(TIMERS.c[n] for n in TIMER_COLUMNS)))
        with self._writing() as connection:
            timers = [Timer(**row._mapping) for row in connection.execute(claim)]
        return sorted(timers, key=lambda t: (t.due_at, t.id or 0))

    # -- the outbox ----------------------------------------------------------------------

    def notifications(self, post: str | None, *, after: int | None = None,
                      limit: int = 100) -> list[Notification]:
        """Outbox rows (for one post, or all), oldest first, after the id ``after``."""
        statement = select(*(OUTBOX.c[n] for n in NOTIFICATION_COLUMNS)).order_by(OUTBOX.c.id)
        if post is not None:
            statement = statement.where(OUTBOX.c.post == post)
        if after is not None:
            statement = statement.where(OUTBOX.c.id > after)
        return [Notification(**row._mapping) for row in self._read(statement.limit(limit))]

    # -- accounts and login sessions -----------------------------------------------------

    def save_account(self, account: Account) -> None:
        """Insert or update a whole account (restores and tests; changes use change_account)."""
        values = asdict(account)
        with self._writing() as connection:
            upsert = _dialect_insert(connection)(ACCOUNTS).values(values)
            connection.execute(upsert.on_conflict_do_update(
                index_elements=[ACCOUNTS.c.username], set_=values))

    # -- the admin journal ---------------------------------------------------------------

    def append_admin(self, entries: list[AdminEntry], *, accounts: list[Account] | None = None
                     ) -> list[AdminEntry]:
        """Append entries (chained here) and save these accounts, in one transaction."""
        return self._hot.append_admin(entries, accounts or [])

    def admin_entries(self, *, since: datetime | None = None) -> list[AdminEntry]:
        """The admin journal in order (entries at or after ``since``, when given)."""
        statement = select(ADMIN).order_by(ADMIN.c.seq)
        if since is not None:
            statement = statement.where(ADMIN.c.at >= since)
        return [entry_from_row(row) for row in self._read(statement)]

    def admin_head(self) -> tuple[int, str]:
        """The seq and hash of the admin journal's latest entry ((0, "") when empty)."""
        rows = self._read(select(ADMIN.c.seq, ADMIN.c.hash).order_by(ADMIN.c.seq.desc())
                          .limit(1))
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, "")

    # -- plumbing ------------------------------------------------------------------------

    def _admin_write(self, connection: Connection, entries: list[AdminEntry]
                     ) -> list[AdminEntry]:
        """Append admin journal entries inside a transaction of :meth:`_writing`."""
        if not entries:
            return []
        return self._hot.admin.write(connection.connection.cursor(), entries, [])

    @contextmanager
    def _writing(self, *, lock: str | None = None) -> Iterator[Connection]:
        """One write transaction through SQLAlchemy: the only commit outside the hot path."""
        with map_db_errors(), self._hot.connections.exclusive, \
                self.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif lock is not None:
                connection.exec_driver_sql(f"LOCK TABLE {lock} IN SHARE ROW EXCLUSIVE MODE")
            yield connection
            connection.commit()

    def _dialect_insert(self, connection: Connection) -> Any:
        return _dialect_insert(connection)

    def _read(self, statement: Select[Any]) -> list[Any]:
        with map_db_errors(), self._hot.connections.exclusive, \
                self.engine.connect() as connection:
            return list(connection.execute(statement))

    def _stream(self, statement: Select[Any]) -> Iterator[Event]:
        if self.engine.dialect.name == "sqlite":
            yield from sqlite_events(self.engine, statement)
            return
        with map_db_errors(), self.engine.connect() as connection:
            result = connection.execution_options(yield_per=STREAM_BATCH).execute(statement)
            for row in result:
                yield Event(**row._mapping)

    def _timers(self, condition: Any, *, limit: int | None) -> list[Timer]:
        statement = (select(*(TIMERS.c[n] for n in TIMER_COLUMNS))
                     .where(condition, TIMERS.c.status == "pending")
                     .order_by(TIMERS.c.due_at, TIMERS.c.id))
        if limit is not None:
            statement = statement.limit(max(limit, 0))
        return [Timer(**row._mapping) for row in self._read(statement)]

    def _require_ticket(self, ticket_id: int) -> None:
        if not self._read(select(TICKETS.c.id).where(TICKETS.c.id == ticket_id)):
            raise NotFound("no such ticket", ticket=ticket_id)


def _versions() -> Select[Any]:
    return select(*(VERSIONS.c[n] for n in VERSION_COLUMNS))


def _events() -> Select[Any]:
    return select(*(EVENTS.c[n] for n in EVENT_COLUMNS))


def _dialect_insert(connection: Connection) -> Any:
    """The dialect's INSERT with ON CONFLICT (both SQLite and PostgreSQL have it)."""
    return import_module(f"sqlalchemy.dialects.{connection.dialect.name}").insert  # only this one
