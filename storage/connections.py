"""One pool connection per thread, held open for the hot path and used at driver level.

Checking a connection out of SQLAlchemy's pool for every state change costs more than the
state change itself, so each thread keeps one. On PostgreSQL it runs in autocommit mode
(a read is one round trip); writes open their own transaction with ``BEGIN``. On SQLite
the engine's connections are already in autocommit mode; writes ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool


class _Held(threading.local):
    """This thread's checked-out connection and its reusable cursor."""

    fairy: Any = None
    driver: Any = None
    cursor: Any = None
    spares: list[Any] | None = None


class DriverConnections:
    """Hands each thread its own driver connection and cursor from the engine's pool."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held = _Held()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self._autocommit = engine.dialect.name == "postgresql"
        self.begin = "BEGIN IMMEDIATE" if engine.dialect.name == "sqlite" else "BEGIN"
        self.pipelined = engine.dialect.name == "postgresql"
        """Whether the driver sends statements without waiting for each answer (psycopg's
        pipeline mode)."""
        shared = isinstance(engine.pool, StaticPool)
        self.exclusive: AbstractContextManager[Any] = threading.RLock() if shared else nullcontext()
        """Held around each use of a connection every thread shares (in-memory SQLite),
        so that one thread's transaction never interleaves with another's."""

    def cursor(self) -> Any:
        """This thread's cursor (checking a connection out on first use, or anew when the
        held one was lost: a server restart or a killed backend closes it for good)."""
        held = self._held
        if held.cursor is None:
            return self._checkout()
        if self._autocommit and held.driver.closed:  # only PostgreSQL's can be lost
            self.discard(invalidate=True)
            return self._checkout()
        return held.cursor

    def spares(self, count: int) -> list[Any]:
        """``count`` more cursors of this thread's connection, kept with it and handed out
        again (pipeline mode reads each checked statement's row count from a cursor of its
        own; a new cursor costs a few µs and its type adapters are looked up anew)."""
        held = self._held
        spares = held.spares
        if spares is None:
            spares = held.spares = []
        while len(spares) < count:
            spares.append(held.driver.cursor())
        return spares[:count]

    def lost(self) -> bool:
        """Whether this thread's connection was lost (only PostgreSQL's can be)."""
        driver = self._held.driver
        return self._autocommit and driver is not None and bool(driver.closed)

    def rollback(self) -> None:
        """End a failed transaction; drop the connection if even that fails."""
        try:
            self._held.driver.rollback()
        except Exception:
            self.discard(invalidate=True)

    def discard(self, *, invalidate: bool = False) -> None:
        """Give this thread's connection back (or throw it away when it is broken)."""
        fairy = self._held.fairy
        if fairy is None:
            return
        self._held.fairy = self._held.driver = self._held.cursor = self._held.spares = None
        with self._lock:
            self._all.remove(fairy)
        if invalidate:
            fairy.invalidate()
        else:
            self._give_back(fairy)

    def close(self) -> None:
        """Give every thread's connection back to the pool."""
        with self._lock:
            held, self._all = self._all, []
        for fairy in held:
            self._give_back(fairy)
        self._held = _Held()

    def _checkout(self) -> Any:
        fairy = self._engine.raw_connection()
        driver: Any = fairy.driver_connection
        if self._autocommit:
            driver.autocommit = True
        with self._lock:
            self._all.append(fairy)
        held = self._held
        held.fairy, held.driver, held.cursor, held.spares = fairy, driver, driver.cursor(), None
        return held.cursor

    def _give_back(self, fairy: Any) -> None:
        try:
            if self._autocommit:
                fairy.driver_connection.autocommit = False
            fairy.close()
        except Exception:
            fairy.invalidate()
