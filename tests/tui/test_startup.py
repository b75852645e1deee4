"""The command line imports only what a command uses (docs/cli.md, "Start-up").

Each command runs in a fresh ``python -X importtime`` process, the way a user runs it, and
the modules it imported are read from that report: no Textual outside ``tui`` and ``demo``,
no Alembic once the schema is at head, no Rich on the ``--json`` paths, no database layer
for ``--help`` and ``validate``, and with a login session no SQLAlchemy, SQLModel or process
language for ``show`` and ``history`` (the driver-level reader). The root's command table is
checked against the modules.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from tests.stdin import Piped
from tui.cli import run
from tui.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Startup-pass1"
DATABASE = {"sqlalchemy", "sqlmodel", "storage", "alembic", "psycopg"}
HEAVY = {"sqlalchemy", "sqlmodel", "alembic", "textual", "transitions", "yaml", "simpleeval"}
"""What a read through a login session never loads: the ORM, the app, the process language."""
READS = [["show", "1", "--json"], ["show", "1"], ["history", "1", "--json"]]
NO_TERMINAL = [
    ["--help"],
    ["show", "1", "--json"],
    ["show", "1"],
    ["list"],
    ["history", "1"],
    ["sla", "1", "--json"],
    ["processes"],
    ["users", "list", "--json"],
    ["assess", "--period", "2026-10", "--json"],
    ["audit", "verify", "--json"],
    ["validate", str(ROOT / "flows" / "vendor_access.yaml")],
    ["test", "--help"],
]


def imported(argv: list[str], env: dict[str, str], code: int = 0) -> set[str]:
    """The modules ``ticketflow ARGV`` imports, from ``-X importtime`` (it must exit with
    ``code``)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           "from tui.cli import main; main()", *argv],
                          env=env, capture_output=True, text=True, timeout=120)
    report = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert done.returncode == code, (argv, done.stderr[-2000:])
    return {line.rsplit("|", 1)[1].strip() for line in report[1:]}


def roots(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a SQLite desk of one ticket, at schema head."""
    folder = tmp_path_factory.mktemp("startup")
    yield _prepared(f"sqlite:///{folder / 'desk.db'}", folder)


def _prepared(url: str, folder: Path) -> dict[str, str]:
    env = {**os.environ, "TICKETFLOW_DB": url, "TICKETFLOW_HOME": str(folder),
           "TICKETFLOW_USER": "root", "TICKETFLOW_PASSWORD": PASSWORD}
    with pytest.MonkeyPatch.context() as patch:
        for name in ("TICKETFLOW_DB", "TICKETFLOW_HOME", "TICKETFLOW_USER",
                     "TICKETFLOW_PASSWORD"):
            patch.setenv(name, env[name])
        patch.setattr("sys.stdin", Piped(PASSWORD + "\n"))
        assert run(["init", "--admin", "root", "--password-stdin"]) == 0
        assert run(["deploy", str(ROOT / "flows")]) == 0
        assert run(["open", "service_desk", "--set", "summary=start-up"]) == 0
    return env


def _logged_in(env: dict[str, str]) -> dict[str, str]:
    """``env`` after ``ticketflow login``: the session authenticates, no password is given."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("TICKETFLOW_DB", "TICKETFLOW_HOME", "TICKETFLOW_USER",
                     "TICKETFLOW_PASSWORD"):
            patch.setenv(name, env[name])
        assert run(["login"]) == 0
    return {name: value for name, value in env.items() if name != "TICKETFLOW_PASSWORD"}



@pytest.mark.parametrize("argv", NO_TERMINAL, ids=" ".join)
def test_commands_off_the_terminal_import_no_textual_and_no_alembic(
        desk: dict[str, str], argv: list[str]) -> None:
    found = roots(imported(argv, desk))
    assert not found & {"textual", "textual_serve", "alembic"}
    if "--json" in argv:
        assert "rich" not in found  # Rich is imported only when a table is printed


@pytest.mark.parametrize("argv", [["--help"], ["validate", str(ROOT / "flows")],
                                  ["diagram", str(ROOT / "flows" / "vendor_access.yaml")]],
                         ids=" ".join)
def test_help_and_file_commands_never_load_the_database_layer(
        desk: dict[str, str], argv: list[str]) -> None:
    found = roots(imported(argv, desk))
    assert not found & DATABASE
    if argv == ["--help"]:
        modules = imported(argv, desk)
        assert not {m for m in modules if m.startswith(("tui.commands.", "engine.process",
                                                         "engine.desk"))}
        assert "pydantic" not in found


def test_on_every_backend_show_and_list_import_neither(shared_store_url: str,
                                                      tmp_path: Path) -> None:
    env = _prepared(shared_store_url, tmp_path)
    for argv in (["show", "1", "--json"], ["list"]):
        assert not roots(imported(argv, env)) & {"textual", "alembic"}


@pytest.mark.parametrize("argv", READS, ids=" ".join)
def test_with_a_session_reads_import_no_sqlalchemy_sqlmodel_textual_nor_the_language(
        desk: dict[str, str], argv: list[str]) -> None:
    modules = imported(argv, _logged_in(desk))
    assert not roots(modules) & HEAVY
    assert "storage.reader" in modules
    assert not {m for m in modules if m.startswith(("engine.process", "storage.models"))}


def test_on_every_backend_a_session_shows_through_the_driver(shared_store_url: str,
                                                             tmp_path: Path) -> None:
    modules = imported(["show", "1", "--json"], _logged_in(_prepared(shared_store_url, tmp_path)))
    assert "storage.reader" in modules and not roots(modules) & HEAVY


def test_the_app_and_a_new_schema_do_import_them(tmp_path: Path) -> None:
    """The check sees the imports it forbids elsewhere: ``tui`` loads Textual, and the
    first command on a new database runs the migrations."""
    env = {**os.environ, "TICKETFLOW_DB": f"sqlite:///{tmp_path / 'new.db'}",
           "TICKETFLOW_HOME": str(tmp_path)}
    assert "textual" in roots(imported(["tui", "--help"], env))
    # no account on a new desk: refused (exit 2), but the schema was made first
    assert "alembic" in roots(imported(["processes", "--json"], env, code=2))
    assert "alembic" not in roots(imported(["processes", "--json"], env, code=2))


def test_the_table_names_every_command_with_its_module_and_help() -> None:
    """A command added to a module (or a new module) must be added to COMMANDS too."""
    modules = {path.stem for path in (ROOT / "tui" / "commands").glob("*.py")} - {"__init__"}
    assert modules == {entry.module for entry in COMMANDS.values()}
    registered: dict[str, tuple[str, str]] = {}
    for module in sorted(modules):
        app = typer.Typer()
        importlib.import_module(f"tui.commands.{module}").register(app)
        for name, command in typer.main.get_group(app).commands.items():
            registered[name] = (module, " ".join((command.help or "").split("\n\n")[0].split()))
    assert registered == {name: (e.module, e.help) for name, e in COMMANDS.items()}


def test_the_startup_bench_times_each_command_and_records_its_line(tmp_path: Path) -> None:
    from bench import startup

    result = startup.measure(runs=1)
    assert set(result["wall"]) == set(result["cpu"]) == {"python", *startup.COMMANDS}
    assert all(seconds > 0 for seconds in result["wall"].values())
    log = tmp_path / "performance.md"
    log.write_text("# Performance\n\n## The hot path\n\n| date | x |\n|---|---|\n| old | 1 |\n")
    startup.save(result, log)
    text = log.read_text()
    assert text.startswith("# Performance\n\n## Start-up of the command line\n")
    row = next(line for line in text.splitlines() if line.startswith(f"| {result['date'][:10]}"))
    assert f"| {result['wall']['show']:.3f} s ({result['cpu']['show']:.3f}) |" in row
    assert "| < 0.25 s |" in row
