"""Tickets through the API (in-process client): every route, its answers and its errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import ApiWorld

V1 = "/api/v1"


def open_ticket(client: TestClient, world: ApiWorld, who: str = "ann",
                process: str = "mini", **data: Any) -> dict[str, Any]:
    answer = client.post(f"{V1}/tickets", headers=world.headers(who),
                         json={"process": process, "data": {"summary": "mail down", **data}})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def error_of(answer: Any, status: int, kind: str) -> str:
    """The message of an error answer, after checking its status and its one object."""
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["kind"] == kind and error["message"]
    return str(error["message"])


def test_open_fire_and_read_a_ticket(client: TestClient, world: ApiWorld) -> None:
    opened = client.post(f"{V1}/tickets", headers=world.headers("ann"),
                         json={"process": "mini", "data": {"summary": "mail down"}})
    assert opened.status_code == 201
    ticket = opened.json()
    assert opened.headers["location"] == f"{V1}/tickets/{ticket['id']}"
    assert opened.headers["etag"] == '"1"'
    assert (ticket["state"], ticket["opened_by"], ticket["data"]["level"]) == (
        "submitted", "ann", 3)

    fired = client.post(f"{V1}/tickets/{ticket['id']}/fire", headers={
        **world.headers("ann"), "If-Match": opened.headers["etag"]}, json={"trigger": "receive"})
    assert fired.status_code == 200, fired.text
    assert fired.json()["state"] == "received" and fired.headers["etag"] == '"2"'

    shown = client.get(f"{V1}/tickets/{ticket['id']}", headers=world.headers("ann")).json()
    assert shown["state"] == "received" and shown["revision"] == 2
    assert "dispatch" in shown["actions"]
    assert [t["trigger"] for t in shown["timers"]] == ["expire"]
    history = client.get(f"{V1}/tickets/{ticket['id']}/history",
                         headers=world.headers("aud")).json()
    assert [(e["kind"], e["actor"], e["dest"]) for e in history] == [
        ("open", "ann", "submitted"), ("fire", "ann", "received")]
    assert history[1]["prev_hash"] == history[0]["hash"]


def test_a_stale_if_match_is_a_conflict_and_changes_nothing(client: TestClient,
                                                            world: ApiWorld) -> None:
    ticket = open_ticket(client, world)
    url = f"{V1}/tickets/{ticket['id']}"
    assert client.post(f"{url}/fire", headers=world.headers("ann"),
                       json={"trigger": "receive"}).status_code == 200
    for path, body in (("fire", {"trigger": "dispatch"}), ("comments", {"text": "hello"}),
                       ("claim", None), ("events", {"event": "comment", "note": "x"})):
        stale = client.post(f"{url}/{path}", json=body,
                            headers={**world.headers("ann"), "If-Match": '"1"'})
        assert "changed by someone else" in error_of(stale, 409, "conflict")
    assert client.get(url, headers=world.headers("ann")).json()["revision"] == 2
    bad = client.post(f"{url}/fire", json={"trigger": "dispatch"},
                      headers={**world.headers("ann"), "If-Match": "yesterday"})
    assert "If-Match" in error_of(bad, 400, "bad_request")


def test_comment_record_claim_and_assign(client: TestClient, world: ApiWorld) -> None:
    ticket = open_ticket(client, world)
    url = f"{V1}/tickets/{ticket['id']}"
    commented = client.post(f"{url}/comments", headers=world.headers("ann"),
                            json={"text": "called back"})
    assert commented.status_code == 200 and commented.json()["events"] == 2
    assert client.post(f"{url}/claim", headers=world.headers("ann")).json()["assignee"] == "ann"
    given = client.post(f"{url}/assign", headers=world.headers("sue"), json={"assignee": None})
    assert given.status_code == 200 and given.json()["assignee"] is None
    elsewhere = client.post(f"{url}/assign", headers=world.headers("sue"),
                            json={"assignee": "hal"})
    assert "not at the post" in error_of(elsewhere, 403, "forbidden")
    unknown = client.post(f"{url}/events", headers=world.headers("ann"),
                          json={"event": "no_such_event"})
    error_of(unknown, 404, "not_found")
    history = client.get(f"{url}/history", headers=world.headers("ann")).json()
    assert [e["kind"] for e in history] == ["open", "event", "assign", "assign"]
    assert history[1]["note"] == "called back"


def test_refusals_map_to_their_status(client: TestClient, world: ApiWorld) -> None:
    ticket = open_ticket(client, world)
    url = f"{V1}/tickets/{ticket['id']}"
    other_post = client.post(f"{url}/fire", headers=world.headers("hal"),
                             json={"trigger": "receive"})
    assert "post" in error_of(other_post, 403, "forbidden")
    not_now = client.post(f"{url}/fire", headers=world.headers("ann"),
                          json={"trigger": "resolve"})
    error_of(not_now, 409, "invalid_trigger")
    auditor = client.post(f"{V1}/tickets", headers=world.headers("aud"),
                          json={"process": "mini", "data": {"summary": "x"}})
    error_of(auditor, 403, "forbidden")
    missing = client.post(f"{V1}/tickets", headers=world.headers("ann"),
                          json={"process": "mini", "data": {}})
    assert "summary" in error_of(missing, 400, "missing_field")
    wrong_type = client.post(f"{V1}/tickets", headers=world.headers("ann"),
                             json={"process": "mini", "data": {"summary": "x", "level": "hi"}})
    error_of(wrong_type, 400, "missing_field")
    error_of(client.get(f"{V1}/tickets/999999", headers=world.headers("ann")), 404,
             "not_found")
    error_of(client.post(f"{V1}/tickets", headers=world.headers("ann"),
                         json={"process": "nope", "data": {}}), 404, "not_found")
    error_of(client.post(f"{V1}/tickets", headers=world.headers("ann"),
                         json={"process": "mini", "extra": 1}), 400, "bad_request")
    error_of(client.post(f"{V1}/tickets", headers=world.headers("ann"),
                         content=b"{not json", ), 400, "bad_request")
    assert client.get(f"{V1}/tickets?limit=0", headers=world.headers("ann")).status_code == 400
    unknown = client.get(f"{V1}/tickets?stat=open", headers=world.headers("ann"))
    assert "'stat'" in error_of(unknown, 400, "bad_request")


def test_guards_and_required_fields_are_checked(client: TestClient, world: ApiWorld) -> None:
    ticket = open_ticket(client, world)
    url = f"{V1}/tickets/{ticket['id']}"
    for trigger in ("receive", "dispatch"):
        assert client.post(f"{url}/fire", headers=world.headers("ann"),
                           json={"trigger": trigger}).status_code == 200
    no_resolution = client.post(f"{url}/fire", headers=world.headers("hal"),
                                json={"trigger": "resolve"})
    assert "resolution" in error_of(no_resolution, 400, "missing_field")
    resolved = client.post(f"{url}/fire", headers=world.headers("hal"),
                           json={"trigger": "resolve", "data": {"resolution": "restarted"},
                                 "note": "done"})
    assert resolved.status_code == 200 and resolved.json()["open"] is False


def test_list_pages_by_id_with_filters(client: TestClient, world: ApiWorld) -> None:
    ids = [open_ticket(client, world)["id"] for _ in range(5)]
    client.post(f"{V1}/tickets/{ids[0]}/fire", headers=world.headers("ann"),
                json={"trigger": "receive"})
    seen, after = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, "process": "mini"}
        if after:
            params["after"] = after
        page = client.get(f"{V1}/tickets", params=params, headers=world.headers("ann")).json()
        seen += [t["id"] for t in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(ids, reverse=True)
    received = client.get(f"{V1}/tickets", params={"state": "received"},
                          headers=world.headers("ann")).json()
    assert [t["id"] for t in received["items"]] == [ids[0]] and received["next"] is None
    closed = client.get(f"{V1}/tickets", params={"open": "false"},
                        headers=world.headers("ann")).json()
    assert closed["items"] == []


def test_sla_processes_assessment_and_me(client: TestClient, world: ApiWorld) -> None:
    ticket = open_ticket(client, world)
    clocks = client.get(f"{V1}/tickets/{ticket['id']}/sla", headers=world.headers("ann"))
    assert clocks.status_code == 200
    assert clocks.json()["clocks"][0]["limit"] == "PT5S"
    names = {p["name"] for p in client.get(f"{V1}/processes",
                                           headers=world.headers("ann")).json()}
    assert {"mini", "service_desk", "fault_escalation"} <= names
    mini = client.get(f"{V1}/processes/mini", headers=world.headers("ann")).json()
    assert "resolve" in mini["triggers"] and "closed" in mini["states"]
    report = client.get(f"{V1}/assessment", params={"period": "2026-11"},
                        headers=world.headers("aud"))
    assert report.status_code == 200 and report.json()["period"]
    error_of(client.get(f"{V1}/assessment", params={"period": "November"},
                        headers=world.headers("aud")), 400, "bad_request")
    me = client.get(f"{V1}/me", headers=world.headers("sue")).json()
    assert (me["username"], me["roles"], me["post"], me["token"]) == (
        "sue", ["supervisor"], "service_desk", "sue-token")


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert f"{V1}/tickets/{{ticket_id}}/fire" in schema["paths"]
    assert f"{V1}/alerts" in schema["paths"]
    assert "swagger" in client.get("/docs").text.lower()


def test_docs_api_md_names_every_route(client: TestClient) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    routes = [f"`{method.upper()} {path.removeprefix(V1).replace('{ticket_id}', '{id}')}"
              for path, operations in client.get("/openapi.json").json()["paths"].items()
              for method in operations]
    assert [route for route in routes if route not in doc] == []


def test_a_query_parameter_given_twice_or_unknown_is_bad_input(client: TestClient,
                                                               world: ApiWorld) -> None:
    """The last of several values is not a choice (schemathesis sent ?post=…&post=…)."""
    twice = client.get(f"{V1}/tickets?post=%C2%9E&post=service_desk",
                       headers=world.headers("ann"))
    assert twice.status_code == 400
    assert twice.json()["error"]["message"] == "query parameter 'post' given more than once"
    unknown = client.get(f"{V1}/tickets?colour=red", headers=world.headers("ann"))
    assert unknown.status_code == 400
    assert client.get(f"{V1}/tickets?post=service_desk",
                      headers=world.headers("ann")).status_code == 200


def test_an_agent_reads_only_the_tickets_of_their_post_or_their_own(
        client: TestClient, world: ApiWorld) -> None:
    ann = world.headers("ann")
    at_desk = open_ticket(client, world, process="service_desk")["id"]
    handed = open_ticket(client, world, process="service_desk")["id"]
    for trigger, data in (("receive", {}), ("dispatch", {"assigned_group": "system_software"})):
        fired = client.post(f"{V1}/tickets/{handed}/fire", headers=ann,
                            json={"trigger": trigger, "data": data})
        assert fired.status_code == 200, fired.text

    def listed(who: str) -> list[int]:
        page = client.get(f"{V1}/tickets", params={"process": "service_desk"},
                          headers=world.headers(who))
        return [t["id"] for t in page.json()["items"]]

    assert listed("hal") == [handed]  # at the handling group's post
    assert listed("mon") == [at_desk]  # at the service desk; the other one has left it
    assert listed("ann") == listed("sue") == listed("aud") == [handed, at_desk]
    for path in ("", "/history", "/sla"):
        message = error_of(client.get(f"{V1}/tickets/{at_desk}{path}",
                                      headers=world.headers("hal")), 403, "forbidden")
        assert "'hal' may not read this ticket" in message
        assert client.get(f"{V1}/tickets/{handed}{path}",
                          headers=world.headers("hal")).status_code == 200
    error_of(client.get(f"{V1}/assessment", params={"period": "2026-11"}, headers=ann),
             403, "forbidden")
    assert client.get(f"{V1}/assessment", params={"period": "2026-11"},
                      headers=world.headers("sue")).status_code == 200
