"""A desk of a million tickets and ten million journal events, on SQLite and PostgreSQL.

The desk gets its accounts and the seed processes through the product, then two tickets of
``service_desk`` are worked through ``Desk`` on a virtual clock: one closed (open, receive,
dispatch, accept, pend, resume, finish, reply, a comment, confirm) and one still in a handling
group (the same start, a comment, pend and resume again, a comment) — ten events each. Every
other ticket is a copy of one of them (one in ten stays open), moved later in time so that the
desk spans a year, with its own summary, its events re-chained and re-sealed, its pending
timers moved with it: legal journals that ``audit verify`` accepts, written with bulk inserts
(``executemany`` on SQLite, ``COPY`` on PostgreSQL).

Then, each the median of several runs: a queue page (the first and one deep in the queue,
keyset-paged) and its count, a ticket view (ticket, journal, timers, SLA clocks), a replay,
``audit verify`` of 1,000 tickets (events/s, and what the whole desk would take at that
rate), and the monthly assessment report.

``python -m bench.scale [--tickets N | --small] [--no-sqlite] [--no-record]`` — PostgreSQL
runs when ``TICKETFLOW_BENCH_PG`` or ``TICKETFLOW_TEST_PG`` names a server.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import record
from engine.assessment.report import SHIPPED_FILE, Assessor
from engine.assessment.table import load_assessment
from engine.audit.audit import Audit
from engine.core.journal import GENESIS, Event
from engine.core.model import Account, Ticket, TicketQuery, Timer
from engine.process.load import load_process
from engine.time.clock import VirtualClock
from storage.hotpath import EVENT_COLUMNS, TICKET_WRITES, TIMER_COLUMNS
from storage.search import KINDS, document_text, index_name
from tui.wiring import Workspace, open_workspace

ROOT = Path(__file__).resolve().parent.parent
FULL = 1_000_000
SMALL = 20_000
BATCH = 5_000
START = datetime(2025, 7, 1, 0, 0, tzinfo=UTC)
PERIOD = "2026-03"
PASSWORD = "Bench-pass1"
PG_ENV = ("TICKETFLOW_BENCH_PG", "TICKETFLOW_TEST_PG")
PEOPLE = {"amy": (["admin"], None), "ann": (["agent"], "service_desk"),
          "hal": (["agent"], "handling_group"), "sue": (["supervisor"], "service_desk")}
CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                             default=str)
""":func:`engine.core.journal.canonical`'s encoding, built once."""

Step = tuple[str, str, str, dict[str, Any], timedelta]
"""(kind, trigger, actor, data or note, time after the step before)."""
COMMON: list[Step] = [
    ("fire", "receive", "ann", {"customer": "Branch 7"}, timedelta(minutes=2)),
    ("fire", "dispatch", "ann", {"assigned_group": "system_software"}, timedelta(minutes=5)),
    ("fire", "accept", "hal", {}, timedelta(minutes=10)),
    ("fire", "pend", "hal", {"pending_reason": "waiting for a part"}, timedelta(hours=1)),
    ("fire", "resume", "hal", {}, timedelta(hours=3)),
]
CLOSED = [*COMMON,
          ("fire", "finish", "hal", {"resolution": "replaced the part"}, timedelta(hours=2)),
          ("fire", "reply", "ann", {}, timedelta(minutes=5)),
          ("record", "comment", "ann", {"note": "customer thanked us"}, timedelta(hours=1)),
          ("fire", "confirm", "ann", {}, timedelta(days=1))]
OPEN = [*COMMON,
        ("record", "comment", "hal", {"note": "part ordered again"}, timedelta(hours=1)),
        ("fire", "pend", "hal", {"pending_reason": "the vendor is late"}, timedelta(hours=1)),
        ("fire", "resume", "hal", {}, timedelta(days=1)),
        ("record", "comment", "hal", {"note": "still on it"}, timedelta(hours=2))]


# -- building the desk ---------------------------------------------------------------------

def build(url: str, tickets: int) -> dict[str, Any]:
    """A desk at ``url`` with ``tickets`` tickets of ten events each; how long it took."""
    started = time.perf_counter()
    clock = VirtualClock(START)
    workspace = open_workspace(url, clock=clock, synchronous="OFF")
    people = _people(workspace)
    flows = [load_process(ROOT / "flows" / name)
             for name in ("service_desk.yaml", "vendor_access.yaml")]
    workspace.desk.deploy(flows, people["amy"])
    templates = [_work(workspace, clock, people, steps, f"template {n}")
                 for n, steps in enumerate((CLOSED, OPEN))]
    spacing = timedelta(days=365) / tickets
    writer = _writer(workspace)
    for first in range(len(templates) + 1, tickets + 1, BATCH):
        batch = range(first, min(first + BATCH, tickets + 1))
        writer([_copy(templates[number % 10 == 0], number, spacing * number)
                for number in batch])
    _finish(workspace)
    workspace.store.close()
    return {"tickets": tickets, "events": tickets * 10,
            "build_s": round(time.perf_counter() - started, 1)}


def _people(workspace: Workspace) -> dict[str, Account]:
    people: dict[str, Account] = {}
    for name, (roles, post) in PEOPLE.items():
        people[name] = workspace.accounts.add(people.get("amy"), username=name,
                                              password=PASSWORD, roles=roles, post=post)
    return people


Template = tuple[Ticket, list[Event], list[Timer]]


def _work(workspace: Workspace, clock: VirtualClock, people: dict[str, Account],
          steps: list[Step], summary: str) -> Template:
    """One ticket worked through the desk; it, its journal and its pending timers."""
    desk = workspace.desk
    clock.advance(timedelta(hours=1))
    ticket = desk.open("service_desk", people["ann"], {"summary": summary})
    for kind, trigger, actor, values, after in steps:
        clock.advance(after)
        if kind == "fire":
            desk.fire(ticket.id, trigger, people[actor], data=values)
        else:
            desk.record(ticket.id, trigger, people[actor], note=values["note"])
    return (desk.ticket(ticket.id), desk.history(ticket.id),
            workspace.store.pending_timers(ticket.id))


def _copy(template: Template, number: int, later: timedelta) -> Template:
    """Ticket ``number``: the template moved ``later``, its own summary, re-sealed."""
    ticket, events, timers = template
    summary = f"Ticket {number}: printer on floor {number % 40} jams"
    sealed, previous = [], GENESIS
    for event in events:
        changes = event.changes
        if event.seq == 1:
            changes = {**changes, "summary": [None, summary]}
        moved = replace(event, ticket_id=number, at=event.at + later, changes=changes,
                        prev_hash=previous)
        content = dict(vars(moved))
        del content["hash"]
        content["at"] = moved.at.isoformat()
        moved = replace(moved, hash=hashlib.sha256(CANONICAL.encode(content).encode())
                        .hexdigest())
        sealed.append(moved)
        previous = moved.hash
    copied = replace(ticket, id=number, data={**ticket.data, "summary": summary},
                     sla=_moved_sla(ticket.sla, later),
                     opened_at=ticket.opened_at + later, updated_at=ticket.updated_at + later,
                     state_since=ticket.state_since + later if ticket.state_since else None,
                     head=previous)
    return copied, sealed, [replace(t, ticket_id=number, due_at=t.due_at + later)
                            for t in timers]


SLA_MOMENTS = ("started", "since", "due", "warn", "ended")
"""The keys of an SLA clock record (``Ticket.sla``) that hold a moment."""


def _moved_sla(sla: dict[str, Any], later: timedelta) -> dict[str, Any]:
    """SLA clocks moved ``later`` with their ticket, so that they keep the due times of the
    timers moved with it (``audit verify`` compares them)."""
    def moved(record: dict[str, Any]) -> dict[str, Any]:
        return {key: (datetime.fromisoformat(value) + later).isoformat()
                if key in SLA_MOMENTS and isinstance(value, str) else value
                for key, value in record.items()}

    return {**sla, "clocks": {name: moved(r) for name, r in sla.get("clocks", {}).items()},
            "done": [moved(r) for r in sla.get("done", [])]} if sla else sla


def _writer(workspace: Workspace) -> Callable[[list[Template]], None]:
    """A function writing batches of tickets with their events and timers, in bulk."""
    hot: Any = workspace.store._hot  # type: ignore[attr-defined]
    connection = hot.connections
    cursor = connection.cursor()
    ticket_values, event_values, timer_values = (hot._ticket_values, hot._event_values,
                                                 hot._timer_values)
    index_key = hot.search.key  # the search index is written with its tickets

    def rows(batch: list[Template]) -> Iterator[tuple[str, tuple[str, ...], list[Any]]]:
        yield "tickets", ("id", *TICKET_WRITES), [
            (ticket.id, *(values[c] for c in TICKET_WRITES))
            for ticket, _, _ in batch for values in (ticket_values(ticket),)]
        yield "events", EVENT_COLUMNS, [
            tuple(values[c] for c in EVENT_COLUMNS)
            for _, events, _ in batch for values in map(event_values, events)]
        yield "timers", TIMER_COLUMNS, [
            tuple(values[c] for c in TIMER_COLUMNS)
            for _, _, timers in batch for values in map(timer_values, timers)]
        yield index_name("ticket"), (index_key, *KINDS["ticket"]), [
            (ticket.id, document_text(ticket.data.values()),
             document_text(event.note for event in events), "")
            for ticket, events, _ in batch]

    if workspace.store.engine.dialect.name == "sqlite":  # type: ignore[attr-defined]
        def write(batch: list[Template]) -> None:
            cursor.execute("BEGIN")
            for table, columns, values in rows(batch):
                marks = ", ".join("?" * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                                   f"VALUES ({marks})", values)
            cursor.execute("COMMIT")
        return write

    def copy(batch: list[Template]) -> None:
        cursor.execute("BEGIN")
        for table, columns, values in rows(batch):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as stream:
                for row in values:
                    stream.write_row(row)
        cursor.execute("COMMIT")
    return copy


def _finish(workspace: Workspace) -> None:
    """Sequences past the copied ids (PostgreSQL), fresh statistics for the planner, and on
    PostgreSQL the visibility map autovacuum would have set on a desk in use (without it a
    count of 100,000 open tickets reads every row: 500 ms instead of ~50)."""
    cursor = workspace.store._hot.connections.cursor()  # type: ignore[attr-defined]
    if workspace.store.engine.dialect.name == "postgresql":  # type: ignore[attr-defined]
        for table in ("tickets", "events", "timers"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))")
        cursor.execute("VACUUM ANALYZE")
    else:
        cursor.execute("ANALYZE")


# -- timing ----------------------------------------------------------------------------------

def _median(action: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(url: str, tickets: int, *, runs: int = 5) -> dict[str, Any]:
    """Time what agents, auditors and managers do on the desk at ``url``."""
    workspace = open_workspace(url, clock=VirtualClock(START + timedelta(days=366)))
    desk, store = workspace.desk, workspace.store
    chance = random.Random(7)
    picks = [chance.randrange(1, tickets + 1) for _ in range(runs)]
    middle = tickets // 2
    queue = TicketQuery(is_open=True, post="handling_group", limit=50, descending=True)
    figures: dict[str, Any] = {
        "queue_first_ms": _median(lambda: desk.tickets(queue), runs) * 1000,
        "queue_deep_ms": _median(lambda: desk.tickets(replace(queue, after=middle)),
                                 runs) * 1000,
        "queue_count_ms": _median(lambda: store.count_tickets(queue), runs) * 1000,
    }
    views = iter(picks * 2)
    figures["ticket_view_ms"] = _median(lambda: _view(desk, next(views)), runs) * 1000
    audit = Audit(store, workspace.desk.clock)
    replays = iter(picks * 2)
    figures["replay_ms"] = _median(lambda: audit.replay(next(replays)), runs) * 1000
    sample = list(range(middle, min(middle + 1000, tickets + 1)))
    started = time.perf_counter()
    report = audit.verify(sample)
    seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"verify found {report.violations[:3]}")
    figures["verify_events_per_s"] = int(report.events / seconds)
    figures["verify_whole_desk_s"] = round(tickets * 10 / figures["verify_events_per_s"])
    assessor = Assessor(store, load_assessment(SHIPPED_FILE))
    figures["report_s"] = _median(lambda: assessor.report(PERIOD), max(1, runs // 2))
    store.close()
    return {name: round(value, 2) if isinstance(value, float) else value
            for name, value in figures.items()}


def _view(desk: Any, ticket_id: int) -> None:
    """What the ticket view reads: the ticket, its journal, timers and SLA clocks."""
    desk.ticket(ticket_id)
    desk.history(ticket_id)
    desk.timers(ticket_id)
    desk.slas(ticket_id)


def run(tickets: int, *, sqlite: bool = True, runs: int = 5) -> dict[str, Any]:
    """Build and time the desk on each backend this machine has."""
    results: dict[str, Any] = {}
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'scale.db'}"
            results["sqlite"] = {**build(url, tickets), **measure(url, tickets, runs=runs)}
            print(describe({"sqlite": results["sqlite"]}), flush=True)
    base = next((os.environ[name] for name in PG_ENV if os.environ.get(name)), None)
    if base:
        with _pg_schema(base) as url:
            results["postgresql"] = {**build(url, tickets),
                                     **measure(url, tickets, runs=runs)}
            print(describe({"postgresql": results["postgresql"]}), flush=True)
    return results


@contextmanager
def _pg_schema(base: str) -> Iterator[str]:
    from bench.timers import pg_schema

    with pg_schema(base) as url:
        yield url


def describe(results: dict[str, Any]) -> str:
    return "\n".join(
        f"scale {backend}: {case['tickets']:,} tickets, {case['events']:,} events built in "
        f"{case['build_s']} s; queue page {case['queue_first_ms']} ms (deep "
        f"{case['queue_deep_ms']} ms, count {case['queue_count_ms']} ms), ticket view "
        f"{case['ticket_view_ms']} ms, replay {case['replay_ms']} ms, verify "
        f"{case['verify_events_per_s']:,} events/s (whole desk ~{case['verify_whole_desk_s']}"
        f" s), monthly report {case['report_s']} s" for backend, case in results.items())


SECTION = "## Scale: a million tickets\n"
SECTION_TEXT = SECTION + """
`python -m bench` (or `python -m bench.scale`; `--small` for 20,000 tickets) builds a desk of
1,000,000 `service_desk` tickets and 10,000,000 journal events spread over a year (legal,
hash-chained journals; one ticket in ten still open, with its timers) on SQLite and, when a
server is named, PostgreSQL, then times (medians): the first page of a post's open queue and
a page deep in it (keyset paging), the queue's count, a ticket view (ticket, journal, timers,
SLA clocks), a replay, `audit verify` of 1,000 tickets (events/s, and the whole desk at that
rate, one process) and the monthly assessment report (a month: ~83,000 tickets, plus every
open ticket, whose whole journal the report reads: 100,000 here, a pessimistic backlog).
PostgreSQL is vacuumed after the bulk load, as autovacuum would have done on a desk in use.

""" + ("| date | backend | tickets / events | build | queue page (deep) | count | ticket view | "
       "replay | verify | monthly report | machine |\n"
       "|---|---|---|---|---|---|---|---|---|---|---|\n")


def save(results: dict[str, Any], date: str, machine: str) -> None:
    for backend, case in results.items():
        row = (f"| {date[:16].replace('T', ' ')} | {backend} | {case['tickets']:,} / "
               f"{case['events']:,} | {case['build_s']} s | {case['queue_first_ms']} ms "
               f"({case['queue_deep_ms']} ms) | {case['queue_count_ms']} ms | "
               f"{case['ticket_view_ms']} ms | {case['replay_ms']} ms | "
               f"{case['verify_events_per_s']:,} events/s (~{case['verify_whole_desk_s']} s) "
               f"| {case['report_s']} s | {machine} |")
        record.append_row(SECTION, SECTION_TEXT, row)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--tickets", type=int, default=FULL)
    parser.add_argument("--small", action="store_true", help=f"{SMALL:,} tickets")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args(argv)
    from bench.__main__ import _machine
    from bench.hotpath import now

    date = now().isoformat(timespec="seconds")
    results = run(SMALL if options.small else options.tickets, sqlite=not options.no_sqlite,
                  runs=options.runs)
    if not options.no_record:
        save(results, date, _machine())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
