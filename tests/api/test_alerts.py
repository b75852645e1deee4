"""Alert intake: one ticket per open alert, repeats counted and journaled, on both backends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.wiring import open_services
from engine.core.model import TicketQuery
from engine.files import check_files
from tests.api.conftest import PASSWORD, ApiWorld, start_server
from tui.cli import run

V1 = "/api/v1"
MINI_RULES = """\
alerts:
  process: mini
  fields: {summary: summary, level: level}
  levels: {1: 1, 2: 1, 3: 2, 4: 3}
"""


def alert(**overrides: Any) -> dict[str, Any]:
    return {"source": "nagios", "key": "db1/disk", "summary": "disk 95% full", "level": 2,
            "details": {"host": "db1", "kind": "hardware"}, **overrides}


@pytest.fixture
def mini_client(world: ApiWorld, tmp_path: Path) -> Iterator[TestClient]:
    """The API with alert rules that open tickets of the mini process."""
    rules = tmp_path / "alerts.yaml"
    rules.write_text(MINI_RULES, encoding="utf-8")
    services = open_services(world.url, alerts=rules)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        yield client
    services.close()


def test_the_first_alert_opens_a_ticket_and_repeats_count_on_it(
        client: TestClient, world: ApiWorld) -> None:
    first = client.post(f"{V1}/alerts", json=alert(), headers=world.headers("mon"))
    assert first.status_code == 201, first.text
    ticket = first.json()["ticket"]
    assert (ticket["process"], ticket["opened_by"], first.json()["repeats"]) == (
        "fault_escalation", "mon", 0)
    assert ticket["data"]["level"] == 2 and ticket["data"]["affected_system"] == "db1"
    assert ticket["data"]["fault_kind"] == "hardware"
    for count in (1, 2):
        again = client.post(f"{V1}/alerts", json=alert(), headers=world.headers("mon"))
        assert again.status_code == 200
        assert (again.json()["ticket"]["id"], again.json()["repeats"]) == (ticket["id"], count)
    other = client.post(f"{V1}/alerts", json=alert(key="db2/disk"), headers=world.headers("mon"))
    assert other.status_code == 201 and other.json()["ticket"]["id"] != ticket["id"]
    events = world.workspace.desk.history(ticket["id"])
    repeats = [e for e in events if e.trigger == "alert_repeat"]
    assert [(e.actor, e.details["via"], e.details["repeats"]) for e in repeats] == [
        ("system", "mon", 1), ("system", "mon", 2)]


def test_a_resolved_alert_is_recorded_on_its_ticket(client: TestClient,
                                                    world: ApiWorld) -> None:
    unknown = client.post(f"{V1}/alerts", json=alert(status="resolved"),
                          headers=world.headers("mon"))
    assert unknown.status_code == 404 and unknown.json()["error"]["message"]
    opened = client.post(f"{V1}/alerts", json=alert(), headers=world.headers("mon")).json()
    resolved = client.post(f"{V1}/alerts", json=alert(status="resolved", summary="disk ok"),
                           headers=world.headers("mon"))
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["repeats"]) == ("resolved", 0)
    last = world.workspace.desk.history(opened["ticket"]["id"])[-1]
    assert (last.trigger, last.note) == ("alert_resolved", "disk ok")


def test_journal_stays_verifiable(client: TestClient, world: ApiWorld,
                                  capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for status in ("firing", "firing", "resolved"):
        client.post(f"{V1}/alerts", json=alert(status=status), headers=world.headers("mon"))
    monkeypatch.setenv("TICKETFLOW_DB", world.url)
    monkeypatch.setenv("TICKETFLOW_USER", "root")  # reads act as an account
    monkeypatch.setenv("TICKETFLOW_PASSWORD", PASSWORD)
    assert run(["audit", "verify"]) == 0, capsys.readouterr()


def test_a_closed_ticket_s_alert_opens_a_new_one(mini_client: TestClient,
                                                 world: ApiWorld) -> None:
    first = mini_client.post(f"{V1}/alerts", json=alert(level=4), headers=world.headers("mon"))
    ticket = first.json()["ticket"]
    assert (ticket["process"], ticket["data"]["level"]) == ("mini", 3)
    url = f"{V1}/tickets/{ticket['id']}/fire"
    for who, body in (("ann", {"trigger": "receive"}), ("ann", {"trigger": "dispatch"}),
                      ("hal", {"trigger": "resolve", "data": {"resolution": "cleaned"}})):
        assert mini_client.post(url, json=body, headers=world.headers(who)).status_code == 200
    again = mini_client.post(f"{V1}/alerts", json=alert(), headers=world.headers("mon"))
    assert again.status_code == 201 and again.json()["ticket"]["id"] != ticket["id"]
    repeat = mini_client.post(f"{V1}/alerts", json=alert(), headers=world.headers("mon"))
    assert (repeat.json()["ticket"]["id"], repeat.json()["repeats"]) == (
        again.json()["ticket"]["id"], 1)


def test_bad_alerts_are_refused(client: TestClient, world: ApiWorld) -> None:
    for bad in (alert(level=5), alert(source=""), alert(status="gone"),
                {k: v for k, v in alert().items() if k != "key"}, alert(extra=1)):
        answer = client.post(f"{V1}/alerts", json=bad, headers=world.headers("mon"))
        assert answer.status_code == 400 and answer.json()["error"]["message"], bad
    auditor = client.post(f"{V1}/alerts", json=alert(), headers=world.headers("aud"))
    assert auditor.status_code == 403


@pytest.mark.slow
def test_eight_clients_posting_one_alert_at_once_give_one_ticket(
        world: ApiWorld, tmp_path: Path) -> None:
    """Two servers over one database, eight clients posting the same new alert at once."""
    servers = [start_server(world.url, tmp_path / f"serve{n}.log", "--no-worker")
               for n in range(2)]
    try:
        for round_ in range(3):
            answers = _post_at_once(servers[0].base, servers[1].base, world, f"key-{round_}")
            assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
            assert len({a.json()["ticket"]["id"] for a in answers}) == 1
            assert sorted(a.json()["repeats"] for a in answers) == list(range(8))
    finally:
        for server in servers:
            server.stop()
    ids = {t.id for t in world.workspace.desk.tickets(
        TicketQuery(process="fault_escalation", limit=100))}
    assert len(ids) == 3
    for ticket_id in ids:
        events = world.workspace.desk.history(ticket_id)
        assert [e.trigger for e in events[1:]] == ["alert_repeat"] * 7


def _post_at_once(first: str, second: str, world: ApiWorld, key: str) -> list[httpx.Response]:
    barrier = threading.Barrier(8)
    answers: list[httpx.Response] = []

    def post(base: str) -> None:
        with httpx.Client(base_url=base, headers=world.headers("mon"), timeout=60) as http:
            barrier.wait()
            answers.append(http.post(f"{V1}/alerts", json=alert(key=key)))

    threads = [threading.Thread(target=post, args=(first if n % 2 else second,))
               for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_validate_checks_alert_rules(tmp_path: Path) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text("alerts:\n  process: mini\n  fields: {summary: summery, lvl: level}\n"
                     "  levels: {1: 1, 5: 2}\n", encoding="utf-8")
    problems = [str(p) for p in check_files([rules]).problems]
    assert any(":3:" in p and "'summery'" in p for p in problems), problems
    assert any("alert level 5" in p for p in problems), problems
    assert any("2, 3, 4 missing" in p for p in problems), problems
    mini = Path(__file__).resolve().parents[1] / "flows" / "mini.yaml"
    rules.write_text("alerts:\n  process: mini\n  fields: {summary: summary, lvl: level}\n",
                     encoding="utf-8")
    problems = [str(p) for p in check_files([rules, mini]).problems]
    assert problems == [f"{rules}:3:30: field 'lvl' is not declared in process 'mini'"]
