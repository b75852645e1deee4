"""Timer throughput: due timers fired per second by 1 worker on SQLite, and by 1 and 4 worker
processes on PostgreSQL (when ``TICKETFLOW_BENCH_PG`` or ``TICKETFLOW_TEST_PG`` names one).

Each run builds a fresh database of tickets, each with one process timer due an hour after
it opened; then worker processes on a clock two hours later claim and fire them all
(``TimerWorker.run(once=True)``, as ``ticketflow worker --once`` does). Fires/s is the
number of timers over the wall time from the moment the workers start to the last one
done; the run is checked: every timer fired once, each ticket's journal has one timer event.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from sqlalchemy import make_url

from bench import record
from engine.core.model import TicketQuery
from engine.desk.workers import TimerWorker
from engine.process.load import parse_process
from engine.time.clock import VirtualClock
from tui.wiring import UNAVAILABLE, open_workspace

PG_ENV = ("TICKETFLOW_BENCH_PG", "TICKETFLOW_TEST_PG")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "Bench-pass-1"
PROCESS = """
process: timed
title: A ticket that expires
roles: [agent, admin]
posts: [desk]
fields: {summary: {type: text, required: true}}
states:
  waiting: {kind: start, post: desk}
  expired: {kind: end}
transitions:
  - {trigger: expire, from: waiting, to: expired, roles: [system]}
timers:
  - {state: waiting, after: PT1H, fire: expire}
"""


def build(url: str, timers: int) -> None:
    """A desk with ``timers`` tickets, each with one timer due at T0 + 1 h."""
    workspace = open_workspace(url, clock=VirtualClock(T0), synchronous="NORMAL")
    root = workspace.accounts.add(None, username="root", password=PASSWORD, roles=["admin"],
                                  post=None)
    agent = workspace.accounts.add(root, username="ann", password=PASSWORD, roles=["agent"],
                                   post="desk")
    workspace.desk.deploy([parse_process(PROCESS, "timed.yaml")], root)
    for number in range(timers):
        workspace.desk.open("timed", agent, {"summary": f"t{number}"})
    with workspace.store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.exec_driver_sql("ANALYZE")  # the statistics autovacuum keeps
    workspace.store.close()


def work(url: str, name: str, start: Any, results: Any) -> None:
    """One worker process: wait for the others, fire everything due, report."""
    try:
        desk = open_workspace(url, clock=VirtualClock(T0 + timedelta(hours=2))).desk
        worker = TimerWorker(connect=lambda: desk, name=name, transient=UNAVAILABLE,
                             batch=100, sleep=lambda seconds: None, report=lambda text: None)
        start.wait(timeout=120)
        cpu = time.process_time()
        handled = worker.run(once=True)
        results.put((name, handled, time.perf_counter(), time.process_time() - cpu))
    except BaseException as exc:
        results.put((name, f"{type(exc).__name__}: {exc}", time.perf_counter(), 0.0))


def fire_all(url: str, workers: int) -> tuple[int, float, float]:
    """Run ``workers`` processes on the desk at ``url``: timers handled, wall and CPU s."""
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(workers + 1), context.Queue()
    children = [context.Process(target=work, args=(url, f"w{n}", start, results))
                for n in range(workers)]
    for child in children:
        child.start()
    start.wait(timeout=120)
    began = time.perf_counter()
    reports = [results.get(timeout=600) for _ in children]
    for child in children:
        child.join(timeout=60)
    failed = [count for _, count, _, _ in reports if not isinstance(count, int)]
    if failed:
        raise RuntimeError(f"a worker failed: {failed[0]}")
    return (sum(count for _, count, _, _ in reports),
            max(at for _, _, at, _ in reports) - began, sum(cpu for *_, cpu in reports))


def check(url: str, timers: int) -> int:
    """Every timer fired, once: one timer event per ticket, no ticket still waiting.

    Returns the duplicates found (timer events beyond a ticket's first: always 0, since any
    is an error, but counted so that the figure is measured, not assumed).
    """
    workspace = open_workspace(url)
    try:
        opened = [e.ticket_id for e in workspace.store.iter_events() if e.kind == "open"]
        fired = Counter(e.ticket_id for e in workspace.store.iter_events() if e.kind == "timer")
        waiting = workspace.store.count_tickets(TicketQuery(state="waiting"))
    finally:
        workspace.store.close()
    duplicates = sum(count - 1 for count in fired.values())
    unfired = [ticket for ticket in opened if ticket not in fired]
    if len(opened) != timers or duplicates or unfired or waiting:
        raise RuntimeError(f"{len(opened)} tickets for {timers} timers: {duplicates} timers "
                           f"fired twice, {len(unfired)} never, {waiting} tickets waiting")
    return duplicates


def measure(url: str, *, workers: int, timers: int) -> dict[str, Any]:
    """Build, fire and check one case."""
    build(url, timers)
    handled, seconds, cpu = fire_all(url, workers)
    duplicates = check(url, timers)
    return {"workers": workers, "timers": timers, "handled": handled,
            "duplicates": duplicates, "seconds": round(seconds, 3),
            "fires_per_s": int(timers / seconds), "cpu_ms_per_fire": round(cpu * 1000 / timers, 2)}


def run(folder: Path, *, timers: int) -> dict[str, Any]:
    """Every case this machine can run: SQLite with 1 worker, PostgreSQL with 1, 2 and 4."""
    cases: dict[str, Any] = {"sqlite_1": measure(f"sqlite:///{folder / 'timers.db'}",
                                                 workers=1, timers=timers)}
    base = next((os.environ[name] for name in PG_ENV if os.environ.get(name)), None)
    for workers in (1, 2, 4) if base else ():
        with pg_schema(base or "") as url:
            cases[f"postgresql_{workers}"] = measure(url, workers=workers, timers=timers)
    return cases


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A URL whose connections use a new schema, dropped afterwards.

    The tests have the same helper (``tests.conftest.pg_schema_url``); the bench keeps its
    own rather than import the test suite, whose conftest sets test-only environment (the
    cheapest argon2 profile) and imports pytest.
    """
    url, schema = make_url(base), f"bench_{uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def describe(cases: dict[str, Any]) -> str:
    """One line for the terminal."""
    return "timers: " + ", ".join(
        f"{name.replace('_', ' ')} worker(s) {case['fires_per_s']:,} fires/s "
        f"({case['cpu_ms_per_fire']} ms CPU each, {case['duplicates']} fired twice)"
        for name, case in cases.items())


SECTION = "## Timer workers\n"
SECTION_TEXT = SECTION + """
`python -m bench` also measures how fast workers fire due timers (`python -m bench.timers`
alone): a fresh database of tickets each holding one timer already due, then
`TimerWorker.run(once=True)` (what `ticketflow worker --once` runs) in 1 process on SQLite
and in 1, 2 and 4 processes on PostgreSQL (when `TICKETFLOW_BENCH_PG` or
`TICKETFLOW_TEST_PG` names a server). Every firing is a full state change — ticket, journal
event, timer marked fired — in one transaction; the run checks that each ticket has exactly
one timer event (none fired twice, none left) and no ticket is still waiting. The tables are
analysed after they are filled, as autovacuum does on a desk in use (PostgreSQL's claim of a
batch took ~140 ms instead of ~25 ms on a table it had no statistics for). A worker claims a
batch of 100 (`FOR UPDATE SKIP LOCKED` on PostgreSQL), reads their tickets in one query,
plans every firing, and commits them in one transaction (`Desk.fire_together`): on SQLite
each in a savepoint, on PostgreSQL sent in psycopg's pipeline mode and the row counts checked
afterwards; a firing whose ticket changed meanwhile, or that the database refuses, is fired
again alone, never holding the batch back. Until 2026-12-06 every firing was its own
transaction (and its own sync to disk): that bounded a worker at one commit per timer
(on a disk where a commit costs ~8 ms, ~120 fires/s). The CPU figure is the workers' CPU
time per timer.

""" + ("| date | timers | SQLite, 1 worker | PostgreSQL, 1 worker | PostgreSQL, 2 workers | "
       "PostgreSQL, 4 workers | machine |\n|---|---|---|---|---|---|---|\n")


def save(cases: dict[str, Any], date: str, machine: str, *, log: Path = record.LOG) -> None:
    """Add a dated line to the timer section of docs/performance.md (made if missing)."""
    record.append_row(SECTION, SECTION_TEXT, line(cases, date, machine), log=log)


def line(cases: dict[str, Any], date: str, machine: str) -> str:
    """One dated table row."""
    def rate(name: str) -> str:
        case = cases.get(name)
        return f"{case['fires_per_s']:,}/s ({case['cpu_ms_per_fire']} ms CPU)" if case else "—"
    timers = next(iter(cases.values()))["timers"]
    return (f"| {date[:16].replace('T', ' ')} | {timers:,} | {rate('sqlite_1')} | "
            f"{rate('postgresql_1')} | {rate('postgresql_2')} | {rate('postgresql_4')} | "
            f"{machine} |")


def main(argv: list[str]) -> int:
    """``python -m bench.timers [--timers N] [--no-record]``: this bench alone, recorded."""
    parser = argparse.ArgumentParser(prog="python -m bench.timers", description=__doc__)
    parser.add_argument("--timers", type=int, default=1_000, help="due timers per case")
    parser.add_argument("--no-record", action="store_true",
                        help="print only; leave docs/performance.md alone")
    options = parser.parse_args(argv)
    from bench.__main__ import _machine  # the machine line every bench records
    from bench.hotpath import now

    date = now().isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory() as scratch:
        cases = run(Path(scratch), timers=options.timers)
    print(describe(cases))
    if not options.no_record:
        save(cases, date, _machine())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
