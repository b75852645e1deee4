"""The terminal app on a big desk: opening a queue of 100,000 open tickets, and the time
from a key press to the redrawn screen; also how long the demo desk takes to build.

A SQLite desk gets one real ticket through the Desk API (service desk, received by an
agent), then its row and sealed opening event are copied to reach the size asked for. The
app runs headless (Textual's pilot) at 160×48: the agent logs in, then each queue switch
and key press is timed until the app is idle again — the screen redrawn.

``python -m bench.tui [--tickets N] [--no-record]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

from bench import memory, record
from engine.core.journal import seal
from engine.process.load import load_process
from engine.time.clock import VirtualClock
from tui.app import TicketflowApp
from tui.demo import SPAN, build_demo
from tui.screens.login import LoginScreen
from tui.widgets.queue_list import QueueList
from tui.wiring import Workspace, open_workspace

ROOT = Path(__file__).resolve().parent.parent
GOAL_OPEN = 0.5
"""Seconds to open a queue of 100,000 open tickets (issue 7)."""
NOW = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
PASSWORD = "Bench-pass1"
BATCH = 5_000
KEYS = {"j": 40, "pagedown": 20, "G": 5, "g": 5}
"""Keys timed, and how many presses of each."""


def build(path: Path, tickets: int) -> Workspace:
    """A desk whose agent ``ann`` holds ``tickets`` open tickets at the service desk."""
    workspace = open_workspace(f"sqlite:///{path}", clock=VirtualClock(NOW),
                               synchronous="NORMAL")
    admin = workspace.accounts.add(None, username="amy", password=PASSWORD, roles=["admin"],
                                   post=None)
    ann = workspace.accounts.add(admin, username="ann", password=PASSWORD, roles=["agent"],
                                 post="service_desk")
    workspace.desk.deploy([load_process(p) for p in sorted((ROOT / "flows").glob("*.yaml"))
                           if p.name != "assessment.yaml"], admin)
    first = workspace.desk.open("service_desk", ann, {"summary": "Core router down"})
    workspace.desk.fire(first.id, "receive", ann)
    _copy(path, workspace, first.id, tickets - 1)
    return workspace


def _copy(path: Path, workspace: Workspace, template_id: int, count: int) -> None:
    """``count`` copies of the ticket's row, each with its own sealed opening event."""
    opening = workspace.store.events(template_id)[0]
    connection = sqlite3.connect(path, isolation_level=None)
    ticket = memory.row(connection, "tickets", "id", template_id)
    event = memory.row(connection, "events", "ticket_id", template_id)
    event.pop("id")
    for start in range(template_id + 1, template_id + 1 + count, BATCH):
        ids = range(start, min(start + BATCH, template_id + 1 + count))
        sealed = [seal(replace(opening, ticket_id=i)) for i in ids]
        connection.execute("BEGIN IMMEDIATE")
        memory.insert(connection, "tickets", [{**ticket, "id": e.ticket_id, "seq": 1, "version": 1,
                                         "head": e.hash} for e in sealed])
        memory.insert(connection, "events", [{**event, "ticket_id": e.ticket_id, "hash": e.hash}
                                       for e in sealed])
        connection.execute("COMMIT")
    connection.close()


async def _drive(app: TicketflowApp, runs: int) -> dict[str, Any]:
    async with app.run_test(size=(160, 48)) as pilot:
        account = app.workspace.accounts.login("ann", PASSWORD)
        started, cpu = perf_counter(), process_time()
        app.screen.post_message(LoginScreen.LoggedIn(account))
        await pilot.pause()
        await pilot.press("k")  # Textual lays the new screen out on the next refresh
        first = perf_counter() - started, process_time() - cpu
        queue = app.screen.query_one(QueueList)
        switches = [await _timed(pilot, key) for key in ["5", "2", "1"] * runs]
        keys = {key: _summary([await _timed(pilot, key) for _ in range(count)])
                for key, count in KEYS.items()}
        return {"total": queue.total, "open_s": round(first[0], 3),
                "open_cpu_s": round(first[1], 3),
                "switch_s": round(statistics.median(w for w, _ in switches), 3),
                "switch_cpu_s": round(statistics.median(c for _, c in switches), 3),
                "keys_ms": keys, "held_rows": len(queue.window.rows)}


async def _timed(pilot: Any, key: str) -> tuple[float, float]:
    """Wall and CPU seconds from pressing ``key`` to the app idle, its screen redrawn."""
    started, cpu = perf_counter(), process_time()
    await pilot.press(key)
    await pilot.pause()
    return perf_counter() - started, process_time() - cpu


def _summary(times: list[tuple[float, float]]) -> dict[str, float]:
    walls = sorted(wall * 1000 for wall, _ in times)
    return {"median": round(statistics.median(walls), 1),
            "p95": round(walls[int(0.95 * (len(walls) - 1))], 1),
            "cpu": round(statistics.median(cpu * 1000 for _, cpu in times), 1)}


def measure(folder: Path, *, tickets: int, runs: int = 3) -> dict[str, Any]:
    """Build the desk, then time the app on it."""
    started = perf_counter()
    workspace = build(folder / "tui.db", tickets)
    built = perf_counter() - started
    app = TicketflowApp(workspace, zone=UTC, poll_seconds=0)
    results = asyncio.run(_drive(app, runs))
    results.update(tickets=tickets, build_s=round(built, 1), goal_open_s=GOAL_OPEN)
    return results


def demo_time(folder: Path) -> dict[str, float]:
    """Build the demo desk as ``ticketflow demo`` does (production password hashing)."""
    clock = VirtualClock(NOW - SPAN)
    workspace = open_workspace(f"sqlite:///{folder / 'demo.db'}", clock=clock,
                               synchronous="NORMAL")
    started, cpu = perf_counter(), process_time()
    build_demo(workspace, clock)
    return {"demo_s": round(perf_counter() - started, 1),
            "demo_cpu_s": round(process_time() - cpu, 1)}


def run(folder: Path, *, tickets: int) -> dict[str, Any]:
    """Every figure of this benchmark."""
    return {**measure(folder, tickets=tickets), **demo_time(folder)}


def describe(results: dict[str, Any]) -> str:
    """One line for the terminal."""
    keys = ", ".join(f"{k} {v['median']} ms (p95 {v['p95']}, CPU {v['cpu']})"
                     for k, v in results["keys_ms"].items())
    return (f"   tui: first screen after login {results['open_s']} s (CPU "
            f"{results['open_cpu_s']} s); a {results['total']:,}-ticket queue opens in "
            f"{results['switch_s']} s (CPU {results['switch_cpu_s']} s, goal {GOAL_OPEN} s); "
            f"key → redraw {keys}; demo desk built in {results['demo_s']} s "
            f"(CPU {results['demo_cpu_s']} s)")


SECTION = "## The terminal app\n"
SECTION_TEXT = SECTION + """
`python -m bench.tui` (also part of `make bench`) copies one received service-desk ticket
into a SQLite desk of 100,000 open tickets, all held by one agent, and runs the app
headless (Textual's pilot, 160×48). **Open** is the time to switch to a queue of 100,000
open tickets (median of the agent's, the post's and all open) until the app is idle with
the list drawn — a count and one page of 100, never the whole queue (goal **< 0.5 s**);
**login** is the first screen after the login (Textual builds the screen and its footer).
**Key → redraw** is the median time from a key press to the app idle again: `j` moves the
cursor, `pagedown` pages (fetching the next page as it nears the end of what is held), `G`
jumps to the last ticket (one query from the other end), `g` back to the first. Wall
times, with the process's CPU time in brackets: on a busy machine the wall clock is
mostly waiting for a CPU, and a key's wall time includes the pilot's idle detection (it
sleeps in short steps until the process stops working), so the CPU figure is the app's
own work per key. The demo column is `ticketflow demo`'s first run: accounts
(production password hashing, in parallel), the shipped processes and 220 tickets worked
over three virtual days.

| date | tickets | open (CPU) | login (CPU) | j | pagedown | G | g | demo (CPU) | machine |
|---|---|---|---|---|---|---|---|---|---|
"""


def line(results: dict[str, Any], date: str, machine: str) -> str:
    """One dated table row."""
    keys = results["keys_ms"]
    return (f"| {date[:16].replace('T', ' ')} | {results['tickets']:,} | "
            f"{results['switch_s']} s ({results['switch_cpu_s']} s) | "
            f"{results['open_s']} s ({results['open_cpu_s']} s) | "
            + " | ".join(f"{keys[k]['median']} ms ({keys[k]['cpu']})" for k in KEYS)
            + f" | {results['demo_s']} s ({results['demo_cpu_s']} s) | {machine} |")


def save(results: dict[str, Any], date: str, machine: str, *, log: Path = record.LOG) -> None:
    """Add a dated line to the terminal-app section of docs/performance.md."""
    record.append_row(SECTION, SECTION_TEXT, line(results, date, machine), log=log)


def machine() -> str:
    return (f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tui", description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        results = run(Path(scratch), tickets=options.tickets)
    print(describe(results))
    if not options.no_record:
        save(results, datetime.now(UTC).isoformat(timespec="seconds"), machine())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

