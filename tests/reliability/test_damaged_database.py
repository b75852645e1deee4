"""A damaged SQLite file: every command says so in one line and exits, nothing retries.

Retrying cannot mend a damaged file (the timer worker waits and retries only while the
database is unreachable or locked); the message says to restore a backup.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.audit.test_cli import ticket
from tests.desk.test_cli import ADMIN, AGENT, ROOT, Cli

DAMAGED = "the database is damaged"


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A SQLite desk with the seed processes and one agent, driven by the CLI."""
    cli = Cli(f"sqlite:///{tmp_path / 'desk.db'}", capsys, monkeypatch)
    assert cli("init", "--admin", "root", "--password-stdin", stdin=ADMIN + "\n")[0] == 0
    assert cli("deploy", str(ROOT / "flows"), user="root", password=ADMIN)[0] == 0
    assert cli("users", "add", "ann", "--role", "agent", "--post", "service_desk",
               "--password-stdin", stdin=AGENT + "\n", user="root", password=ADMIN)[0] == 0
    return cli


def damage(path: Path, sql: str) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(sql)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def one_line_error(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 2 and err.count("\n") == 1, err
    assert "retrying" not in out + err
    return err


def test_garbage_in_a_json_column_is_reported_as_damage(cli: Cli, tmp_path: Path) -> None:
    number = ticket(cli)
    damage(tmp_path / "desk.db", f"UPDATE tickets SET data = '{{not json' WHERE id = {number}")
    for command in (("show", number), ("fire", number, "take")):
        assert DAMAGED in one_line_error(cli(*command))
    assert DAMAGED in one_line_error(cli("audit", "verify", user="root", password=ADMIN))
    assert cli("replay", number)[0] == 0  # the journal alone is intact


def test_malformed_pages_are_reported_as_damage_and_the_worker_stops(
        cli: Cli, tmp_path: Path) -> None:
    for _ in range(20):
        ticket(cli)
    path = tmp_path / "desk.db"
    damage(path, "SELECT 1")
    page = 4096
    with path.open("r+b") as file:  # keep page 1 (header, schema); wreck every other
        size = file.seek(0, 2)
        for offset in range(page, size, page):
            file.seek(offset)
            file.write(b"\xa5" * page)
    for command in (("audit", "verify"), ("list", "--all"), ("worker", "--once")):
        error = one_line_error(cli(*command))
        assert DAMAGED in error and "restore a backup" in error
