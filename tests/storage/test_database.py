"""The database itself: schema at head and matching the models, settings, error mapping."""

from __future__ import annotations

import sqlite3
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.core.model import TicketQuery
from storage import (
    DatabaseBusy,
    DatabaseUnavailable,
    SchemaError,
    SqlStore,
    StorageError,
    map_db_errors,
    open_store,
)
from storage.database import make_engine, migration_config
from storage.migrations import head, include_name
from storage.models import metadata
from tests.storage.samples import NOW, opening, ticket, version


def revision(store: SqlStore) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_head_names_the_newest_migration_as_alembic_does() -> None:
    assert head() == ScriptDirectory.from_config(migration_config()).get_current_head()


def test_open_store_upgrades_to_head_and_is_idempotent(store_url: str) -> None:
    with open_store(store_url) as first:
        assert revision(first) == head()
        if store_url != "sqlite://":
            with open_store(store_url) as second:
                assert revision(second) == head()


def test_the_migrations_build_exactly_the_models(store: SqlStore) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": include_name})
        assert compare_metadata(context, metadata) == []


def test_timestamps_come_back_aware_utc(store: SqlStore) -> None:
    store.save_version(version())
    local = NOW.astimezone(timezone(timedelta(hours=8)))
    opened = store.open_ticket(opening(ticket(opened_at=local, updated_at=local)))
    for found in (store.load_ticket(opened.id), store.list_tickets(TicketQuery())[0]):
        assert found.opened_at == NOW
        assert found.opened_at.utcoffset() == timedelta(0)
        assert found.state_since is not None and found.state_since.utcoffset() == timedelta(0)
    assert store.events(opened.id)[0].at.tzinfo is not None


def sqlite_settings(store: SqlStore) -> dict[str, object]:
    with store.engine.connect() as connection:
        return {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")}


def test_sqlite_files_run_in_wal_with_full_sync_by_default(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        assert sqlite_settings(store) == {"journal_mode": "wal", "foreign_keys": 1,
                                          "busy_timeout": 5000, "synchronous": 2}


def test_synchronous_is_set_by_argument_or_url(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'a.db'}", synchronous="normal") as store:
        assert sqlite_settings(store)["synchronous"] == 1
    with open_store(f"sqlite:///{tmp_path / 'a.db'}?synchronous=NORMAL") as store:
        assert sqlite_settings(store)["synchronous"] == 1
    with pytest.raises(StorageError, match="synchronous"):
        open_store(f"sqlite:///{tmp_path / 'a.db'}?synchronous=SOMETIMES")


def test_an_unreachable_database_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable):
        open_store(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'a.db'}")
    with pytest.raises(DatabaseUnavailable):
        open_store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(DatabaseUnavailable):
        open_store("nonsense://")


def test_a_database_without_the_schema_is_a_schema_error(tmp_path: Path) -> None:
    with SqlStore(make_engine(f"sqlite:///{tmp_path / 'empty.db'}")) as bare:
        with pytest.raises(SchemaError, match="ticketflow init"):
            bare.load_ticket(1)
        with pytest.raises(SchemaError):
            bare.list_accounts()


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    with pytest.raises(SchemaError, match="from_the_future"):
        open_store(f"sqlite:///{path}")


def test_driver_errors_are_translated_at_the_boundary() -> None:
    with pytest.raises(StorageError) as caught, map_db_errors():
        sqlite3.connect(":memory:").execute("SELEC 1")
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)


def test_a_lock_held_past_the_busy_timeout_is_reported_busy(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, isolation_level=None, timeout=0)
    with pytest.raises(DatabaseBusy, match="locked"), map_db_errors():
        waiter.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
