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
import os
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
    workspace.store.close()
    return token


def direct(url: str, tickets: int) -> dict[str, float]:
    """Seconds and CPU seconds per step (an open or a fire) through the desk service."""
    workspace = open_workspace(url)
    ann = workspace.accounts.login("ann", PASSWORD)
    desk = workspace.desk
    started, cpu = time.perf_counter(), time.process_time()
    for number in range(tickets):
        ticket = desk.open("service_desk", ann, {"summary": f"bench {number}"})
        desk.fire(ticket.id, "receive", ann)
    steps = 2 * tickets
    figures = {"wall": (time.perf_counter() - started) / steps,
               "cpu": (time.process_time() - cpu) / steps}
    workspace.store.close()
    return figures


def through_api(url: str, token: str, tickets: int) -> dict[str, float]:
    """Seconds per request through a real server, on one keep-alive connection, and the
    CPU seconds per request of the server process and of the client."""
    with serving(url) as (base, pid), httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        http.get("/api/v1/me").raise_for_status()  # connected, warmed up
        started, cpu, server = time.perf_counter(), time.process_time(), _cpu_of(pid)
        for number in range(tickets):
            opened = http.post("/api/v1/tickets", json={
                "process": "service_desk", "data": {"summary": f"bench {number}"}})
            opened.raise_for_status()
            http.post(f"/api/v1/tickets/{opened.json()['id']}/fire",
                      json={"trigger": "receive"}).raise_for_status()
        steps = 2 * tickets
        return {"wall": (time.perf_counter() - started) / steps,
                "cpu": (_cpu_of(pid) - server) / steps,
                "client_cpu": (time.process_time() - cpu) / steps}


def _cpu_of(pid: int) -> float:
    """The CPU seconds (user and system, every thread) a process has used: /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(url: str) -> Iterator[tuple[str, int]]:
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
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("ticketflow serve stopped")
        try:
            httpx.get(base + "/openapi.json", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("ticketflow serve did not answer in 120 s")


def run(folder: Path, *, tickets: int, runs: int = 3) -> dict[str, Any]:
    """Alternate the variants ``runs`` times on fresh SQLite files; medians."""
    samples: dict[str, list[dict[str, float]]] = {"direct": [], "api": []}
    for attempt in range(runs):
        for variant, found in samples.items():
            url = f"sqlite:///{folder / f'{variant}-{attempt}.db'}"
            token = build(url)
            found.append(direct(url, tickets) if variant == "direct" else
                         through_api(url, token, tickets))

    def median(variant: str, figure: str) -> float:
        return statistics.median(sample[figure] for sample in samples[variant])

    direct_s, api_s = median("direct", "wall"), median("api", "wall")
    direct_cpu, server_cpu = median("direct", "cpu"), median("api", "cpu")
    return {"tickets": tickets, "runs": runs,
            "direct_per_s": round(1 / direct_s), "api_per_s": round(1 / api_s),
            "direct_ms": round(direct_s * 1000, 3), "api_ms": round(api_s * 1000, 3),
            "overhead": round(api_s / direct_s - 1, 3),
            "direct_cpu_ms": round(direct_cpu * 1000, 3),
            "server_cpu_ms": round(server_cpu * 1000, 3),
            "client_cpu_ms": round(median("api", "client_cpu") * 1000, 3),
            "cpu_overhead": round(server_cpu / direct_cpu - 1, 3)}


def describe(figures: dict[str, Any]) -> str:
    """One line for the terminal."""
    return (f"api: {figures['api_per_s']:,} requests/s through the API, "
            f"{figures['direct_per_s']:,} steps/s direct ({figures['api_ms']} vs "
            f"{figures['direct_ms']} ms): the API adds {figures['overhead']:.0%} per request "
            f"(goal < {GOAL:.0%}); CPU per request {figures['server_cpu_ms']} ms in the "
            f"server vs {figures['direct_cpu_ms']} ms direct ({figures['cpu_overhead']:+.0%}), "
            f"{figures['client_cpu_ms']} ms in the client")


SECTION = "## The HTTP API\n"
SECTION_TEXT = SECTION + """
`python -m bench` also measures what the HTTP API adds (`python -m bench.api` alone): tickets
of the service desk process opened and fired (`receive`) through the desk service directly,
and as two requests each through a real `ticketflow serve --no-worker` (uvicorn in its own
process; an httpx client on one keep-alive connection; every request authenticates its API
token) — in the same run, alternating, on fresh SQLite files with the default durability
(`synchronous=FULL`). Figures are steps (an open or a fire) per second and the median time
of one; **overhead** = API time per request ÷ direct time − 1. Goal: **under 30 %**. The
CPU column is the CPU time per step of the direct variant, of the server process (every
thread) and of the client: on a busy machine the wall-clock overhead grows with every
hand-over between processes and threads, while the CPU figures show what the API costs.

""" + ("| date | tickets × runs | direct | through the API | overhead | "
       "CPU per step: direct / server / client | machine |\n|---|---|---|---|---|---|---|\n")


def save(figures: dict[str, Any], date: str, machine: str, *, log: Path = record.LOG) -> None:
    """Add a dated line to the API section of docs/performance.md (made if missing)."""
    record.append_row(SECTION, SECTION_TEXT, line(figures, date, machine), log=log)


def line(figures: dict[str, Any], date: str, machine: str) -> str:
    """One dated table row."""
    return (f"| {date[:16].replace('T', ' ')} | {figures['tickets']:,} × {figures['runs']} | "
            f"{figures['direct_per_s']:,}/s ({figures['direct_ms']} ms) | "
            f"{figures['api_per_s']:,}/s ({figures['api_ms']} ms) | "
            f"{figures['overhead']:+.0%} | {figures.get('direct_cpu_ms', '—')} / "
            f"{figures.get('server_cpu_ms', '—')} / {figures.get('client_cpu_ms', '—')} ms | "
            f"{machine} |")


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
