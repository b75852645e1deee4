"""Backups while agents work, and restores into a new, empty database.

SQLite: the online backup API copies every page in one step under a read snapshot (WAL
lets writers go on meanwhile), giving a consistent SQLite file. PostgreSQL: a logical
dump — every row of every table, read in one REPEATABLE READ, read-only transaction — as
JSON Lines (a header line, then ``{"table": …, "row": …}`` lines, then a manifest line:
the rows per table and the SHA-256 of every line before it). A restore checks the whole
backup first — a dump's manifest, counts and digest — and only then creates the schema in
the target, copies every row in foreign-key order, and moves PostgreSQL's id sequences past
the restored ids; a restore that fails removes the SQLite file it created. Either kind of
backup restores onto either backend.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import Engine, Select, Table, func, insert, make_url, select, text

from storage.codec import encode_json
from storage.database import make_engine, revision, upgrade
from storage.errors import StorageError, map_db_errors
from storage.migrations import head
from storage.models import UTCDateTime, metadata
from storage.search import rebuild_articles, rebuild_tickets

SQLITE_MAGIC = b"SQLite format 3\x00"
DUMP_FORMAT = "ticketflow-dump"
MANIFEST = "manifest"
"""The key of a dump's last line: rows per table and the SHA-256 of every line before it."""
BATCH = 1000
TABLES: list[Table] = list(metadata.sorted_tables)
"""Every table, parents before children."""


def backup(url: str, path: Path) -> str:
    """Copy the database at ``url`` to a new file; the kind of backup made."""
    if path.exists():
        raise StorageError(f"{path} exists already; back up to a new file")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _sqlite_backup(parsed.database, path)
        return "sqlite"
    with map_db_errors():
        engine = make_engine(url)
        try:
            _dump(engine, path)
        finally:
            engine.dispose()
    return "dump"


def _sqlite_backup(database: str | None, path: Path) -> None:
    if database in (None, "", ":memory:"):
        raise StorageError("an in-memory database cannot be backed up")
    if not Path(str(database)).exists():
        raise StorageError(f"no database file {database}")
    with map_db_errors():
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        target = sqlite3.connect(path)
        try:
            source.backup(target)  # every page in one step: one consistent snapshot
        finally:
            target.close()
            source.close()


def _dump(engine: Engine, path: Path) -> None:
    with engine.connect() as connection, path.open("w", encoding="utf-8") as out:
        connection = connection.execution_options(isolation_level="REPEATABLE READ",
                                                  postgresql_readonly=True)
        with connection.begin():
            header = {"format": DUMP_FORMAT, "revision": revision(connection),
                      "taken_at": datetime.now(UTC).isoformat(),
                      "dialect": engine.dialect.name}
            digest, counts = hashlib.sha256(), dict.fromkeys((t.name for t in TABLES), 0)

            def write(record: dict[str, Any]) -> None:
                line = encode_json(record) + "\n"
                digest.update(line.encode("utf-8"))
                out.write(line)

            write(header)
            for table in TABLES:
                rows = connection.execution_options(yield_per=BATCH).execute(_ordered(table))
                for row in rows:
                    write({"table": table.name, "row": dict(row._mapping)})
                    counts[table.name] += 1
            out.write(encode_json({MANIFEST: {"rows": counts, "sha256": digest.hexdigest()}})
                      + "\n")


def restore(path: Path, url: str) -> int:
    """Copy a backup into the new, empty database at ``url``; how many rows."""
    if not path.is_file():
        raise StorageError(f"no backup file {path}")
    if not _is_sqlite(path):
        check_dump(path)  # before anything is written
    created = _new_sqlite_file(url)
    try:
        with map_db_errors():
            target = make_engine(url)
            try:
                upgrade(target)
                _require_empty(target)
                return _copy(_rows(path), target)
            finally:
                target.dispose()
    except BaseException:
        if created is not None:  # leave nothing behind
            for leftover in (created, *(Path(f"{created}{end}") for end in ("-wal", "-shm",
                                                                              "-journal"))):
                leftover.unlink(missing_ok=True)
        raise


def _new_sqlite_file(url: str) -> Path | None:
    """The SQLite file a restore to ``url`` would create (None: it exists, or no file)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(str(parsed.database))
    return None if path.exists() else path


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as probe:
        return probe.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def check_dump(path: Path) -> None:
    """Refuse a dump that is cut, padded or edited: its manifest must match every line."""
    digest, counts, manifest = hashlib.sha256(), {t.name: 0 for t in TABLES}, None
    with path.open("rb") as lines:
        header = _header(lines.readline().decode("utf-8", "replace"))
        if header.get("revision") != head():
            raise StorageError(f"the dump is of schema {header.get('revision')}, this "
                               f"ticketflow has {head()}: restore it with the same version")
        lines.seek(0)
        for line in lines:
            if manifest is not None:
                raise StorageError(f"{path}: lines after the manifest: not a dump as written")
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict) and MANIFEST in record:
                manifest = record[MANIFEST]
                continue
            digest.update(line)
            if isinstance(record, dict) and record.get("table") in counts:
                counts[record["table"]] += 1
    _match_manifest(path, manifest, counts, digest.hexdigest())


def _match_manifest(path: Path, manifest: Any, counts: dict[str, int], digest: str) -> None:
    if not isinstance(manifest, dict):
        raise StorageError(f"{path}: the dump has no manifest at its end: it is incomplete "
                           "(cut short) or not written by this ticketflow; nothing restored")
    if manifest.get("rows") != counts:
        wrong = [f"{name} {counts[name]} of {manifest.get('rows', {}).get(name)}"
                 for name in counts if counts[name] != manifest.get("rows", {}).get(name)]
        raise StorageError(f"{path}: the dump does not hold the rows its manifest lists "
                           f"({', '.join(wrong) or 'other tables'}); nothing restored")
    if manifest.get("sha256") != digest:
        raise StorageError(f"{path}: the dump's content does not match its manifest's "
                           "digest (changed after it was written); nothing restored")


def _rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open("rb") as probe:
        magic = probe.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        yield from _sqlite_rows(path)
    else:
        yield from _dump_rows(path)


def _sqlite_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with TemporaryDirectory() as folder:
        copy = Path(folder) / "backup.db"
        _sqlite_backup(str(path), copy)  # never touch the backup itself
        source = make_engine(f"sqlite:///{copy}")
        try:
            upgrade(source)  # an older backup is brought to this schema first
            with source.connect() as connection:
                for table in TABLES:
                    for row in connection.execute(_ordered(table)):
                        yield table.name, dict(row._mapping)
        finally:
            source.dispose()


def _ordered(table: Table) -> Select[Any]:
    return select(table).order_by(*table.primary_key.columns)


def _dump_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8") as lines:
        header = _header(lines.readline())
        if header.get("revision") != head():
            raise StorageError(f"the dump is of schema {header.get('revision')}, this "
                               f"ticketflow has {head()}: restore it with the same version")
        for line in lines:
            record = json.loads(line)
            if MANIFEST not in record:  # checked before the restore began
                yield record["table"], _typed(metadata.tables[record["table"]], record["row"])


def _header(line: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != DUMP_FORMAT:
        raise StorageError("not a ticketflow backup (neither SQLite nor a ticketflow dump)")
    return header


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A dumped row with its timestamps parsed back."""
    for column in table.columns:
        value = row.get(column.name)
        if isinstance(column.type, UTCDateTime) and isinstance(value, str):
            row[column.name] = datetime.fromisoformat(value)
    return row


def _require_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        for table in TABLES:
            if connection.execute(select(func.count()).select_from(table)).scalar():
                raise StorageError(f"the target database is not empty (table {table.name}); "
                                   "restore into a new database")


def _copy(rows: Iterator[tuple[str, dict[str, Any]]], engine: Engine) -> int:
    count = 0
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        batch: list[dict[str, Any]] = []
        current = None
        for name, row in rows:
            if name != current or len(batch) >= BATCH:
                _flush(connection, current, batch)
                current, batch = name, []
            batch.append(row)
            count += 1
        _flush(connection, current, batch)
        _move_sequences(connection)
        rebuild_tickets(connection)  # the search index is not in a backup: it is derived
        rebuild_articles(connection)
        connection.commit()
    return count


def _flush(connection: Any, name: str | None, batch: list[dict[str, Any]]) -> None:
    if name is not None and batch:
        connection.execute(insert(metadata.tables[name]), batch)


def _move_sequences(connection: Any) -> None:
    """On PostgreSQL, let new ids follow the restored ones."""
    if connection.dialect.name != "postgresql":
        return
    for table in TABLES:
        column = table.columns.get("id")
        if column is None or not column.autoincrement:
            continue
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
