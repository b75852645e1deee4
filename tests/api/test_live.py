"""`ticketflow serve` for real: uvicorn on 127.0.0.1, its timer worker in the same process."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.api.conftest import ApiWorld, Server

V1 = "/api/v1"


def test_serve_opens_fires_and_reads_over_http(live: Server, world: ApiWorld) -> None:
    with httpx.Client(base_url=live.base, headers=world.headers("ann"), timeout=30) as http:
        opened = http.post(f"{V1}/tickets", json={"process": "service_desk",
                                                  "data": {"summary": "mail server down"}})
        assert opened.status_code == 201, opened.text
        url = opened.headers["location"]
        fired = http.post(f"{url}/fire", json={"trigger": "receive"},
                          headers={"If-Match": opened.headers["etag"]})
        assert fired.status_code == 200 and fired.json()["state"] == "received"
        shown = http.get(url)
        assert shown.json()["assignee"] == "ann" and shown.headers["etag"] == '"2"'
        assert http.get("/docs").status_code == 200
    events = world.workspace.desk.history(opened.json()["id"])
    assert [e.actor for e in events] == ["ann", "ann"]


@pytest.mark.slow
def test_the_worker_in_the_server_fires_due_sla_timers(live: Server, world: ApiWorld) -> None:
    with httpx.Client(base_url=live.base, headers=world.headers("ann"), timeout=30) as http:
        ticket = http.post(f"{V1}/tickets", json={"process": "mini",
                                                  "data": {"summary": "x"}}).json()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            clocks = http.get(f"{V1}/tickets/{ticket['id']}/sla").json()["clocks"]
            if clocks and clocks[0]["breached"]:
                break
            time.sleep(0.5)
    assert clocks[0]["breached"], clocks
    kinds = [n.kind for n in world.workspace.desk.notifications(None)]
    assert kinds == ["sla_warning", "sla_breach"]
