"""The hot path: load a ticket, and commit a state change in one transaction.

Statements are rendered once from the SQLModel tables (:mod:`storage.rendered`) and run on
this thread's driver connection (:mod:`storage.connections`). A change is all or nothing:
the ticket update with its version check, the timer it fires, the timers it cancels and
arms, its journal events and the child tickets it opens.

Timers fired by several workers: each worker fires a due timer through :meth:`apply` with
``fired_timer``; the timer is marked fired only while still pending and the ticket only
moves from the version the worker read, so a second firing is a Conflict and writes
nothing. No timer fires twice, on SQLite or PostgreSQL, without a claim step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from copy import copy
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, Table, bindparam, insert, select, update

from engine.core.admin_journal import AdminEntry
from engine.core.errors import Conflict, NotFound, TicketflowError
from engine.core.journal import GENESIS, Event, seal
from engine.core.model import (
    NO_DUE,
    Account,
    Change,
    NewTicket,
    Notification,
    Ticket,
    Timer,
    sla_due,
)
from storage.admin_journal import AdminWriter
from storage.codec import Codec
from storage.connections import DriverConnections
from storage.errors import DatabaseBusy, DatabaseUnavailable, map_db_errors
from storage.live import NOTIFY
from storage.models import metadata
from storage.rendered import Rendered, render, rows_getter
from storage.search import IndexWriter, document_text

TICKET_COLUMNS = tuple(f.name for f in fields(Ticket))
EVENT_COLUMNS = tuple(f.name for f in fields(Event))
TIMER_COLUMNS = ("ticket_id", "trigger", "due_at", "state", "status", "kind", "child_id")
NOTIFICATION_COLUMNS = ("post", "ticket_id", "kind", "message", "at", "details")
DERIVED = ("sla_due",)
"""Ticket columns that are not the engine's: written from others (``sla_due`` from
``sla``), never read back into a Ticket."""
TICKET_WRITES = (*TICKET_COLUMNS[1:], *DERIVED)
_FIXED = {"id", "opened_at", "opened_by", "parent_id"}
TICKET_CHANGES = (*(name for name in TICKET_COLUMNS if name not in _FIXED), *DERIVED)
_CHANGE_AT = tuple((name, TICKET_COLUMNS.index(name)) for name in TICKET_CHANGES
                   if name not in DERIVED)
_VERSION_AT = TICKET_COLUMNS.index("version")
_DATA_AT, _SLA_AT = TICKET_COLUMNS.index("data"), TICKET_COLUMNS.index("sla")
_BRANCHES_AT = TICKET_COLUMNS.index("branches")
LOADED_ROWS = 256
"""Rows :meth:`HotPath.load_ticket` keeps (by id and version) for the updates that follow."""


def _binds(names: Sequence[str]) -> dict[str, Any]:
    return {name: bindparam(name) for name in names}


class Statements:
    """Every hot statement, rendered once for the engine's dialect."""

    def __init__(self, engine: Engine) -> None:
        tickets, events, timers, outbox = (metadata.tables[name] for name in
                                           ("tickets", "events", "timers", "outbox"))
        dialect = engine.dialect
        self.load = render(select(*(tickets.c[n] for n in TICKET_COLUMNS))
                           .where(tickets.c.id == bindparam("b_id")), dialect)
        self.version = render(select(tickets.c.version)
                              .where(tickets.c.id == bindparam("b_id")), dialect)
        self._tickets, self.dialect = tickets, dialect
        self.update = self.update_of(TICKET_CHANGES)
        self.insert_ticket = render(insert(tickets).values(_binds(TICKET_WRITES))
                                    .returning(tickets.c.id), dialect)
        self.set_head = render(update(tickets).values(_binds(("seq", "head")))
                               .where(tickets.c.id == bindparam("b_id")), dialect)
        self.insert_event = render(insert(events).values(_binds(EVENT_COLUMNS)).inline(),
                                   dialect)
        self.insert_timer = render(insert(timers).values(_binds(TIMER_COLUMNS)).inline(),
                                   dialect)
        self.cancel, self.fire = self._timer_updates(timers, engine)
        self.cancel_kind = render(update(timers).values(status="cancelled").where(
            timers.c.ticket_id == bindparam("b_ticket"), timers.c.status == "pending",
            timers.c.kind == bindparam("b_kind")), dialect)
        self.insert_link = render(insert(metadata.tables["ticket_requesters"]).values(
            _binds(("ticket_id", "requester_id"))).inline(), dialect)
        self.insert_notification = render(
            insert(outbox).values(_binds(NOTIFICATION_COLUMNS)).inline(), dialect)

    def update_of(self, names: tuple[str, ...]) -> Rendered:
        """The ticket update setting these columns, from the version it was read at."""
        tickets = self._tickets
        return render(update(tickets).values(_binds(names)).where(
            tickets.c.id == bindparam("b_id"), tickets.c.version == bindparam("b_version")),
            self.dialect)

    @staticmethod
    def _timer_updates(timers: Table, engine: Engine) -> tuple[Rendered, Rendered]:
        pending = (timers.c.ticket_id == bindparam("b_ticket"), timers.c.status == "pending")
        cancel = update(timers).values(status="cancelled").where(
            *pending, timers.c.state == bindparam("b_state"))
        fire = update(timers).values(status="fired", fired_at=bindparam("fired_at")).where(
            *pending, timers.c.id == bindparam("b_id"))
        return render(cancel, engine.dialect), render(fire, engine.dialect)


Along = Callable[[Any, Ticket], None]
"""More writes on the driver cursor inside a hot-path transaction, given the ticket."""


class HotPath:
    """Loads tickets and commits changes on per-thread driver connections."""

    def __init__(self, engine: Engine) -> None:
        self.sql = Statements(engine)
        self.codec = Codec(sqlite=engine.dialect.name == "sqlite")
        self.connections = DriverConnections(engine)
        self.admin = AdminWriter(engine)
        self.search = IndexWriter(engine.dialect.name)
        self._notify = NOTIFY if engine.dialect.name == "postgresql" else None
        """Sent with each changed ticket's id in its transaction: listeners hear of the
        change when it commits (:mod:`storage.live`; SQLite's listeners need nothing)."""
        self._event_row = rows_getter(self.sql.insert_event.order or EVENT_COLUMNS)
        self._timer_row = rows_getter(self.sql.insert_timer.order or TIMER_COLUMNS)
        self._load_params = params_getter(self.sql.load)
        self._no_due = self.codec.time(NO_DUE)
        self._batch_order = {statement.sql: at for at, statement in enumerate((
            self.sql.fire, self.sql.cancel, self.sql.cancel_kind, self.sql.insert_timer,
            self.sql.insert_notification, self.sql.insert_event))}
        """A change's writes after its ticket update, in the order :meth:`_write` makes
        them."""
        self._event_params = params_getter(self.sql.insert_event)
        self._cancel_params = params_getter(self.sql.cancel)
        self._updates: dict[tuple[str, ...], tuple[str, Callable[[Mapping[str, Any]], Any]]] = {
            TICKET_CHANGES: (self.sql.update.sql, params_getter(self.sql.update))}
        self._loaded: dict[tuple[int, int], tuple[Sequence[Any], Ticket]] = {}
        """The rows :meth:`load_ticket` read and the tickets it handed out, by ticket id
        and version. Every committed change increments the version, so the row a change
        from version v finds (its version check) is the row read at v: the update sets
        only the columns whose values differ from it — the same row results, and SQLite
        rewrites only the index entries of columns that changed (an unchanged post,
        assignee, process or open flag costs nothing)."""

    def select_tickets(self, statement: Select[Any], *, keep: bool = False) -> list[Ticket]:
        """The tickets a SELECT of every ticket column (in ``TICKET_COLUMNS`` order)
        returns, run on the driver connection and decoded as :meth:`load_ticket` does:
        SQLAlchemy's result processing cost several times the query for a page.

        ``keep``: remember the rows, as :meth:`load_ticket` does, for the updates that
        follow (tickets read to be changed, not a page to show). Such a read fails on a
        connection the server dropped, as :meth:`load_ticket` does (a worker then backs
        off and reconnects); a page is read again on a new connection (:meth:`_fetch`).
        """
        compiled: Any = statement.compile(dialect=self.sql.dialect,
                                          compile_kwargs={"render_postcompile": True})
        values = {name: self.codec.time(value) if isinstance(value, datetime) else value
                  for name, value in compiled.params.items()}
        params = tuple([values[name] for name in compiled.positiontup]) \
            if compiled.positional else values
        with map_db_errors():
            rows = self._fetch(str(compiled), params, again=not keep)
        with map_db_errors():  # decoding (a damaged column)
            tickets = [self._ticket(row) for row in rows]
        if keep:
            for row, ticket in zip(rows, tickets, strict=True):
                self._keep(row, ticket)
        return tickets

    def _fetch(self, sql: str, params: Any, *, again: bool) -> list[Any]:
        """The rows of a read on this thread's connection. With ``again``, a read on a
        connection the server dropped (PostgreSQL restarted, a backend killed) is sent once
        more on a new one, as SQLAlchemy's pool ping would have: a read, unlike a write,
        can be."""
        connections = self.connections
        with connections.exclusive:
            try:
                cursor = connections.cursor()
                cursor.execute(sql, params)
                return list(cursor.fetchall())
            except Exception:
                if not (again and connections.lost()):
                    raise
            cursor = connections.cursor()  # a new connection
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def load_ticket(self, ticket_id: int) -> Ticket:
        """The ticket as stored now. Its ``data`` and ``sla`` are for reading: a change is
        made with new ones (copies, as planning makes), never by changing them in place —
        the store writes only the JSON columns whose values are not those it read."""
        with map_db_errors(ticket=ticket_id):  # reading, and decoding (a damaged column)
            with self.connections.exclusive:
                cursor = self.connections.cursor()
                cursor.execute(self.sql.load.sql, self._load_params({"b_id": ticket_id}))
                rows = cursor.fetchall()
            if not rows:
                raise NotFound("no such ticket", ticket=ticket_id)
            ticket = self._ticket(rows[0])
            self._keep(rows[0], ticket)
            return ticket

    def _keep(self, row: Sequence[Any], ticket: Ticket) -> None:
        """Remember a row read and the ticket decoded from it (a copy: its ``data`` and
        ``sla`` are the very objects handed out)."""
        loaded = self._loaded
        if len(loaded) >= LOADED_ROWS:
            loaded.clear()
        loaded[(row[0], row[_VERSION_AT])] = (row, copy(ticket))

    def apply(self, change: Change, then: Along | None = None) -> None:
        """Commit a state change, or raise Conflict and write nothing.

        ``then`` runs in the same transaction after the change's writes (alert links).
        """
        ticket = change.ticket
        connections = self.connections
        with map_db_errors(ticket=ticket.id), connections.exclusive:
            cursor = connections.cursor()  # what _transaction does, without its generator
            cursor.execute(connections.begin)
            try:
                self._write(cursor, ticket, change)
                if then is not None:
                    then(cursor, ticket)
                cursor.execute("COMMIT")
            except BaseException:
                connections.rollback()
                raise

    def apply_all(self, changes: list[Change]) -> list[TicketflowError | None]:
        """Commit changes of different tickets in one transaction, each all or nothing on
        its own: what refused each (None: applied). A failure of the database as a whole
        (unreachable, busy) ends the transaction and is raised: then none is applied.

        SQLite runs each change in a savepoint. PostgreSQL sends the whole transaction in
        pipeline mode (a round trip per statement was most of a change's time): every
        write is sent, then the row counts are checked; when a change found its ticket or
        timer moved on, the transaction is rolled back and sent again without it.
        """
        if not changes:
            return []
        if self.connections.pipelined:
            return self._apply_pipelined(changes)
        connections = self.connections
        with map_db_errors(), connections.exclusive:
            cursor = connections.cursor()
            cursor.execute(connections.begin)
            try:
                refused = [self._write_alone(cursor, change) for change in changes]
                cursor.execute("COMMIT")
            except BaseException:
                connections.rollback()
                raise
        return refused

    def _apply_pipelined(self, changes: list[Change]) -> list[TicketflowError | None]:
        refused: list[TicketflowError | None] = [None] * len(changes)
        while True:
            left = [at for at, error in enumerate(refused) if error is None]
            try:
                moved = self._pipeline([changes[at] for at in left])
            except (DatabaseUnavailable, DatabaseBusy):
                raise
            except TicketflowError:  # a statement failed, no telling whose: each alone
                for at in left:
                    refused[at] = self._apply_one(changes[at])
                return refused
            if not moved:
                return refused
            for at in moved:
                change = changes[left[at]]
                refused[left[at]] = Conflict("changed by someone else while firing",
                                             ticket=change.ticket.id)

    def _pipeline(self, changes: list[Change]) -> list[int]:
        """Send ``changes`` in one pipelined transaction; committed when every row count
        checks out, else rolled back: the positions of the changes whose did not.

        The writes are gathered across the changes and sent once per statement
        (:class:`_Batch`): a round trip, and psycopg's work, per statement was most of a
        firing's time."""
        connections = self.connections
        with map_db_errors(), connections.exclusive:
            cursor = connections.cursor()
            try:
                with cursor.connection.pipeline() as pipeline:
                    cursor.execute(connections.begin)
                    batch = _Batch(self._batch_order)
                    for batch.change, change in enumerate(changes):
                        self._write(cursor, change.ticket, change, batch)
                    batch.send(cursor, connections.spares)
                    pipeline.sync()
                    moved = batch.moved()
                    cursor.execute("ROLLBACK" if moved else "COMMIT")
            except BaseException:
                connections.rollback()
                raise
        return moved

    def _apply_one(self, change: Change) -> TicketflowError | None:
        try:
            self.apply(change)
        except (DatabaseUnavailable, DatabaseBusy):
            raise
        except TicketflowError as error:
            return error
        return None

    def _write_alone(self, cursor: Any, change: Change) -> TicketflowError | None:
        """The writes of one change in a savepoint: rolled back to it when refused."""
        cursor.execute("SAVEPOINT change")
        try:
            with map_db_errors(ticket=change.ticket.id):
                self._write(cursor, change.ticket, change)
        except (DatabaseUnavailable, DatabaseBusy):
            raise
        except TicketflowError as error:
            cursor.execute("ROLLBACK TO SAVEPOINT change")
            return error
        cursor.execute("RELEASE SAVEPOINT change")
        return None

    def _write(self, cursor: Any, ticket: Ticket, change: Change,
               batch: _Batch | None = None) -> None:
        """The writes of :meth:`apply`, inside its transaction.

        ``batch`` (pipeline mode): the writes wait there to be sent with those of the
        other changes; the ticket update and the timer firing are checked to have changed
        one row each once the results are in, instead of at once.
        """
        changed = self._update_ticket(cursor, ticket, change.expected_version, batch)
        self._index(cursor, ticket, change.events, fields="data" in changed)
        if change.fired_timer is not None:
            self._fire_timer(cursor, ticket, change.fired_timer, batch)
        later = batch if batch is not None else cursor
        if change.cancel_states:
            self._cancel_timers(later, ticket.id, change.cancel_states)
        if change.cancel_kinds:
            self._cancel_kinds(later, ticket.id, change.cancel_kinds)
        if change.arm:
            self._insert_timers(later, change.arm)
        if change.notifications:
            self._insert_notifications(later, change.notifications)
        self._insert_events(later, change.events)
        for child in change.children:
            self._insert_ticket(cursor, child, parent_id=ticket.id)
        if change.admin or change.accounts:
            self.admin.write(cursor, change.admin, change.accounts)
        self._announce(cursor, ticket.id)

    def open_ticket(self, new: NewTicket, then: Along | None = None) -> Ticket:
        """Insert a ticket with its first events and timers; return it with its id.

        ``then`` runs in the same transaction with the new ticket (alert links).
        """
        with map_db_errors(), self._transaction() as cursor:
            ticket = self._insert_ticket(cursor, new, parent_id=new.ticket.parent_id)
            if then is not None:
                then(cursor, ticket)
            return ticket

    def append_admin(self, entries: list[AdminEntry], accounts: list[Account]
                     ) -> list[AdminEntry]:
        """Save accounts and append admin journal entries in one transaction."""
        with map_db_errors(), self._transaction() as cursor:
            return self.admin.write(cursor, entries, accounts)

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """One write transaction on this thread's connection: the only commit here."""
        with self.connections.exclusive:
            cursor = self.connections.cursor()
            cursor.execute(self.connections.begin)
            try:
                yield cursor
                cursor.execute("COMMIT")
            except BaseException:
                self.connections.rollback()
                raise

    def _announce(self, cursor: Any, ticket_id: int) -> None:
        """Tell listeners (PostgreSQL) that this ticket changes, once the change commits."""
        if self._notify is not None:
            cursor.execute(self._notify, (str(ticket_id),))

    def _run(self, cursor: Any, statement: Rendered, values: dict[str, Any]) -> Any:
        cursor.execute(statement.sql, statement.params(values))
        return cursor

    def _index(self, cursor: Any, ticket: Ticket, events: list[Event], *, fields: bool
               ) -> None:
        """Keep the ticket's search document: its fields when they changed, the events'
        notes appended."""
        if not fields and all(event.note is None for event in events):
            return  # nothing to index (most steps): no text to build
        notes = document_text(event.note for event in events)
        self.search.change(cursor, "ticket", ticket.id,
                           set_={"fields": document_text(ticket.data.values())} if fields else {},
                           append={"notes": notes} if notes else {})

    def _update_ticket(self, cursor: Any, ticket: Ticket, expected: int,
                       batch: _Batch | None = None) -> tuple[str, ...]:
        """Update the ticket from the version it was read at; the columns it set.

        ``batch`` (pipeline mode): the update is sent there, its row count checked by
        the caller once the results are in."""
        kept = self._loaded.pop((ticket.id, expected), None)
        values = self._changed_values(ticket, kept)
        names, sql, params = self._update_for(values, kept[0] if kept else None)
        values["b_id"], values["b_version"] = ticket.id, expected
        if batch is not None:
            batch.checked(sql, params(values))
            return names
        cursor.execute(sql, params(values))
        if cursor.rowcount != 1:
            found = self._run(cursor, self.sql.version, {"b_id": ticket.id}).fetchall()
            if not found:
                raise NotFound("no such ticket", ticket=ticket.id, state=ticket.state)
            raise Conflict(f"changed by someone else (version {found[0][0]}, this change "
                           f"was made from version {expected})", ticket=ticket.id)
        return names

    def _update_for(self, values: dict[str, Any], before: Sequence[Any] | None
                    ) -> tuple[tuple[str, ...], str, Callable[[Mapping[str, Any]], Any]]:
        """The columns whose values differ from the row read (all of them when that row is
        not at hand; the version alone, to its own value, when none does: the update is
        the version check), their update and its parameter layout. A JSON column given as
        the row holds it (:meth:`_changed_values`) is never set: on PostgreSQL that value
        is the decoded object, not text."""
        names = TICKET_CHANGES if before is None else tuple(
            name for name, at in _CHANGE_AT if values[name] != before[at]) or ("version",)
        if "sla" in names and "sla_due" not in names:
            names = (*names, "sla_due")
        found = self._updates.get(names)
        if found is None:
            statement = self.sql.update_of(names)
            found = self._updates[names] = (statement.sql, params_getter(statement))
        return (names, *found)

    def _fire_timer(self, cursor: Any, ticket: Ticket, timer_id: int,
                    batch: _Batch | None = None) -> None:
        values = {"b_ticket": ticket.id, "b_id": timer_id,
                  "fired_at": self.codec.time(ticket.updated_at)}
        if batch is not None:
            batch.checked(self.sql.fire.sql, self.sql.fire.params(values))
            return
        if self._run(cursor, self.sql.fire, values).rowcount != 1:
            raise Conflict(f"timer {timer_id} was already fired or cancelled",
                           ticket=ticket.id, state=ticket.state)

    def _cancel_timers(self, cursor: Any, ticket_id: int, states: list[str]) -> None:
        statement = self.sql.cancel
        if len(states) == 1:  # a step leaves one state: no list for executemany
            cursor.execute(statement.sql, self._cancel_params({"b_ticket": ticket_id,
                                                               "b_state": states[0]}))
            return
        cursor.executemany(statement.sql, [statement.params({"b_ticket": ticket_id,
                                                             "b_state": state})
                                           for state in states])

    def _cancel_kinds(self, cursor: Any, ticket_id: int, kinds: list[str]) -> None:
        statement = self.sql.cancel_kind
        cursor.executemany(statement.sql, [statement.params({"b_ticket": ticket_id,
                                                             "b_kind": kind})
                                           for kind in kinds])

    def _insert_notifications(self, cursor: Any, notifications: list[Notification]) -> None:
        statement = self.sql.insert_notification
        for notification in notifications:
            self._run(cursor, statement, {
                "post": notification.post, "ticket_id": notification.ticket_id,
                "kind": notification.kind, "message": notification.message,
                "at": self.codec.time(notification.at),
                "details": self.codec.json(notification.details)})

    def _insert_timers(self, cursor: Any, timers: list[Timer]) -> None:
        if timers:
            cursor.executemany(self.sql.insert_timer.sql,
                               [self._timer_row(self._timer_values(t)) for t in timers]
                               if self.sql.insert_timer.order else
                               [self._timer_values(t) for t in timers])

    def _insert_events(self, cursor: Any, events: list[Event]) -> None:
        if len(events) == 1:
            cursor.execute(self.sql.insert_event.sql,
                           self._event_params(self._event_values(events[0])))
        elif events:
            cursor.executemany(self.sql.insert_event.sql,
                               [self._event_row(self._event_values(e)) for e in events]
                               if self.sql.insert_event.order else
                               [self._event_values(e) for e in events])

    def _insert_ticket(self, cursor: Any, new: NewTicket, *, parent_id: int | None) -> Ticket:
        ticket = replace(new.ticket, parent_id=parent_id)
        ticket_id = self._run(cursor, self.sql.insert_ticket,
                              self._ticket_values(ticket)).fetchall()[0][0]
        events = chain(new.events, ticket_id=ticket_id)
        ticket = replace(ticket, id=ticket_id, seq=events[-1].seq if events else 0,
                         head=events[-1].hash if events else GENESIS)
        self._run(cursor, self.sql.set_head, {"b_id": ticket_id, "seq": ticket.seq,
                                              "head": ticket.head})
        self._insert_events(cursor, events)
        self._insert_timers(cursor, [replace(t, ticket_id=ticket_id) for t in new.timers])
        requester = ""
        if new.requester_id is not None:
            self._run(cursor, self.sql.insert_link, {"ticket_id": ticket_id,
                                                     "requester_id": new.requester_id})
            requester = self._requester_text(cursor, new.requester_id)
        self.search.put(cursor, "ticket", ticket_id, {
            "fields": document_text(ticket.data.values()),
            "notes": document_text(event.note for event in events), "requester": requester})
        self._announce(cursor, ticket_id)
        return ticket

    def _requester_text(self, cursor: Any, requester_id: int) -> str:
        """The requester's name, address and organisation, for the search index."""
        mark = self.search.mark
        cursor.execute(f"SELECT name, email, organisation FROM requesters WHERE id = {mark}",
                       (requester_id,))
        return document_text(cursor.fetchall()[0])

    def _ticket_values(self, ticket: Ticket) -> dict[str, Any]:
        time, json = self.codec.time, self.codec.json
        return {"process": ticket.process, "digest": ticket.digest, "state": ticket.state,
                "data": json(ticket.data), "post": ticket.post, "assignee": ticket.assignee,
                "is_open": ticket.is_open, "opened_at": time(ticket.opened_at),
                "updated_at": time(ticket.updated_at), "opened_by": ticket.opened_by,
                "parent_id": ticket.parent_id, "version": ticket.version, "seq": ticket.seq,
                "head": ticket.head, "state_since": time(ticket.state_since),
                "sla": json(ticket.sla), "sla_due": time(sla_due(ticket.sla)),
                "branches": json(ticket.branches)}

    def _changed_values(self, ticket: Ticket,
                        kept: tuple[Sequence[Any], Ticket] | None = None) -> dict[str, Any]:
        """The values of :data:`TICKET_CHANGES` (what an update sets). ``kept``: the row
        the change is made from and the ticket read from it; a ``data``, ``sla`` or
        ``branches`` made of
        the very values read (:func:`_copied`) is given as the row holds it, not encoded
        again — the update then leaves it out, as it does any column whose value is the
        row's."""
        time, json = self.codec.time, self.codec.json
        data, sla, branches = ticket.data, ticket.sla, ticket.branches
        if kept is None:
            data_value, sla_value, branches_value = json(data), json(sla), json(branches)
        else:
            row, read = kept
            data_value = row[_DATA_AT] if _copied(data, read.data) else json(data)
            sla_value = row[_SLA_AT] if _copied(sla, read.sla) else json(sla)
            branches_value = (row[_BRANCHES_AT] if _copied(branches, read.branches)
                              else json(branches))
        due = sla_due(sla) if sla else NO_DUE
        return {"process": ticket.process, "digest": ticket.digest, "state": ticket.state,
                "data": data_value, "post": ticket.post, "assignee": ticket.assignee,
                "is_open": ticket.is_open, "updated_at": time(ticket.updated_at),
                "version": ticket.version, "seq": ticket.seq, "head": ticket.head,
                "state_since": time(ticket.state_since), "sla": sla_value,
                "sla_due": self._no_due if due is NO_DUE else time(due),
                "branches": branches_value}

    def _event_values(self, event: Event) -> dict[str, Any]:
        values = dict(event.__dict__)
        values["at"] = self.codec.time(event.at)
        values["changes"] = self.codec.json(event.changes)
        values["details"] = self.codec.json(event.details)
        return values

    def _timer_values(self, timer: Timer) -> dict[str, Any]:
        return {"ticket_id": timer.ticket_id, "trigger": timer.trigger, "state": timer.state,
                "due_at": self.codec.time(timer.due_at), "status": timer.status,
                "kind": timer.kind, "child_id": timer.child_id}

    def _ticket(self, row: Sequence[Any]) -> Ticket:
        (id_, process, digest, state, data, post, assignee, is_open, opened_at, updated_at,
         opened_by, parent_id, version, seq, head, state_since, sla, branches) = row
        read_time, read_json = self.codec.read_time, self.codec.read_json
        return Ticket(id_, process, digest, state, read_json(data), post, assignee,
                      bool(is_open), read_time(opened_at), read_time(updated_at), opened_by,
                      parent_id, version, seq, head,
                      read_time(state_since) if state_since is not None else None,
                      read_json(sla), read_json(branches))


def _copied(after: Any, before: Any) -> bool:
    """Whether ``after`` is ``before`` or a copy of it made of the very same values (its
    dicts and lists rebuilt, the same keys in the same order): then it encodes to the same
    JSON text. Planning builds a step's data and SLA that way — copying, never changing a
    value the store handed out in place (:meth:`HotPath.load_ticket`). Equality would not
    do: ``True == 1 == 1.0``, ``0.0 == -0.0`` and dicts equal in another key order all
    encode differently."""
    if after is before:
        return True
    kind = type(after)
    if kind is not type(before) or kind not in (dict, list) or len(after) != len(before):
        return False
    if kind is list:
        return all(map(_copied, after, before))
    return all(key is old or (type(key) is str and key == old)
               for key, old in zip(after, before, strict=True)) and all(
        map(_copied, after.values(), before.values()))


class _Batch:
    """The writes of several changes sent in one pipelined transaction, one
    ``executemany`` per statement (psycopg converts a statement once, not per change):
    first the checked ones (ticket updates, then timer firings), each statement on a spare
    cursor of its own whose result per change is read once the results are in, then the
    unchecked ones, in the order a single change makes them (cancelling a kind of timer
    before arming new ones). It stands in for the cursor of the unchecked writes."""

    def __init__(self, order: Mapping[str, int]) -> None:
        self._order = order
        """Rank of each statement but the ticket updates (which come first)."""
        self._checked: dict[str, list[tuple[int, Any]]] = {}
        self._later: dict[str, list[Any]] = {}
        self._sent: list[tuple[Any, list[int]]] = []
        self.change = -1
        """The position of the change whose writes are being made."""

    def checked(self, sql: str, params: Any) -> None:
        """A write of the current change that must change exactly one row."""
        self._checked.setdefault(sql, []).append((self.change, params))

    def execute(self, sql: str, params: Any) -> None:
        self._later.setdefault(sql, []).append(params)

    def executemany(self, sql: str, params: Sequence[Any]) -> None:
        self._later.setdefault(sql, []).extend(params)

    def send(self, cursor: Any, spares: Callable[[int], list[Any]]) -> None:
        """Send every write: the checked ones on ``spares``' cursors, the rest on
        ``cursor``."""
        rank = self._order.get
        checked = sorted(self._checked, key=lambda sql: rank(sql, -1))
        for own, sql in zip(spares(len(checked)), checked, strict=True):
            own.executemany(sql, [params for _, params in self._checked[sql]],
                            returning=True)
            self._sent.append((own, [at for at, _ in self._checked[sql]]))
        for sql in sorted(self._later, key=self._order.__getitem__):
            cursor.executemany(sql, self._later[sql])

    def moved(self) -> list[int]:
        """Once the results are in: the positions of the changes a checked write of
        which changed no row (the ticket or the timer moved on meanwhile)."""
        moved: set[int] = set()
        for own, positions in self._sent:
            for number, at in enumerate(positions):
                if number:
                    own.nextset()
                if own.rowcount != 1:
                    moved.add(at)
        return sorted(moved)


def params_getter(statement: Rendered) -> Callable[[Mapping[str, Any]], Any]:
    """``statement.params`` for a hot statement, in one C call where it can be: with
    positional placeholders, a mapping of names to values becomes the tuple in placeholder
    order by ``itemgetter`` (the statement's literals merged in first, when it has any)."""
    order, literals = statement.order, dict(statement.literals)
    if order is None:
        return statement.params
    getter = rows_getter(order)
    if not literals:
        return getter
    return lambda values: getter({**literals, **values})


def chain(events: list[Event], *, ticket_id: int) -> list[Event]:
    """Seal a new ticket's events with its id, each chained to the one before."""
    sealed, previous = [], GENESIS
    for event in events:
        event = seal(replace(event, prev_hash=previous), ticket_id=ticket_id)
        sealed.append(event)
        previous = event.hash
    return sealed
