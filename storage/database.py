"""Creating the SQLAlchemy engine for a database URL, and bringing its schema to head.

SQLite: WAL, foreign keys on, a busy timeout, ``synchronous`` FULL unless told otherwise,
and pysqlite in autocommit mode (``isolation_level=None``) so that the store itself opens
every write transaction with ``BEGIN IMMEDIATE`` right before its writes. PostgreSQL runs
through psycopg 3 with the same code.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from storage.codec import encode_json
from storage.errors import SchemaError, StorageError, map_db_errors
from storage.migrations import head

if TYPE_CHECKING:
    from alembic.config import Config

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
BUSY_TIMEOUT_MS = 5000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 7_401_245_311
"""The PostgreSQL advisory lock key that serialises schema upgrades."""

def make_engine(url: str, *, synchronous: str = "FULL") -> Engine:
    """An engine for ``url``; a ``?synchronous=`` query parameter overrides the argument."""
    with map_db_errors():
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, synchronous)
        return create_engine(parsed, json_serializer=encode_json, pool_pre_ping=True)


def _sqlite_engine(url: URL, synchronous: str) -> Engine:
    level = str(url.query.get("synchronous", synchronous)).upper()
    if level not in SYNCHRONOUS:
        raise StorageError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, not {level!r}")
    url = url.difference_update_query(["synchronous"])
    options: dict[str, Any] = {}
    if url.database in (None, "", ":memory:"):
        options["poolclass"] = StaticPool
    engine = create_engine(url, json_serializer=encode_json, **options, connect_args={
        "isolation_level": None, "check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", partial(_sqlite_pragmas, synchronous=level))
    return engine


def _sqlite_pragmas(connection: Any, record: Any, *, synchronous: str) -> None:
    """Per-connection settings (journal_mode WAL also sticks to the file)."""
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", f"busy_timeout={BUSY_TIMEOUT_MS}",
                   f"synchronous={synchronous}"):
        connection.execute(f"PRAGMA {pragma}").close()


def migration_config() -> Config:
    """Alembic's configuration, built in code: no alembic.ini needed at run time."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; cheap (no Alembic import) when there."""
    with map_db_errors(), engine.connect() as connection:
        if revision(connection) == head():
            return
        _lock_schema(connection)
        _run_migrations(connection)
        connection.commit()


def revision(connection: Connection) -> str | None:
    """The schema revision the database is at (None: no schema yet)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _run_migrations(connection: Connection) -> None:
    from alembic import command
    from alembic.util import CommandError

    config = migration_config()
    config.attributes["connection"] = connection
    try:
        command.upgrade(config, "head")
    except CommandError as exc:
        raise SchemaError(f"cannot upgrade the database schema: {exc}") from exc


def _lock_schema(connection: Connection) -> None:
    """Serialise concurrent upgrades (several processes opening a new database at once)."""
    connection.rollback()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
