"""Storage errors, and the one place database and driver errors are translated.

    TicketflowError                     (engine.core.errors)
    ├── ServiceError
    │   ├── Conflict                    a stale version, an event seq taken, a timer gone
    │   └── BadRequest                  an integer too large for SQLite's 64 bits
    └── StorageError                    the database refused or failed
        ├── DatabaseUnavailable         cannot open or reach the database (or a bad URL)
        ├── DatabaseBusy                another writer held the lock past the busy timeout
        ├── DatabaseCorrupt             the file is damaged: not a database, malformed
        │                               pages, undecodable text or JSON in a column
        ├── SchemaError                 tables missing, or a schema newer than this code
        └── IntegrityViolation          a row broke a constraint (a missing parent, ...)
"""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from types import ModuleType, TracebackType

from engine.core.errors import BadRequest, Conflict, TicketflowError

EVENT_SEQ_KEY = "uq_events_ticket_id_seq"
"""The unique key that makes the journal append-only: a clash is a conflict."""


class StorageError(TicketflowError):
    """The database refused a request or failed to answer."""

    title = "Database error"


class DatabaseUnavailable(StorageError):
    title = "Database unavailable"


class DatabaseBusy(StorageError):
    title = "Database busy"
    exit_code = 3


class DatabaseCorrupt(StorageError):
    """Retrying cannot help: restore a backup (``ticketflow restore``)."""

    title = "Database damaged"


class SchemaError(StorageError):
    title = "Database schema problem"


class IntegrityViolation(StorageError):
    title = "Refused by the database"


_SEQ_CLASH = ("events.ticket_id, events.seq", EVENT_SEQ_KEY)
_BUSY = ("database is locked", "database table is locked", "lock timeout")
_CORRUPT = ("malformed", "file is not a database", "could not decode to utf-8")
_SCHEMA = ("no such table", "no such column", "undefinedtable", "undefinedcolumn")


def map_db_errors(*, ticket: int | None = None) -> AbstractContextManager[None]:
    """Translate SQLAlchemy and driver errors raised inside into ticketflow errors."""
    return _MapDbErrors(ticket)


class _MapDbErrors:
    """:func:`map_db_errors` as a plain context manager: entering and leaving cost a tenth
    of ``@contextmanager``'s generator, and the hot path enters one per state change."""

    __slots__ = ("ticket",)

    def __init__(self, ticket: int | None) -> None:
        self.ticket = ticket

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        if exc is None or not isinstance(exc, Exception):
            return  # no error, or KeyboardInterrupt and the like: they go on as they are
        error = db_error(exc, ticket=self.ticket)
        if error is not None:
            raise error from exc


def db_error(exc: Exception, *, ticket: int | None = None) -> BaseException | None:
    """What :func:`map_db_errors` raises for ``exc`` (None: ``exc`` itself, unchanged)."""
    if isinstance(exc, TicketflowError):
        return None
    sa_exc = _sqlalchemy_errors()
    if sa_exc is not None and isinstance(exc, sa_exc.StatementError):
        if isinstance(exc.orig, ValueError | TypeError):  # our own value check, not the db
            return exc.orig
        return translate(exc, ticket=ticket)
    if isinstance(exc, OSError) or (sa_exc is not None
                                    and isinstance(exc, sa_exc.SQLAlchemyError)):
        return translate(exc, ticket=ticket)
    if isinstance(exc, json.JSONDecodeError):  # only stored JSON is decoded in here
        return DatabaseCorrupt(f"the database is damaged (a JSON column holds {exc}): "
                               "restore a backup")
    if isinstance(exc, OverflowError):  # sqlite3 binding an integer wider than 64 bits
        return BadRequest("a number is too large for the database", ticket=ticket)
    if not _is_driver_error(exc):
        return None
    return translate(exc, ticket=ticket)


def translate(exc: BaseException, *, ticket: int | None = None) -> TicketflowError:
    """The ticketflow error for a SQLAlchemy or DBAPI error."""
    sa_exc = _sqlalchemy_errors()
    original = exc
    if sa_exc is not None and isinstance(exc, sa_exc.DBAPIError) and exc.orig:
        original = exc.orig
    kinds = {cls.__name__ for cls in type(original).__mro__}
    text = " ".join(str(original).split())
    lowered = f"{type(original).__name__} {text}".lower()
    if "IntegrityError" in kinds and any(key in text for key in _SEQ_CLASH):
        return Conflict("the journal already has this event (changed by someone else)",
                        ticket=ticket)
    if "IntegrityError" in kinds:
        return IntegrityViolation(text)
    if "NumericValueOutOfRange" in kinds:  # PostgreSQL: an id beyond its integer column
        return BadRequest(f"a number is out of the database's range ({text})", ticket=ticket)
    if any(key in lowered for key in _CORRUPT):
        return DatabaseCorrupt(f"the database is damaged ({text}): restore a backup")
    if any(key in lowered for key in _BUSY):
        return DatabaseBusy(f"the database stayed locked by another writer: {text}")
    if any(key in lowered for key in _SCHEMA):
        return SchemaError(f"{text} (run `ticketflow init` to create or upgrade the schema)")
    if "OperationalError" in kinds or isinstance(exc, OSError) or (
            sa_exc is not None and isinstance(exc, sa_exc.ArgumentError)):
        return DatabaseUnavailable(f"cannot use the database: {text}")
    return StorageError(text)


def _is_driver_error(exc: Exception) -> bool:
    """Whether ``exc`` is a PEP 249 driver error (sqlite3, psycopg)."""
    return any(cls.__name__ == "Error" and cls.__module__ in ("sqlite3", "psycopg")
               for cls in type(exc).__mro__)


def _sqlalchemy_errors() -> ModuleType | None:
    """SQLAlchemy's errors when it is loaded: when it is not (the light reader), no error
    can be one of them, and importing it only to find that out would cost 0.2 s."""
    return sys.modules.get("sqlalchemy.exc")
