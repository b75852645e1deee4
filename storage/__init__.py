"""ticketflow's storage: SQLModel tables, migrations, and the store behind engine's ports.

:func:`open_store` is the single entry point (the composition root ``tui/wiring.py`` calls
it): it creates the engine with the right settings and brings the schema to head.
:func:`storage.reader.open_reader` is the light one for the command line's reads: the
driver alone, no SQLAlchemy.

The names below are imported when first used (PEP 562), so that importing
``storage.reader`` does not pay for SQLAlchemy and the table classes.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {"SqlStore": "storage.store", **{name: "storage.errors" for name in (
    "DatabaseBusy", "DatabaseUnavailable", "IntegrityViolation", "SchemaError", "StorageError",
    "map_db_errors")}}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)


def open_store(url: str, *, synchronous: str = "FULL") -> SqlStore:
    """A store on the database at ``url``, its schema created or upgraded (idempotent)."""
    from storage.database import make_engine, upgrade
    from storage.store import SqlStore

    engine = make_engine(url, synchronous=synchronous)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine)
