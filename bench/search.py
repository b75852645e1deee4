"""Search over a desk of a million tickets — the first page of hits, as the app asks for
it — and its open queue sorted by SLA due.

The desk is :mod:`bench.scale`'s (each ticket's summary "Ticket N: printer on floor F
jams", ten journal events with their notes, one ticket in ten open), its search index
written with it. Each case is a search text as an agent types it after ``/`` — words and
``key:value`` filters, parsed by ``engine.desk.search`` and narrowed by the reading rule
of a service-desk agent, or read whole by a supervisor — and the figure is the median time
of its first page (100 tickets, newest first) through ``Desk.tickets``, plus the count of
every hit for the commonest word, and that count stopped past 1,000 as the app counts it
("1,000+").

``python -m bench.search [--tickets N] [--no-sqlite] [--no-record]`` (1,000,000 by default;
PostgreSQL runs when ``TICKETFLOW_BENCH_PG`` or ``TICKETFLOW_TEST_PG`` names a server).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from bench import record, scale
from engine.core.model import TicketQuery
from engine.desk.reading import readable
from engine.desk.search import search_query
from engine.time.clock import VirtualClock
from tui.widgets.queue_list import COUNTED
from tui.wiring import open_workspace

PAGE = 100
CASES = {
    "common": ("printer", "supervisor"),
    "common_filtered": ("printer post:handling_group open:yes", "supervisor"),
    "agent": ("printer jams", "agent"),
    "rare": ("ticket 654321", "supervisor"),
    "intersection": ("jams 99999", "supervisor"),
    "none": ("zebra", "supervisor"),
    "prefix": ("print*", "supervisor"),
}
"""Name → (search text, who searches)."""
READERS = {"supervisor": "sue", "agent": "ann"}
DUE_QUEUES = {
    "due_all": TicketQuery(is_open=True, sort="sla_due", limit=PAGE),
    "due_post": TicketQuery(is_open=True, post="handling_group", sort="sla_due", limit=PAGE),
}
"""Queues sorted by SLA due, soonest first: every open ticket, and a post's."""


def measure(url: str, tickets: int, *, runs: int = 5) -> dict[str, Any]:
    """Median milliseconds of each case's first page, and of the commonest word's count."""
    workspace = open_workspace(url, clock=VirtualClock(scale.START))
    desk, store = workspace.desk, workspace.store
    figures: dict[str, Any] = {"tickets": tickets}
    for name, (text, who) in CASES.items():
        reader = store.get_account(READERS[who])
        query = readable(reader, search_query(text, TicketQuery(is_open=None, limit=PAGE,
                                                                descending=True)))
        figures[f"{name}_ms"] = scale._median(partial(desk.tickets, query), runs) * 1000
    common = search_query("printer", TicketQuery(is_open=None))
    figures["count_ms"] = scale._median(lambda: store.count_tickets(common),
                                        max(1, runs // 2)) * 1000
    figures["counted_ms"] = scale._median(
        lambda: store.count_tickets(common, at_most=COUNTED + 1), runs) * 1000
    for name, query in DUE_QUEUES.items():
        figures[f"{name}_ms"] = scale._median(partial(desk.tickets, query), runs) * 1000
    middle = desk.tickets(replace(DUE_QUEUES["due_all"], limit=tickets // 20))[-1].id
    deep = replace(DUE_QUEUES["due_all"], after=middle)
    figures["due_deep_ms"] = scale._median(partial(desk.tickets, deep), runs) * 1000
    store.close()
    return {key: round(value, 2) if isinstance(value, float) else value
            for key, value in figures.items()}


def run(tickets: int, *, sqlite: bool = True, runs: int = 5) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'search.db'}"
            scale.build(url, tickets)
            results["sqlite"] = measure(url, tickets, runs=runs)
            print(describe({"sqlite": results["sqlite"]}), flush=True)
    base = next((os.environ[name] for name in scale.PG_ENV if os.environ.get(name)), None)
    if base:
        with scale._pg_schema(base) as url:
            scale.build(url, tickets)
            results["postgresql"] = measure(url, tickets, runs=runs)
            print(describe({"postgresql": results["postgresql"]}), flush=True)
    return results


def describe(results: dict[str, Any]) -> str:
    return "\n".join(
        f"search {backend}: {case['tickets']:,} tickets; first page of " + ", ".join(
            f"{CASES[name][0]!r} ({CASES[name][1]}) {case[name + '_ms']} ms" for name in CASES)
        + f"; count of 'printer' {case['count_ms']} ms (to {COUNTED:,}+: "
        f"{case['counted_ms']} ms); open queue by SLA due "
        f"{case['due_all_ms']} ms (a post's {case['due_post_ms']} ms, half way "
        f"{case['due_deep_ms']} ms)" for backend, case in results.items())


SECTION = "## Search\n"
SECTION_TEXT = SECTION + """
`python -m bench.search [--tickets N]` builds `bench.scale`'s desk (1,000,000 tickets by
default: "Ticket N: printer on floor F jams", ten journal events each with their notes, one
in ten open) with its search index, then times (medians of 5) the first page — 100 hits,
newest first, through `Desk.tickets` as the app asks for it — of searches typed after `/`:
a word every ticket has (`printer`), the same narrowed to a post's open tickets, two common
words read by a service-desk agent (the reading rule narrows them to the post's tickets and
the agent's own), a rare pair (`ticket 654321`), two words whose only common ticket is one
(`jams 99999`), a word no ticket has and a prefix (`print*`); and the count of every
`printer` hit, and the same count stopped past 1,000 — what the app counts when it shows a
queue ("4 of 1,000+"; `G` counts the whole queue). Goal: **a first page under 50 ms on
SQLite**. Then the open tickets (one in ten) sorted by SLA due, soonest first — all of them,
a post's, and a page half way down (keyset paging from a ticket id) — through the index on
`(is_open, sla_due, id)`.

""" + ("| date | backend | tickets | printer | + post, open | agent | rare | intersection | "
       "none | prefix | count (all; to 1,000+) | by SLA due (post, half way) | machine |\n"
       "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")


def save(results: dict[str, Any], date: str, machine: str) -> None:
    for backend, case in results.items():
        cells = " | ".join(f"{case[name + '_ms']} ms" for name in CASES)
        record.append_row(SECTION, SECTION_TEXT,
                          f"| {date[:16].replace('T', ' ')} | {backend} | {case['tickets']:,} "
                          f"| {cells} | {case['count_ms']} ms; "
                          f"{case.get('counted_ms', '—')} ms | {case['due_all_ms']} ms "
                          f"({case['due_post_ms']} ms, {case['due_deep_ms']} ms) | {machine} |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--tickets", type=int, default=scale.FULL)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args(argv)
    from bench.__main__ import _machine
    from bench.hotpath import now

    date = now().isoformat(timespec="seconds")
    results = run(options.tickets, sqlite=not options.no_sqlite, runs=options.runs)
    if not options.no_record:
        save(results, date, _machine())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
