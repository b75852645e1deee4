"""Webhooks for real: an HTTP receiver on 127.0.0.1 checks signatures, goes down, comes back."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from engine.desk.webhooks import Dispatcher, delay
from engine.time.clock import VirtualClock
from tests.api.conftest import ApiWorld, Server, free_port
from tests.api.test_tokens import cli
from tui import delivery


class Receiver:
    """An HTTP server that keeps what it is sent, verifying each signature."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[dict[str, Any]] = []
        self.secret = ""
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(receiver.secret.encode(), body,
                                                hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(self.headers["X-Ticketflow-Signature"], expected)
                receiver.received.append({"body": json.loads(body), "signed": signed,
                                          "delivery": self.headers["X-Ticketflow-Delivery"]})
                self.send_response(204 if signed else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(free_port())
    running.start()
    yield running
    running.stop()


def subscribe(world: ApiWorld, receiver: Receiver, topics: str,
              monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> int:
    code, out, err = cli(monkeypatch, capsys, world, "webhooks", "add", receiver.url,
                         "--events", topics, "--json")
    assert code == 0, err
    added = json.loads(out)
    receiver.secret = added["secret"]
    return int(added["id"])


def dispatcher(world: ApiWorld, clock: VirtualClock) -> Dispatcher:
    return Dispatcher(store=world.workspace.webhooks.store, clock=clock, send=delivery.post,
                      worker="test-worker", report=lambda message: None)


def test_only_admins_subscribe_and_bad_subscriptions_are_refused(
        world: ApiWorld, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(monkeypatch, capsys, world, "webhooks", "add", "http://127.0.0.1:9/",
                       "--events", "notification", user=("ann", "Str0ng-pass"))
    assert code == 3 and "admin" in err
    for url, topics, complaint in (("ftp://x/", "notification", "http"),
                                   ("http://127.0.0.1:9/", "alerts", "unknown topic"),
                                   ("http://127.0.0.1:9/", "state:", "unknown topic")):
        code, _, err = cli(monkeypatch, capsys, world, "webhooks", "add", url,
                           "--events", topics)
        assert code == 2 and complaint in err and err.count("\n") == 1


def test_subscribed_state_changes_are_posted_signed(
        world: ApiWorld, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    subscribe(world, receiver, "state:received,notification:sla_breach", monkeypatch, capsys)
    desk, ann = world.workspace.desk, world.people["ann"]
    ticket = desk.open("mini", ann, {"summary": "printer"})
    desk.fire(ticket.id, "receive", ann)
    clock = VirtualClock(datetime.now(UTC) + timedelta(seconds=10))  # past the settling
    assert dispatcher(world, clock).pass_once() == 2  # queued one, delivered one
    assert [r["body"]["topic"] for r in receiver.received] == ["state:received"]
    body = receiver.received[0]["body"]
    assert receiver.received[0]["signed"]
    assert (body["ticket"], body["from"], body["to"], body["actor"]) == (
        ticket.id, "submitted", "received", "ann")
    assert dispatcher(world, clock).pass_once() == 0  # nothing twice
    _, out, _ = cli(monkeypatch, capsys, world, "webhooks", "deliveries", "--json")
    logged = json.loads(out)
    assert [(d["status"], [a["status"] for a in d["attempts"]]) for d in logged] == [
        ("delivered", [204])]


def test_a_receiver_down_for_an_hour_loses_nothing(
        world: ApiWorld, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    subscribe(world, receiver, "state:*", monkeypatch, capsys)
    receiver.stop()
    desk, ann = world.workspace.desk, world.people["ann"]
    ids = [desk.open("mini", ann, {"summary": f"outage {n}"}).id for n in range(3)]
    for ticket_id in ids:
        desk.fire(ticket_id, "receive", ann)
    clock = VirtualClock(datetime.now(UTC) + timedelta(seconds=10))
    hooks = dispatcher(world, clock)
    hour = clock.now() + timedelta(hours=1)
    while clock.now() < hour:
        hooks.pass_once()
        clock.advance(timedelta(seconds=30))
    assert receiver.received == []
    receiver.start()
    clock.advance(delay(99))
    hooks.pass_once()
    topics = sorted((r["body"]["ticket"], r["body"]["to"]) for r in receiver.received)
    assert topics == sorted([(i, "submitted") for i in ids] + [(i, "received") for i in ids])
    assert all(r["signed"] for r in receiver.received)
    _, out, _ = cli(monkeypatch, capsys, world, "webhooks", "deliveries", "--json")
    logged = json.loads(out)
    assert {d["status"] for d in logged} == {"delivered"} and len(logged) == 6
    tries = logged[0]["attempts"]
    assert len(tries) > 5 and tries[-1]["status"] == 204
    assert all(t["status"] is None and t["error"] for t in tries[:-1])


@pytest.mark.slow
def test_the_server_s_worker_delivers_sla_notifications(
        world: ApiWorld, receiver: Receiver, live: Server, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    subscribe(world, receiver, "notification", monkeypatch, capsys)
    with httpx.Client(base_url=live.base, headers=world.headers("ann"), timeout=30) as http:
        http.post("/api/v1/tickets", json={"process": "mini", "data": {"summary": "x"}})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(receiver.received) < 2:
        time.sleep(0.5)
    kinds = [r["body"]["kind"] for r in receiver.received]
    assert kinds == ["sla_warning", "sla_breach"] and all(r["signed"] for r in receiver.received)
