"""What the HTTP API adds per request: tickets opened and fired through the API and through
the desk service directly, in the same run, on SQLite.

Each variant gets a fresh database file with the same desk (the service desk process, an
admin, an agent with an API token). **direct**: ``Desk.open`` then ``Desk.fire(receive)``
in this process, as the CLI does. **api**: the same two steps as two requests to a real
``ticketflow serve --no-worker`` (uvicorn, its own process) from an httpx client that keeps
its connection alive; each request authenticates its token. The variants alternate, each
run times ``tickets`` tickets (two requests each), and the figures are medians. Overhead =
API time per request ÷ direct time per request − 1 (goal: under 30 %).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench import record
from engine.process.load import load_process
from tui.wiring import open_workspace

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-pass-1"
GOAL = 0.30


def build(url: str) -> str:
    """A desk with the service desk process and an agent; the agent's API token."""
    workspace = open_workspace(url)
    root = workspace.accounts.add(None, username="root", password=PASSWORD, roles=["admin"],
                                  post=None)
    workspace.accounts.add(root, username="ann", password=PASSWORD, roles=["agent"],
                           post="service_desk")
    workspace.desk.deploy([load_process(ROOT / "flows" / name) for name in (
        "service_desk.yaml", "vendor_access.yaml")], root)
    token, _ = workspace.tokens.add(root, "bench", "ann")
    workspace.store.close()  # type: ignore[attr-defined]
    return token


def direct(url: str, tickets: int) -> float:
    """Seconds per step (an open or a fire) through the desk service."""
    workspace = open_workspace(url)
    ann = workspace.accounts.login("ann", PASSWORD)
    desk = workspace.desk
    started = time.perf_counter()
    for number in range(tickets):
        ticket = desk.open("service_desk", ann, {"summary": f"bench {number}"})
        desk.fire(ticket.id, "receive", ann)
    elapsed = time.perf_counter() - started
    workspace.store.close()  # type: ignore[attr-defined]
    return elapsed / (2 * tickets)


def through_api(url: str, token: str, tickets: int) -> float:
    """Seconds per request through a real server, on one keep-alive connection."""
    with serving(url) as base, httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        http.get("/api/v1/me").raise_for_status()  # connected, warmed up
        started = time.perf_counter()
        for number in range(tickets):
            opened = http.post("/api/v1/tickets", json={
                "process": "service_desk", "data": {"summary": f"bench {number}"}})
            opened.raise_for_status()
            http.post(f"/api/v1/tickets/{opened.json()['id']}/fire",
                      json={"trigger": "receive"}).raise_for_status()
        return (time.perf_counter() - started) / (2 * tickets)


@contextmanager
def serving(url: str) -> Iterator[str]:
    """``ticketflow serve --no-worker`` on a free port of 127.0.0.1, until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).parent / "ticketflow"), "serve", "--db", url,
               "--port", str(port), "--no-worker"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("ticketflow serve stopped")
        try:
            httpx.get(base + "/openapi.json", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("ticketflow serve did not answer in 30 s")


def run(folder: Path, *, tickets: int, runs: int = 3) -> dict[str, Any]:
    """Alternate the variants ``runs`` times on fresh SQLite files; medians."""
    times: dict[str, list[float]] = {"direct": [], "api": []}
    for attempt in range(runs):
        for variant in times:
            url = f"sqlite:///{folder / f'{variant}-{attempt}.db'}"
            token = build(url)
            seconds = direct(url, tickets) if variant == "direct" else \
                through_api(url, token, tickets)
            times[variant].append(seconds)
    direct_s, api_s = (statistics.median(times[v]) for v in ("direct", "api"))
    return {"tickets": tickets, "runs": runs,
            "direct_per_s": round(1 / direct_s), "api_per_s": round(1 / api_s),
            "direct_ms": round(direct_s * 1000, 3), "api_ms": round(api_s * 1000, 3),
            "overhead": round(api_s / direct_s - 1, 3)}


def describe(figures: dict[str, Any]) -> str:
    """One line for the terminal."""
    return (f"api: {figures['api_per_s']:,} requests/s through the API, "
            f"{figures['direct_per_s']:,} steps/s direct ({figures['api_ms']} vs "
            f"{figures['direct_ms']} ms): the API adds {figures['overhead']:.0%} per request "
            f"(goal < {GOAL:.0%})")


SECTION = "## The HTTP API\n"
SECTION_TEXT = SECTION + """
`python -m bench` also measures what the HTTP API adds (`python -m bench.api` alone): tickets
of the service desk process opened and fired (`receive`) through the desk service directly,
and as two requests each through a real `ticketflow serve --no-worker` (uvicorn in its own
process; an httpx client on one keep-alive connection; every request authenticates its API
token) — in the same run, alternating, on fresh SQLite files with the default durability
(`synchronous=FULL`). Figures are steps (an open or a fire) per second and the median time
of one; **overhead** = API time per request ÷ direct time − 1. Goal: **under 30 %**.

| date | tickets × runs | direct | through the API | overhead | machine |
|---|---|---|---|---|---|
"""


def save(figures: dict[str, Any], date: str, machine: str, *, log: Path = record.LOG) -> None:
    """Add a dated line to the API section of docs/performance.md (made if missing)."""
    record.append_row(SECTION, SECTION_TEXT, line(figures, date, machine), log=log)


def line(figures: dict[str, Any], date: str, machine: str) -> str:
    """One dated table row."""
    return (f"| {date[:16].replace('T', ' ')} | {figures['tickets']:,} × {figures['runs']} | "
            f"{figures['direct_per_s']:,}/s ({figures['direct_ms']} ms) | "
            f"{figures['api_per_s']:,}/s ({figures['api_ms']} ms) | "
            f"{figures['overhead']:+.0%} | {machine} |")


def main(argv: list[str]) -> int:
    """``python -m bench.api [--tickets N] [--runs N] [--no-record]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__)
    parser.add_argument("--tickets", type=int, default=300, help="tickets per run")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs per variant")
    parser.add_argument("--no-record", action="store_true",
                        help="print only; leave docs/performance.md alone")
    options = parser.parse_args(argv)
    from bench.__main__ import _machine
    from bench.hotpath import now

    date = now().isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory() as scratch:
        figures = run(Path(scratch), tickets=options.tickets, runs=options.runs)
    print(describe(figures))
    if not options.no_record:
        save(figures, date, _machine())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
