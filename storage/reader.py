"""The command line's light reads: the part of the store port that ``show`` and ``history``
use, on the database driver alone (sqlite3, psycopg), without SQLAlchemy or the tables.

Importing SQLAlchemy, its ORM and the SQLModel table classes costs a short command most of
its start-up (docs/performance.md); a read of one ticket needs none of it. The statements
here read the columns the tables define, in the order and with the conversions the full
store uses (:class:`storage.codec.Codec`, :func:`storage.errors.map_db_errors`), and the
engine's own rules run on what they return; a test holds the two paths to byte-identical
output. Nothing here writes: resuming a login session only reads (its lifetime is fixed
when it starts).

:func:`open_reader` gives a reader only for a SQLite file or a PostgreSQL database already
at the newest migration; for anything else (another backend, an in-memory database, no
schema yet or an older one) it gives None and the caller opens the full store, which
creates or upgrades the schema and reports what is wrong.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from engine.core.errors import NotFound
from engine.core.journal import Event
from engine.core.model import Account, ProcessVersion, Requester, Ticket, Timer
from storage.codec import Codec
from storage.errors import map_db_errors
from storage.migrations import head

Row = TypeVar("Row", Ticket, Timer, Event, Account, ProcessVersion, Requester)
SQLITE = "sqlite:///"
POSTGRESQL = ("postgresql://", "postgresql+psycopg://")
BUSY_TIMEOUT_S = 5.0
"""As long as the full store waits for a lock (``storage.database.BUSY_TIMEOUT_MS``)."""


class Reader:
    """Reads of tickets, their journals, timers and requesters, accounts and sessions."""

    def __init__(self, connection: Any, *, sqlite: bool) -> None:
        self.connection = connection
        self.codec = Codec(sqlite=sqlite)
        self.mark = "?" if sqlite else "%s"

    def close(self) -> None:
        self.connection.close()

    def session_user(self, token_hash: str, *, now: datetime) -> str:
        """The username of a live session; NotFound when unknown or expired."""
        rows = self._rows("SELECT username FROM login_sessions WHERE token_hash = ? "
                          "AND expires_at > ?", token_hash, self.codec.time(now))
        if not rows:
            raise NotFound("no such login session (or it expired): log in again")
        return str(rows[0][0])

    def get_account(self, username: str) -> Account:
        return self._one(Account, "accounts", "username = ?", username,
                         missing=NotFound(f"no account {username!r}"))

    def load_ticket(self, ticket_id: int) -> Ticket:
        return self._one(Ticket, "tickets", "id = ?", ticket_id,
                         missing=NotFound("no such ticket", ticket=ticket_id))

    def get_version(self, digest: str) -> ProcessVersion:
        return self._one(ProcessVersion, "process_versions", "digest = ?", digest,
                         missing=NotFound(f"no process version {digest[:12]}"))

    def get_requester(self, requester_id: int) -> Requester:
        return self._one(Requester, "requesters", "id = ?", requester_id,
                         missing=NotFound(f"no requester {requester_id}"))

    def events(self, ticket_id: int, *, until: datetime | None = None) -> list[Event]:
        """A ticket's journal in order (up to ``until``, inclusive)."""
        where, values = "ticket_id = ?", [ticket_id]
        if until is not None:
            where, values = where + " AND at <= ?", [ticket_id, self.codec.time(until)]
        events = self._all(Event, "events", f"{where} ORDER BY seq", *values)
        if not events:
            self.load_ticket(ticket_id)
        return events

    def pending_timers(self, ticket_id: int) -> list[Timer]:
        """A ticket's pending timers, earliest first."""
        timers = self._all(Timer, "timers", "ticket_id = ? AND status = 'pending' "
                           "ORDER BY due_at, id", ticket_id)
        if not timers:
            self.load_ticket(ticket_id)
        return timers

    def ticket_requester(self, ticket_id: int) -> int | None:
        """The id of the requester a ticket is for (None: it is for nobody outside)."""
        rows = self._rows("SELECT requester_id FROM ticket_requesters WHERE ticket_id = ?",
                          ticket_id)
        return int(rows[0][0]) if rows else None

    def _one(self, kind: type[Row], table: str, where: str, *values: Any,
             missing: NotFound) -> Row:
        found = self._all(kind, table, where, *values)
        if not found:
            raise missing
        return found[0]

    def _all(self, kind: type[Row], table: str, where: str, *values: Any) -> list[Row]:
        names = [f.name for f in fields(kind)]
        columns = ", ".join(f'"{name}"' for name in names)  # quoted: a field may be a keyword
        rows = self._rows(f"SELECT {columns} FROM {table} WHERE {where}", *values)
        with map_db_errors():  # decoding, too: a damaged column
            return [kind(**self._decoded(kind, dict(zip(names, row, strict=True))))
                    for row in rows]

    def _decoded(self, kind: type[Row], values: dict[str, Any]) -> dict[str, Any]:
        """Column values as the engine's objects hold them (as the full store gives them)."""
        for item in fields(kind):
            value, typed = values[item.name], str(item.type)
            if value is None:
                continue
            if typed.startswith("datetime"):
                values[item.name] = self.codec.read_time(value)
            elif typed.startswith(("dict[", "list[")):
                values[item.name] = self.codec.read_json(value)
            elif typed == "bool":
                values[item.name] = bool(value)
        return values

    def _rows(self, sql: str, *values: Any) -> list[Any]:
        with map_db_errors():
            cursor = self.connection.cursor()
            try:
                cursor.execute(sql.replace("?", self.mark), values)
                return list(cursor.fetchall())
            finally:
                cursor.close()


def open_reader(url: str) -> Reader | None:
    """A reader on the database at ``url`` when it is at the newest migration; else None."""
    connection = _connect(url)
    if connection is None:
        return None
    reader = Reader(connection, sqlite=url.startswith(SQLITE))
    try:
        current = reader._rows("SELECT version_num FROM alembic_version")
    except Exception:  # no schema yet, a server that refuses: the full store says why
        reader.close()
        return None
    if [tuple(row) for row in current] != [(head(),)]:
        reader.close()
        return None
    return reader


def _connect(url: str) -> Any:
    """A driver connection for a SQLite file or a PostgreSQL URL (None: anything else)."""
    try:
        if url.startswith(SQLITE):
            return _sqlite(url.removeprefix(SQLITE))
        for scheme in POSTGRESQL:
            if url.startswith(scheme):
                import psycopg

                return psycopg.connect("postgresql://" + url.removeprefix(scheme),
                                       autocommit=True)
    except Exception:  # unreachable, refused, a URL the driver reads otherwise: see above
        return None
    return None


def _sqlite(path: str) -> Any:
    """An existing SQLite file, opened for reading as the full store opens it (None: a
    memory database, a URL with options, or no such file: the full store handles those)."""
    import sqlite3

    if path in ("", ":memory:") or "?" in path or "%" in path:
        return None
    connection = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True,
                                 isolation_level=None, timeout=BUSY_TIMEOUT_S,
                                 check_same_thread=False)
    connection.execute("PRAGMA foreign_keys=ON").close()
    return connection
