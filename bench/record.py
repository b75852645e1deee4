"""Where results go: ``bench/results/latest.json`` and a dated line in docs/performance.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT / "bench" / "results" / "latest.json"
LOG = ROOT / "docs" / "performance.md"
INTRO = "# Performance\n"
HOT_PATH = "## The hot path\n"
HOT_PATH_TEXT = HOT_PATH + """
`make bench` (`python -m bench`) measures the hot path — one state change: read the ticket,
check roles and the guard, fire the shared machine, then in one transaction update the
ticket (optimistic version check), cancel the timers of the state left, and append the
journal event with its SHA-256 — and compares it with raw `sqlite3` doing the same reads
and writes with the same pragmas (WAL, foreign keys, busy timeout, `BEGIN IMMEDIATE`).

In one run, on fresh temporary files of the same kind, the variants alternate: **raw**
sqlite3, the **engine** (`Desk.fire`, what the CLI and the terminal app call) and the
**store** alone (`SqlStore.apply` of the change the desk would build). Each runs with
`synchronous=NORMAL` and `FULL` (the default: an audit system must not lose a committed
event on power loss); figures are medians of the runs. Ratio = engine ÷ raw.

Goals: **ratio ≥ 0.5 with NORMAL and ≥ 0.9 with FULL**, and firing across 100,000 tickets
keeps the process's memory flat (**growth < 50 MB**). The numbers depend on the machine and
on what else it is doing (the load average is in the last column: on a shared machine the
Python work of a transition stretches in wall time while an fsync does not, so a busy
machine lowers the ratios); compare lines taken on the same machine. The last run's
details, with the CPU time per transition of each variant, are in
`bench/results/latest.json`.

| date | NORMAL: engine / raw | FULL: engine / raw | store ratio N / F | memory | machine |
|---|---|---|---|---|---|
"""


def save(results: dict[str, Any], *, latest: Path = LATEST, log: Path = LOG) -> None:
    """Write the latest results and add their line to the hot path's table in the log."""
    latest.parent.mkdir(parents=True, exist_ok=True)
    latest.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    append_row(HOT_PATH, HOT_PATH_TEXT, line(results), log=log)


def line(results: dict[str, Any]) -> str:
    """One dated table row of the log."""
    modes = results["modes"]
    normal, full = modes.get("NORMAL", {}), modes.get("FULL", {})
    memory = results.get("memory") or {}
    growth = f"{memory['growth_mb']} MB over {memory['tickets']:,} tickets" if memory else "—"
    return (f"| {results['date'][:16].replace('T', ' ')} | {_pair(normal)} | {_pair(full)} | "
            f"{normal.get('store_ratio', '—')} / {full.get('store_ratio', '—')} | {growth} | "
            f"{results['machine']} |")


def _pair(mode: dict[str, Any]) -> str:
    if not mode:
        return "—"
    return f"{mode['engine_tps']:,}/s / {mode['raw_sqlite_tps']:,}/s ({mode['ratio']:.2f}×)"


def append_row(section: str, text: str, row: str, *, log: Path = LOG) -> None:
    """Add a row to the table of a section of docs/performance.md (the section made if new)."""
    if not log.exists():
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(INTRO, encoding="utf-8")
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    if section not in lines:
        lines[1:1] = ["\n", *text.splitlines(keepends=True)]
    at = lines.index(section) + 1
    while at < len(lines) and not lines[at].startswith("| date"):
        at += 1
    at += 2
    while at < len(lines) and lines[at].startswith("| "):
        at += 1
    lines.insert(at, row + "\n")
    log.write_text("".join(lines), encoding="utf-8")
