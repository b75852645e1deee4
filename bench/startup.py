"""How fast ``ticketflow`` starts: ``--help``, ``show N --json`` and ``validate FILE`` beside
``python -c pass``, each a fresh process, measured in the same run.

``python -m bench.startup [--runs N] [--no-record]``

The commands take turns (one run of each, N times), so a burst of load elsewhere touches all
of them alike; the figure of each is its fastest run (wall clock) — the start-up an idle
machine gives — with the CPU time of that run beside it.

``show`` and ``list`` act through a login session (``ticketflow login`` once, in
:func:`prepare`), as scripts do — gh and kubectl keep a token the same way. With
TICKETFLOW_PASSWORD instead, each call checks the password: argon2 is slow by design
(about 0.1 s), and a login writes its bookkeeping, so it goes through the full store.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from bench import record

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 0.25
VALIDATED = ROOT / "flows" / "vendor_access.yaml"
COMMANDS: dict[str, list[str]] = {
    "help": ["--help"],
    "show": ["show", "1", "--json"],
    "validate": ["validate", str(VALIDATED)],
    "list": ["list"],
}
"""What is timed, by name (``show`` and ``list`` on a desk of one ticket)."""
PASSWORD = "startup-bench"


def ticketflow() -> list[str]:
    """The console script beside this Python (what a user runs), or the module if absent."""
    script = Path(sys.executable).with_name("ticketflow")
    if script.exists():
        return [str(script)]
    found = shutil.which("ticketflow")
    return [found] if found else [sys.executable, "-c", "from tui.cli import main; main()"]


def compile_sources() -> None:
    """Byte-compile the project, as installing it does: each timed process then reads .pyc
    files instead of compiling some 50 modules (with PYTHONDONTWRITEBYTECODE set, nothing
    else would write them)."""
    for package in ("engine", "storage", "tui"):
        compileall.compile_dir(ROOT / package, quiet=1)


def prepare(folder: Path) -> dict[str, str]:
    """A desk of one ticket in ``folder``, logged in to; the environment the timed commands
    run in (the login session's, without TICKETFLOW_PASSWORD)."""
    compile_sources()
    env = {**os.environ, "TICKETFLOW_DB": f"sqlite:///{folder / 'desk.db'}",
           "TICKETFLOW_HOME": str(folder), "TICKETFLOW_PASSWORD": PASSWORD,
           "TICKETFLOW_USER": "root"}
    for argv in (["init", "--admin", "root", "--password-stdin"],
                 ["deploy", str(ROOT / "flows")],
                 ["open", "service_desk", "--set", "summary=start-up bench"],
                 ["login"]):
        subprocess.run([*ticketflow(), *argv], env=env, input=PASSWORD + "\n", text=True,
                       check=True, capture_output=True)
    del env["TICKETFLOW_PASSWORD"]
    return env


def timed(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv`` (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(runs: int) -> dict[str, Any]:
    """The fastest of ``runs`` turns of each command, and ``python -c pass``."""
    with tempfile.TemporaryDirectory(prefix="ticketflow-startup-") as scratch:
        env = prepare(Path(scratch))
        argvs = {"python": [sys.executable, "-c", "pass"],
                 **{name: [*ticketflow(), *argv] for name, argv in COMMANDS.items()}}
        best: dict[str, tuple[float, float]] = {}
        for _ in range(runs):
            for name, argv in argvs.items():
                figure = timed(argv, env)
                best[name] = min(best.get(name, figure), figure)
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "runs": runs,
            "goal_seconds": GOAL_SECONDS, "machine": _machine(),
            "wall": {name: round(wall, 3) for name, (wall, _) in best.items()},
            "cpu": {name: round(cpu, 3) for name, (_, cpu) in best.items()}}


SECTION = "## Start-up of the command line\n"
SECTION_TEXT = SECTION + """
`python -m bench.startup` (also the first part of `make bench`) times fresh processes of the
console script: `ticketflow --help`, `ticketflow show 1 --json` and `ticketflow list` on a
SQLite desk of one ticket, and `ticketflow validate flows/vendor_access.yaml`, beside
`python -c pass` in the same run, the project byte-compiled first as an install leaves it.
`show` and `list` act through a login session (`ticketflow login` once before the runs), as
scripts do. The commands take turns; each figure is the fastest of the runs (what an idle
machine gives), with that run's CPU time in brackets. Goal: **under 0.25 s** each. Each
command imports only what it uses (docs/cli.md, "Start-up"): `--help` reads the command
table, `validate` the process language; `show` (and `history`) read through the database
driver alone (`storage/reader.py`: no SQLAlchemy, no process language); `list` still pays
for SQLAlchemy, its ORM and the SQLModel table classes and for the engine's desk. Rows up to
2026-12-06 13:00 timed `show` and `list` with TICKETFLOW_PASSWORD, which adds the password
check (argon2, about 0.1 s by design) and the full store to every call.

| date | runs | python -c pass | --help | show --json | list | validate | goal | machine |
|---|---|---|---|---|---|---|---|---|
"""


def line(result: dict[str, Any]) -> str:
    """One dated table row."""
    wall, cpu = result["wall"], result["cpu"]

    def cell(name: str) -> str:
        return f"{wall[name]:.3f} s ({cpu[name]:.3f})"

    return (f"| {result['date'][:16].replace('T', ' ')} | {result['runs']} | {cell('python')} | "
            f"{cell('help')} | {cell('show')} | {cell('list')} | {cell('validate')} | "
            f"< {result['goal_seconds']:g} s | {result['machine']} |")


def describe(result: dict[str, Any]) -> str:
    """One line for the terminal."""
    wall = result["wall"]
    return (f"start-up (fastest of {result['runs']}): python -c pass {wall['python']:.3f} s, "
            f"--help {wall['help']:.3f} s, show --json {wall['show']:.3f} s, list "
            f"{wall['list']:.3f} s, validate {wall['validate']:.3f} s "
            f"(goal < {GOAL_SECONDS:g} s)")


def save(result: dict[str, Any], log: Path = record.LOG) -> None:
    """Add the result's dated line to its section of docs/performance.md (made if missing)."""
    record.append_row(SECTION, SECTION_TEXT, line(result), log=log)


def _machine() -> str:
    return (f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="turns of each command")
    parser.add_argument("--no-record", action="store_true",
                        help="print only; leave docs/performance.md alone")
    options = parser.parse_args(argv)
    result = measure(max(1, options.runs))
    print(describe(result))
    if not options.no_record:
        save(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
