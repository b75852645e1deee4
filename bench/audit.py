"""Verify and replay, measured: ``audit verify`` over a whole SQLite desk, in events/s.

A desk of mini tickets (open, receive, dispatch, then hold/resume cycles, a claim and a
comment, half of them resolved) is built once with ``synchronous=OFF``; then the full
verification (every chain recomputed, every step re-planned, every ticket row compared
with its replay, the admin journal checked) runs several times and the median counts.
Replay is timed per ticket, through :meth:`engine.audit.audit.Audit.replay`.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

from bench import record
from engine.audit.audit import Audit
from engine.audit.parallel import verify_in_parallel
from engine.process.load import load_process
from engine.time.clock import VirtualClock
from tui.wiring import open_workspace

MINI = Path(__file__).resolve().parent.parent / "tests" / "flows" / "mini.yaml"
GOAL = 50_000
CPUS = os.cpu_count() or 1
"""Events verified per second on SQLite (issue 5)."""
PASSWORD = "Bench-pass1"
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def build(path: Path, *, tickets: int, cycles: int) -> int:
    """A SQLite desk of ``tickets`` mini tickets; how many journal events it holds."""
    clock = VirtualClock(START)
    workspace = open_workspace(f"sqlite:///{path}?synchronous=OFF", clock=clock)
    book, desk = workspace.accounts, workspace.desk
    root = book.add(None, username="root", password=PASSWORD, roles=["admin"], post=None)
    ann = book.add(root, username="ann", password=PASSWORD, roles=["agent"],
                   post="service_desk")
    hal = book.add(root, username="hal", password=PASSWORD, roles=["agent"],
                   post="handling_group")
    desk.deploy([load_process(MINI)], root)
    events = 0
    for number in range(tickets):
        clock.advance(timedelta(seconds=1))
        ticket = desk.open("mini", ann, {"summary": f"bench {number}", "level": 2})
        desk.fire(ticket.id, "receive", ann)
        desk.fire(ticket.id, "dispatch", ann)
        desk.claim(ticket.id, hal)
        for _ in range(cycles):
            desk.fire(ticket.id, "hold", hal)
            desk.fire(ticket.id, "resume", hal)
        desk.record(ticket.id, "comment", hal, note="working on it")
        if number % 2:
            desk.fire(ticket.id, "resolve", hal, data={"resolution": "done"})
        events += desk.ticket(ticket.id).seq
    return events


def measure(path: Path, *, runs: int = 3, replays: int = 500) -> dict[str, Any]:
    """Median verify speeds (events/s) and replay time of a built desk.

    Wall: the whole desk as ``audit verify`` runs it (one process per CPU); CPU: one
    process, events per second of its own CPU time.
    """
    url = f"sqlite:///{path}"
    workspace = open_workspace(url)
    audit = Audit(workspace.store, workspace.desk.clock)
    walls, cpus, report = [], [], None
    for _ in range(runs):
        report = verify_in_parallel(lambda: open_workspace(url).store, None, CPUS)
        if not report.ok:
            raise RuntimeError(f"the bench desk fails verification: {report.violations[:3]}")
        walls.append(report.events / report.seconds)
        started = process_time()
        single = audit.verify()
        cpus.append(single.events / (process_time() - started))
    assert report is not None
    count = min(replays, report.tickets)
    started = perf_counter()
    for ticket_id in range(1, count + 1):
        audit.replay(ticket_id)
    return {"events": report.events, "tickets": report.tickets, "workers": CPUS,
            "verify_eps": round(statistics.median(walls)),
            "verify_cpu_eps": round(statistics.median(cpus)), "goal_eps": GOAL,
            "replay_ms": round((perf_counter() - started) / count * 1000, 3)}


def run(folder: Path, *, tickets: int, cycles: int = 3) -> dict[str, Any]:
    """Build a desk in ``folder`` and measure it."""
    path = folder / "audit.db"
    build(path, tickets=tickets, cycles=cycles)
    return measure(path)


def describe(results: dict[str, Any]) -> str:
    """One line for the terminal."""
    return (f" audit: verify {results['verify_eps']:,} events/s ({results['workers']} "
            f"processes), {results['verify_cpu_eps']:,}/s of one process's CPU time over "
            f"{results['events']:,} events "
            f"(goal {results['goal_eps']:,}/s); replay {results['replay_ms']} ms/ticket")


def save(results: dict[str, Any], date: str, machine: str, *, log: Path = record.LOG) -> None:
    """Add a dated line to the verify section of docs/performance.md (made if missing)."""
    record.append_row(SECTION, SECTION_TEXT, line(results, date, machine), log=log)


def line(results: dict[str, Any], date: str, machine: str) -> str:
    """One dated table row."""
    return (f"| {date[:16].replace('T', ' ')} | {results['events']:,} | "
            f"{results['verify_eps']:,}/s ({results['workers']} processes) | "
            f"{results['verify_cpu_eps']:,}/s | "
            f"{results['replay_ms']} ms | {machine} |")


SECTION = "## Verify and replay\n"
SECTION_TEXT = SECTION + """
`python -m bench` also builds a SQLite desk of mini tickets (open, receive, dispatch, a
claim, hold/resume cycles, a comment, half resolved) and runs the full `audit verify` on it
— every chain recomputed, every step re-planned, every ticket row compared with its replay,
the admin journal checked — three times (median), as `audit verify` runs it on a SQLite
file (one process per CPU, taking ranges of tickets in turn), then replays tickets one by
one.
Goal: **at least 50,000 events/s** verified on SQLite. "One process CPU" divides the events
by a single-process run's CPU time: on a machine busy with other work it shows what the
code costs, the wall figure what it took.

| date | events | verify (wall) | one process CPU | replay | machine |
|---|---|---|---|---|---|
"""


def main(argv: list[str]) -> int:
    """``python -m bench.audit [TICKETS]``: measure verify and replay alone, and record."""
    from bench.__main__ import _machine  # the machine line every bench records

    tickets = int(argv[0]) if argv else 5_000
    with tempfile.TemporaryDirectory() as scratch:
        results = run(Path(scratch), tickets=tickets)
    print(describe(results))
    save(results, datetime.now(UTC).isoformat(timespec="seconds"), _machine())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
