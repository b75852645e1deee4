"""Verifying a whole desk on several cores: ranges of ticket ids checked in forked processes.

The parent checks what is shared — the admin journal, accounts, process versions and the
seals' signatures — and splits the ticket ids into ranges cut on the latest seal's bucket
grid, so that every bucket of head digests is checked whole by one worker, a few ranges per
worker. Each worker opens its own store (``open_store``), takes ranges from a shared queue
until none is left, and sends back their reports.
Meant for SQLite files, where every process reads the same file; results are the same as
one :class:`engine.audit.verify.Verifier` over everything.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from engine.audit.verify import Report, Verifier, link_violations
from engine.core.errors import DamagedVersion, TicketflowError
from engine.core.model import TicketQuery
from engine.desk.ports import Store

OpenStore = Callable[[], Store]
Span = tuple[int, int]
"""A range of ticket ids, first and last."""
SHARES = 4
"""Ranges per worker: one that finishes early takes the next, so a core slowed by other
work (or a range of longer journals) does not hold the whole run back."""


def verify_in_parallel(open_store: OpenStore, key: bytes | None, workers: int) -> Report:
    """The report of a whole desk, its tickets verified by ``workers`` processes."""
    started = time.perf_counter()
    store = open_store()
    shared = Verifier(store, key)
    report = shared.run([])
    bounds = id_bounds(store)
    if bounds is not None:
        for version in store.list_versions():  # compiled once, inherited by the workers
            with contextlib.suppress(DamagedVersion):  # flagged; its tickets say so too
                shared.compiled(version.digest)
        grid = (shared.seal.first, int(shared.seal.entry.details["bucket"])) if shared.seal \
            else None
        ranges = spans(*bounds, workers * SHARES, grid)
        for part in _forked(shared, open_store, ranges, min(workers, len(ranges))):
            report.tickets += part.tickets
            report.events += part.events
            report.violations += part.violations
            report.link_sides += part.link_sides
            report.links.update(part.links)
        report.violations += link_violations(store, report)
    report.violations.sort(key=lambda v: (v.ticket or 0, v.seq or 0))
    report.seconds = time.perf_counter() - started
    return report


def id_bounds(store: Store) -> tuple[int, int] | None:
    """The lowest and highest ticket id (None: no tickets)."""
    low = store.list_tickets(TicketQuery(is_open=None, limit=1))
    high = store.list_tickets(TicketQuery(is_open=None, limit=1, descending=True))
    return (low[0].id, high[0].id) if low and high else None


def spans(first: int, last: int, parts: int, grid: tuple[int, int] | None
          ) -> list[tuple[int, int]]:
    """``first..last`` cut into at most ``parts`` ranges, cuts on the grid (origin, step)."""
    origin, step = grid or (first, 1)
    size = max(1, -(-(last - first + 1) // max(parts, 1)))
    cuts, low = [], first
    while low <= last:
        high = min(last, low + size - 1)
        if high < last:  # move the cut up to the end of the bucket it falls in
            high = origin + ((high - origin) // step + 1) * step - 1
        cuts.append((low, min(high, last)))
        low = high + 1
    return cuts


def _forked(shared: Verifier, open_store: OpenStore, ranges: list[Span], workers: int
            ) -> list[Report]:
    """Each range's report, the ranges taken in turn by ``workers`` forked processes; a
    range whose worker died is verified here."""
    context = multiprocessing.get_context("fork")
    todo = context.SimpleQueue()
    for span in [*ranges, *[None] * workers]:  # one stop sign per worker
        todo.put(span)
    pipes, processes = [], []
    for _ in range(workers):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(sender, shared, open_store, todo))
        process.start()
        sender.close()
        pipes.append(receiver)
        processes.append(process)
    done: dict[Span, Report] = {}
    for pipe in pipes:
        done.update(_answers(pipe))
    for process in processes:
        process.join()
    missing = [span for span in ranges if span not in done]
    if missing:
        store = open_store()
        done.update((span, _range(shared, store, span)) for span in missing)
    return [done[span] for span in ranges]


def _answers(pipe: Connection) -> list[tuple[Span, Report]]:
    """The reports a worker sent (none when it died before answering)."""
    try:
        answer = pipe.recv()
    except EOFError:
        return []
    if isinstance(answer, str):
        raise TicketflowError(f"a verify worker failed: {answer}")
    return answer  # type: ignore[no-any-return]


def _range(shared: Verifier, store: Store, span: Span) -> Report:
    """One range's report, on what the parent checked for all (the admin journal)."""
    verifier = shared.for_range(store)
    verifier.check_tickets(span=span)
    return verifier.report


def _worker(sender: Connection, shared: Verifier, open_store: OpenStore, todo: Any) -> None:
    """Verify ranges until the stop sign, send the reports, and leave without touching the
    parent's objects."""
    answer: Any
    try:
        store, answer = open_store(), []
        while (span := todo.get()) is not None:
            answer.append((span, _range(shared, store, span)))
    except BaseException as exc:  # the parent reports it
        answer = f"{type(exc).__name__}: {exc}"
    sender.send(answer)
    sender.close()
    os._exit(0)  # inherited connections and finalisers belong to the parent
