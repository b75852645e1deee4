"""What the HTTP API adds per request: tickets opened and fired through the API and through
the desk service directly, in the same run, on SQLite.

Each variant gets a fresh database file with the same desk (the service desk process, an
admin, an agent with an API token). **direct**: ``Desk.open`` then ``Desk.fire(receive)``
in this process, as the CLI does. **api**: the same two steps as two requests to a real
``ticketflow serve --no-worker`` (uvicorn, its own process), first from a lean client
(``http.client``), then from httpx, each keeping its connection alive; each request
authenticates its token. The variants alternate, each run times ``tickets`` tickets (two
requests each) per client, and the figures are medians. Overhead = API time per request ÷
direct time per request − 1 (goal: under 30 %, with the lean client).
"""

from __future__ import annotations

import argparse
import http.client
import json
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
from typing import Any, Protocol

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
    """Seconds per request through a real server and the CPU seconds per request of the
    server process and of the client: first from a lean client, then from httpx, each on
    one keep-alive connection (the httpx figures are prefixed ``httpx_``)."""
    with serving(url) as (base, pid):
        with Lean(base, token) as lean:
            figures = _timed(lean, pid, tickets)
        with Httpx(base, token) as heavy:
            figures |= {f"httpx_{name}": value
                        for name, value in _timed(heavy, pid, tickets).items()}
        return figures


def _timed(client: Client, pid: int, tickets: int) -> dict[str, float]:
    client.call("GET", "/api/v1/me")  # connected, warmed up
    started, cpu, server = time.perf_counter(), time.process_time(), _cpu_of(pid)
    for number in range(tickets):
        opened = client.call("POST", "/api/v1/tickets", {
            "process": "service_desk", "data": {"summary": f"bench {number}"}})
        client.call("POST", f"/api/v1/tickets/{opened['id']}/fire", {"trigger": "receive"})
    steps = 2 * tickets
    return {"wall": (time.perf_counter() - started) / steps,
            "cpu": (_cpu_of(pid) - server) / steps,
            "client_cpu": (time.process_time() - cpu) / steps}


class Client(Protocol):
    def call(self, method: str, path: str, body: dict[str, Any] | None = None
             ) -> dict[str, Any]:
        """A request (with a JSON body, if any) and the token; the JSON answer (an error
        status raises)."""
        ...


class Lean:
    """``http.client`` on one keep-alive connection: about what any lean client (curl, a Go
    or Java HTTP client) costs per request."""

    def __init__(self, base: str, token: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = {"Authorization": f"Bearer {token}",
                        "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None
             ) -> dict[str, Any]:
        self.connection.request(method, path, None if body is None else json.dumps(body),
                                self.headers)
        answer = self.connection.getresponse()
        text = answer.read()
        if answer.status >= 400:
            raise RuntimeError(f"{method} {path}: {answer.status} {text[:200]!r}")
        found: dict[str, Any] = json.loads(text)
        return found

    def __enter__(self) -> Lean:
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


class Httpx:
    """httpx on one keep-alive connection: a popular Python client, heavy per request."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                 timeout=60)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None
             ) -> dict[str, Any]:
        answer = self.http.request(method, path, json=body)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found

    def __enter__(self) -> Httpx:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()


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

    direct_s, direct_cpu = median("direct", "wall"), median("direct", "cpu")
    figures: dict[str, Any] = {"tickets": tickets, "runs": runs,
                               "direct_per_s": round(1 / direct_s),
                               "direct_ms": round(direct_s * 1000, 3),
                               "direct_cpu_ms": round(direct_cpu * 1000, 3)}
    for prefix in ("", "httpx_"):
        api_s, server_cpu = median("api", prefix + "wall"), median("api", prefix + "cpu")
        figures |= {prefix + "api_per_s": round(1 / api_s),
                    prefix + "api_ms": round(api_s * 1000, 3),
                    prefix + "overhead": round(api_s / direct_s - 1, 3),
                    prefix + "server_cpu_ms": round(server_cpu * 1000, 3),
                    prefix + "client_cpu_ms": round(median("api", prefix + "client_cpu")
                                                    * 1000, 3),
                    prefix + "cpu_overhead": round(server_cpu / direct_cpu - 1, 3)}
    return figures


def describe(figures: dict[str, Any]) -> str:
    """Two lines for the terminal: the lean client's figures, then httpx's."""
    return "\n".join(
        f"api ({client}): {figures[prefix + 'api_per_s']:,} requests/s through the API, "
        f"{figures['direct_per_s']:,} steps/s direct ({figures[prefix + 'api_ms']} vs "
        f"{figures['direct_ms']} ms): the API adds {figures[prefix + 'overhead']:.0%} per "
        f"request (goal < {GOAL:.0%}); CPU per request {figures[prefix + 'server_cpu_ms']} ms "
        f"in the server vs {figures['direct_cpu_ms']} ms direct "
        f"({figures[prefix + 'cpu_overhead']:+.0%}), {figures[prefix + 'client_cpu_ms']} ms "
        f"in the client" for client, prefix in (("http.client", ""), ("httpx", "httpx_"))
        if prefix + "api_ms" in figures)


SECTION = "## The HTTP API\n"
SECTION_TEXT = SECTION + """
`python -m bench` also measures what the HTTP API adds (`python -m bench.api` alone): tickets
of the service desk process opened and fired (`receive`) through the desk service directly,
and as two requests each through a real `ticketflow serve --no-worker` (uvicorn with
httptools and uvloop, in its own process; every request authenticates its API token) — in
the same run, alternating, on fresh SQLite files with the default durability
(`synchronous=FULL`). Each API run times two clients one after the other on the same
server, each on one keep-alive connection: a **lean** one (`http.client`, about what curl
or a Go or Java client costs) and **httpx** (a popular Python client, much heavier per
request). Figures are steps (an open or a fire) per second and the median time of one;
**overhead** = API time per request ÷ direct time − 1, first with the lean client (the
figure the goal is about: what the API adds as a client sees it), then with httpx. Goal:
**under 30 %**. The CPU column is the CPU time per step of the direct variant, of the server
process (every thread) and of the client: on a busy machine the wall-clock figures stretch
with every fsync and every hand-over between processes and threads, while the CPU figures
show what the API costs.

""" + ("| date | tickets × runs | direct | through the API | overhead | "
       "CPU per step: direct / server / client | machine |\n|---|---|---|---|---|---|---|\n")


def save(figures: dict[str, Any], date: str, machine: str, *, log: Path = record.LOG) -> None:
    """Add a dated line to the API section of docs/performance.md (made if missing)."""
    record.append_row(SECTION, SECTION_TEXT, line(figures, date, machine), log=log)


def line(figures: dict[str, Any], date: str, machine: str) -> str:
    """One dated table row: the lean client's figures, then (``httpx``) httpx's."""
    heavy = "httpx_api_ms" in figures
    return (f"| {date[:16].replace('T', ' ')} | {figures['tickets']:,} × {figures['runs']} | "
            f"{figures['direct_per_s']:,}/s ({figures['direct_ms']} ms) | "
            f"{figures['api_per_s']:,}/s ({figures['api_ms']} ms)"
            + (f"; httpx {figures['httpx_api_per_s']:,}/s ({figures['httpx_api_ms']} ms)"
               if heavy else "")
            + f" | {figures['overhead']:+.0%}"
            + (f"; httpx {figures['httpx_overhead']:+.0%}" if heavy else "")
            + f" | {figures.get('direct_cpu_ms', '—')} / {figures.get('server_cpu_ms', '—')} / "
            f"{figures.get('client_cpu_ms', '—')} ms"
            + (f"; httpx — / {figures['httpx_server_cpu_ms']} / "
               f"{figures['httpx_client_cpu_ms']} ms" if heavy else "")
            + f" | {machine} |")


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
