"""Run every benchmark: ``python -m bench [--quick] [--no-record]``."""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import api, assessment, audit, hotpath, memory, peer, record, scale, startup, timers
from bench import tui as terminal

TRANSITIONS = {"NORMAL": 5_000, "FULL": 2_000}
SAVERS = {"peer": peer.save, "scale": scale.save}


def main(argv: list[str]) -> int:
    """Measure, print, and (unless --no-record) record."""
    options = _parser().parse_args(argv)
    scale = 0.1 if options.quick else 1.0
    started = startup.measure(options.startup_runs) if options.startup_runs else None
    if started:  # first, while nothing of this run has warmed the machine up or loaded it
        print(startup.describe(started))
    results = measure_hot_path(runs=options.runs, scale=scale,
                               memory_tickets=options.memory_tickets)
    if options.audit_tickets:
        with tempfile.TemporaryDirectory() as scratch:
            results["audit"] = audit.run(Path(scratch),
                                         tickets=max(1, int(options.audit_tickets * scale)))
        print(audit.describe(results["audit"]))
    if options.assessment_events:
        events = max(1, int(options.assessment_events * scale))
        results["assessment"] = assessment.run(events, runs=3)
        print(assessment.describe(results["assessment"]))
    if options.timer_count:
        with tempfile.TemporaryDirectory() as scratch:
            results["timers"] = timers.run(Path(scratch),
                                           timers=max(1, int(options.timer_count * scale)))
        print(timers.describe(results["timers"]))
    if options.api_tickets:
        with tempfile.TemporaryDirectory() as scratch:
            results["api"] = api.run(Path(scratch),
                                     tickets=max(1, int(options.api_tickets * scale)))
        print(api.describe(results["api"]))
    if options.tui_tickets:
        with tempfile.TemporaryDirectory() as scratch:
            results["tui"] = terminal.run(Path(scratch),
                                          tickets=max(1, int(options.tui_tickets * scale)))
        print(terminal.describe(results["tui"]))
    if options.peer_instances:
        results["peer"] = peer.run(max(1, int(options.peer_instances * scale)))
        print(peer.describe(results["peer"]))
    if options.scale_tickets:
        results["scale"] = scale_run(options)
    if started:
        results["startup"] = started
    if not options.no_record:
        record.save(results)
        if started:
            startup.save(started)
        if "audit" in results:
            audit.save(results["audit"], results["date"], results["machine"])
        if "assessment" in results:
            assessment.save(results["assessment"])
        if "timers" in results:
            timers.save(results["timers"], results["date"], results["machine"])
        if "api" in results:
            api.save(results["api"], results["date"], results["machine"])
        if "tui" in results:
            terminal.save(results["tui"], results["date"], results["machine"])
        for name, save in SAVERS.items():  # ('scale' is a local number in here)
            if name in results:
                save(results[name], results["date"], results["machine"])
        print(f"recorded in {record.LATEST.relative_to(record.ROOT)} and "
              f"{record.LOG.relative_to(record.ROOT)}")
    return 0


def measure_hot_path(*, runs: int, scale: float, memory_tickets: int) -> dict[str, Any]:
    """The hot path in both modes and (unless ``memory_tickets`` is 0) the memory check,
    printed as they come: the part ``record.save`` records."""
    results: dict[str, Any] = {"date": hotpath.now().isoformat(timespec="seconds"),
                               "machine": _machine(), "modes": {}}
    for mode in hotpath.MODES:
        results["modes"][mode] = hotpath.measure(
            synchronous=mode, transitions=int(TRANSITIONS[mode] * scale), runs=runs)
        _show(mode, results["modes"][mode])
    if memory_tickets:
        with tempfile.TemporaryDirectory() as scratch:
            results["memory"] = memory.memory_growth(Path(scratch), tickets=memory_tickets)
        print(f"memory: {results['memory']['growth_mb']} MB growth firing across "
              f"{memory_tickets:,} tickets (goal < {memory.GOAL_MB} MB)")
    return results


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="alternating runs per variant")
    parser.add_argument("--quick", action="store_true", help="a tenth of the transitions")
    parser.add_argument("--startup-runs", type=int, default=10,
                        help="turns of each command in the start-up bench (0: skip)")
    parser.add_argument("--memory-tickets", type=int, default=100_000,
                        help="tickets to fire across for the memory check (0: skip)")
    parser.add_argument("--audit-tickets", type=int, default=5_000,
                        help="tickets of the desk `audit verify` is timed on (0: skip)")
    parser.add_argument("--assessment-events", type=int, default=1_000_000,
                        help="journal events the monthly assessment report is timed on (0: skip)")
    parser.add_argument("--timer-count", type=int, default=1_000,
                        help="due timers fired by 1, 2 and 4 workers (0: skip; PostgreSQL "
                             "when TICKETFLOW_BENCH_PG or TICKETFLOW_TEST_PG is set)")
    parser.add_argument("--api-tickets", type=int, default=300,
                        help="tickets opened and fired through the HTTP API and directly, "
                             "per run (0: skip)")
    parser.add_argument("--tui-tickets", type=int, default=100_000,
                        help="open tickets of the queue the terminal app is timed on (0: skip)")
    parser.add_argument("--peer-instances", type=int, default=1_000,
                        help="three-step instances run on SpiffWorkflow and ticketflow (0: skip)")
    parser.add_argument("--scale-tickets", type=int, default=scale.FULL,
                        help="tickets of the desk of 10 events each timed on SQLite and "
                             "PostgreSQL (0: skip)")
    parser.add_argument("--small", action="store_true",
                        help=f"a desk of {scale.SMALL:,} tickets for the scale bench")
    parser.add_argument("--no-record", action="store_true",
                        help="print only; leave latest.json and docs/performance.md alone")
    return parser


def scale_run(options: argparse.Namespace) -> dict[str, Any]:
    """The scale bench: the full desk unless --small (or --quick: a tenth)."""
    tickets = scale.SMALL if options.small else options.scale_tickets
    return scale.run(max(1, int(tickets * (0.1 if options.quick else 1.0))))


def _machine() -> str:
    return (f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def _show(mode: str, figures: dict[str, Any]) -> None:
    print(f"{mode:>6}: raw sqlite3 {figures['raw_sqlite_tps']:>7,}/s   engine "
          f"{figures['engine_tps']:>7,}/s ({figures['ratio']:.2f}×)   store alone "
          f"{figures['store_tps']:>7,}/s ({figures['store_ratio']:.2f}×)   CPU µs per "
          f"transition: {', '.join(f'{k} {v}' for k, v in figures['cpu_us'].items())}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
