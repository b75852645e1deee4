"""The hot path, measured: ticketflow firing transitions against raw ``sqlite3``.

In one run, on the same kind of fresh temporary file, alternately:
(a) ``raw``: raw sqlite3 doing the same reads and writes per transition (:mod:`bench.raw`);
(b) ``engine``: ticketflow's desk service, ``Desk.fire`` (roles, guard, the shared machine,
    the sealed event, one transaction through the store);
(c) ``store``: the store alone, ``SqlStore.apply`` of the change the desk would build
    (load, fire the compiled machine, seal one event) — where storage's share shows.
Each with ``synchronous=NORMAL`` and ``FULL``. The variants take turns in blocks of
transitions on their own files, so that a machine busy with other work slows them alike;
several runs on fresh files, medians.

``python -m bench.hotpath`` runs this part of ``python -m bench`` alone (with the memory
check) and records it the same way.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from copy import copy
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

from bench import raw
from engine.core.journal import Event, seal
from engine.core.model import Account, Change
from engine.desk.desk import Desk
from engine.process.compiler import compile_process
from engine.process.load import load_process
from engine.time.clock import SystemClock
from storage import SqlStore, open_store

MINI = Path(__file__).resolve().parent.parent / "tests" / "flows" / "mini.yaml"
DESK_AGENT = Account("desk", "Desk agent", ["admin", "agent"], "service_desk", "")
AGENT = Account("group", "Group agent", ["agent"], "handling_group", "")
MODES = ("NORMAL", "FULL")
VARIANTS = ("raw", "engine", "store")


def url(path: Path, synchronous: str) -> str:
    return f"sqlite:///{path}?synchronous={synchronous}"


def prepare(path: Path, *, synchronous: str, tickets: int) -> list[int]:
    """A new database holding ``tickets`` tickets in state handling."""
    with open_store(url(path, synchronous)) as store:
        desk = Desk(store, SystemClock())
        desk.deploy([load_process(MINI)], DESK_AGENT)
        ids = []
        for number in range(tickets):
            opened = desk.open("mini", DESK_AGENT, {"summary": f"bench {number}", "level": 2})
            desk.fire(opened.id, "receive", DESK_AGENT)
            desk.fire(opened.id, "dispatch", DESK_AGENT)
            ids.append(opened.id)
    return ids


class Cycle:
    """Fires hold/resume round-robin over the tickets; timed in blocks."""

    def __init__(self, fire: Callable[[int, str], None], ids: list[int]) -> None:
        self.fire, self.ids = fire, ids
        self.states = dict.fromkeys(ids, "handling")
        self.position = self.fired = 0
        self.elapsed = self.cpu = 0.0
        self.run(2)  # warm caches and connections outside the clock
        self.elapsed, self.cpu, self.fired = 0.0, 0.0, 0

    def run(self, transitions: int) -> None:
        """Fire ``transitions`` transitions and add their wall time."""
        ids, states, fire = self.ids, self.states, self.fire
        start, cpu = perf_counter(), process_time()
        for number in range(self.position, self.position + transitions):
            ticket_id = ids[number % len(ids)]
            fire(ticket_id, states[ticket_id])
            states[ticket_id] = raw.MOVES[states[ticket_id]][1]
        self.elapsed += perf_counter() - start
        self.cpu += process_time() - cpu
        self.position += transitions
        self.fired += transitions


@contextmanager
def raw_cycle(path: Path, synchronous: str, ids: list[int]) -> Iterator[Cycle]:
    connection = raw.connect(path, synchronous)
    try:
        yield Cycle(lambda ticket_id, _: raw.fire(connection, ticket_id, AGENT.username), ids)
    finally:
        connection.close()


@contextmanager
def engine_cycle(path: Path, synchronous: str, ids: list[int]) -> Iterator[Cycle]:
    with open_store(url(path, synchronous)) as store:
        desk = Desk(store, SystemClock())
        yield Cycle(lambda ticket_id, state: _desk_fire(desk, ticket_id, state), ids)


def _desk_fire(desk: Desk, ticket_id: int, state: str) -> None:
    desk.fire(ticket_id, raw.MOVES[state][0], AGENT)


@contextmanager
def store_cycle(path: Path, synchronous: str, ids: list[int]) -> Iterator[Cycle]:
    compiled = compile_process(load_process(MINI))
    clock = SystemClock()
    with open_store(url(path, synchronous)) as store:
        yield Cycle(lambda ticket_id, state: _apply(store, compiled, clock, ticket_id, state),
                    ids)


def _apply(store: SqlStore, compiled: Any, clock: SystemClock, ticket_id: int,
           state: str) -> None:
    """What the desk writes for hold/resume: the moved ticket and one sealed event."""
    ticket = store.load_ticket(ticket_id)
    moved = copy(ticket)
    trigger = raw.MOVES[state][0]
    compiled.fire(moved, trigger, {**ticket.data, "actor": AGENT.username})
    now = clock.now()
    event = seal(Event(ticket_id=ticket.id, seq=ticket.seq + 1, at=now, actor=AGENT.username,
                       kind="fire", trigger=trigger, source=ticket.state, dest=moved.state,
                       changes={}, digest=ticket.digest, prev_hash=ticket.head))
    moved = replace(moved, version=ticket.version + 1, seq=event.seq, head=event.hash,
                    updated_at=now, state_since=now)
    store.apply(Change(ticket=moved, expected_version=ticket.version, events=[event],
                       cancel_states=[ticket.state]))


CYCLES = {"raw": raw_cycle, "engine": engine_cycle, "store": store_cycle}
BLOCK = 100
"""Transitions per turn: the variants take turns, so a busy machine slows them alike."""


def measure(*, synchronous: str, transitions: int, runs: int, tickets: int = 100,
            directory: Path | None = None) -> dict[str, Any]:
    """Runs on fresh files, the variants taking turns in blocks; medians, ratios to raw."""
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(runs):
        for name, cycle in _one_run(synchronous, transitions, tickets, directory).items():
            samples[name].append(cycle.fired / cycle.elapsed)
            cpu[name].append(cycle.cpu / cycle.fired * 1e6)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {"raw_sqlite_tps": round(medians["raw"]), "engine_tps": round(medians["engine"]),
            "store_tps": round(medians["store"]),
            "ratio": round(medians["engine"] / medians["raw"], 3),
            "store_ratio": round(medians["store"] / medians["raw"], 3),
            "cpu_us": {name: round(statistics.median(values), 1) for name, values in cpu.items()},
            "transitions": transitions, "runs": runs,
            "samples": {name: [round(v) for v in values] for name, values in samples.items()}}


def _one_run(synchronous: str, transitions: int, tickets: int, directory: Path | None
             ) -> dict[str, Cycle]:
    with tempfile.TemporaryDirectory(dir=directory) as scratch, ExitStack() as stack:
        cycles = {}
        for name in VARIANTS:
            path = Path(scratch) / f"{name}.db"
            ids = prepare(path, synchronous=synchronous, tickets=tickets)
            cycles[name] = stack.enter_context(CYCLES[name](path, synchronous, ids))
        for turn, start in enumerate(range(0, transitions, BLOCK)):
            order = VARIANTS[turn % 3:] + VARIANTS[:turn % 3]
            for name in order:
                cycles[name].run(min(BLOCK, transitions - start))
        return cycles


def now() -> datetime:
    return datetime.now(UTC)


def main(argv: list[str]) -> int:
    """The hot path in both modes and the memory check; printed, then recorded."""
    from bench import record
    from bench.__main__ import measure_hot_path

    parser = argparse.ArgumentParser(prog="python -m bench.hotpath", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="alternating runs per variant")
    parser.add_argument("--quick", action="store_true", help="a tenth of the transitions")
    parser.add_argument("--memory-tickets", type=int, default=100_000,
                        help="tickets to fire across for the memory check (0: skip)")
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args(argv)
    results = measure_hot_path(runs=options.runs, scale=0.1 if options.quick else 1.0,
                               memory_tickets=options.memory_tickets)
    if not options.no_record:
        record.save(results)
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
