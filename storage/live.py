"""Hearing at once that another connection changed tickets, without polling the tables.

PostgreSQL: the hot path sends ``pg_notify`` with the ticket's id in the transaction of
each ticket change (:data:`NOTIFY`), so the notification is delivered when — and only if —
the change commits; a :class:`NotifyFeed` listens on a dedicated connection. The channel
is named after the schema, so desks in different schemas of one database do not hear each
other.

SQLite: ``PRAGMA data_version`` on a dedicated connection changes when any other
connection commits; a :class:`VersionFeed` reads it every :data:`SQLITE_INTERVAL` seconds
(a read of the shared header, no table touched) and says "something changed", not what.

A feed's :meth:`wait` returns None when nothing changed within the time given, else the
ids of the tickets changed — empty when the backend cannot tell which.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from storage.errors import map_db_errors
from storage.reader import _connect

PREFIX = "ticketflow:"
"""The channel: this prefix and the schema's name."""
NOTIFY = f"SELECT pg_notify('{PREFIX}' || current_schema(), %s)"
"""Sent with a ticket's id, in the transaction that changes it (PostgreSQL only)."""
SQLITE_INTERVAL = 0.1
"""Seconds between two reads of SQLite's data version."""
BURST = 0.02
"""Seconds PostgreSQL's feed waits for more notifications after the first (one commit of
many tickets sends one each)."""


class Feed(Protocol):
    """Waits for other connections' ticket changes."""

    def wait(self, seconds: float) -> frozenset[int] | None:
        """The tickets changed within ``seconds`` (empty: which is unknown); None: none.
        Raises DatabaseUnavailable when the connection is lost: open a new feed."""
        ...

    def close(self) -> None: ...


def open_feed(url: str) -> Feed | None:
    """A feed on the database at ``url``; None for an in-memory SQLite database (no other
    connection can change it) or a database the driver cannot reach now."""
    connection = _connect(url)
    if connection is None:
        return None
    with map_db_errors():
        if url.startswith("sqlite"):
            return VersionFeed(connection)
        return NotifyFeed(connection)


class VersionFeed:
    """SQLite: reads ``PRAGMA data_version`` until it changes."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.version = self._version()

    def wait(self, seconds: float) -> frozenset[int] | None:
        with map_db_errors():
            return self._wait(seconds)

    def _wait(self, seconds: float) -> frozenset[int] | None:
        deadline = time.monotonic() + seconds
        while (version := self._version()) == self.version:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(SQLITE_INTERVAL, left))
        self.version = version
        return frozenset()

    def close(self) -> None:
        self.connection.close()

    def _version(self) -> int:
        return int(self.connection.execute("PRAGMA data_version").fetchone()[0])


class NotifyFeed:
    """PostgreSQL: LISTENs on the schema's channel on a connection of its own."""

    def __init__(self, connection: Any) -> None:
        from psycopg import sql

        self.connection = connection
        schema = connection.execute("SELECT current_schema()").fetchone()[0]
        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(PREFIX + schema)))

    def wait(self, seconds: float) -> frozenset[int] | None:
        with map_db_errors():
            return self._wait(seconds)

    def _wait(self, seconds: float) -> frozenset[int] | None:
        first = list(self.connection.notifies(timeout=seconds, stop_after=1))
        if not first:
            return None
        rest = list(self.connection.notifies(timeout=BURST))
        return frozenset(int(note.payload) for note in first + rest
                         if note.payload.isdigit())

    def close(self) -> None:
        self.connection.close()
