"""A desk with API tokens, served in-process (TestClient) and by real uvicorn servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.wiring import Services, open_services
from engine.core.model import Account
from engine.process.load import load_process
from tui.wiring import Workspace, open_workspace

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Str0ng-pass"
PEOPLE = {
    "root": (["admin"], None), "ann": (["agent"], "service_desk"),
    "hal": (["agent"], "handling_group"), "sue": (["supervisor"], "service_desk"),
    "aud": (["auditor"], None), "mon": (["agent"], "service_desk"),
}


@dataclass
class ApiWorld:
    """A desk on a database several processes can open, one token per account."""

    url: str
    workspace: Workspace
    people: dict[str, Account]
    tokens: dict[str, str]

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def build_world(url: str) -> ApiWorld:
    workspace = open_workspace(url)
    people: dict[str, Account] = {}
    admin = None
    for name, (roles, post) in PEOPLE.items():
        people[name] = workspace.accounts.add(admin, username=name, password=PASSWORD,
                                              roles=roles, post=post)
        admin = admin or people[name]
    processes = [load_process(ROOT / "tests/flows/mini.yaml")]
    processes += [load_process(p) for p in sorted((ROOT / "flows").glob("*.yaml"))
                  if p.name != "assessment.yaml"]
    workspace.desk.deploy(processes, people["root"])
    tokens = {name: workspace.tokens.add(people["root"], f"{name}-token", name)[0]
              for name in PEOPLE}
    return ApiWorld(url, workspace, people, tokens)


@pytest.fixture
def world(shared_store_url: str) -> Iterator[ApiWorld]:
    built = build_world(shared_store_url)
    yield built
    built.workspace.store.close()


@pytest.fixture
def services(world: ApiWorld) -> Iterator[Services]:
    opened = open_services(world.url)
    yield opened
    opened.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), raise_server_exceptions=False) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """``ticketflow serve`` in a process of its own, on a free port of 127.0.0.1."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(url: str, log: Path, *extra: str) -> Server:
    """Start ``ticketflow serve`` and wait until it answers."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "ticketflow"), "serve", "--db", url,
               "--port", str(port), *extra]
    env = {**os.environ, "TICKETFLOW_ARGON2_PROFILE": "cheapest"}
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env,
                                   cwd=ROOT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: {log.read_text()}")
        try:
            httpx.get(server.base + "/openapi.json", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError(f"the server did not answer in 60 s: {log.read_text()}")


@pytest.fixture
def live(world: ApiWorld, tmp_path: Path) -> Iterator[Server]:
    """One real server (with its timer worker) over the world's database."""
    server = start_server(world.url, tmp_path / "serve.log")
    yield server
    server.stop()
