"""ticketflow's storage: SQLModel tables, migrations, and the store behind engine's ports.

:func:`open_store` is the single entry point (the composition root ``tui/wiring.py`` calls
it): it creates the engine with the right settings and brings the schema to head.
"""

from __future__ import annotations

from storage.database import make_engine, upgrade
from storage.errors import (
    DatabaseBusy,
    DatabaseUnavailable,
    IntegrityViolation,
    SchemaError,
    StorageError,
    map_db_errors,
)
from storage.store import SqlStore

__all__ = [
    "DatabaseBusy",
    "DatabaseUnavailable",
    "IntegrityViolation",
    "SchemaError",
    "SqlStore",
    "StorageError",
    "map_db_errors",
    "open_store",
]


def open_store(url: str, *, synchronous: str = "FULL") -> SqlStore:
    """A store on the database at ``url``, its schema created or upgraded (idempotent)."""
    engine = make_engine(url, synchronous=synchronous)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine)
