"""API tokens: added, listed and revoked by admins; each request checks token and account."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from api.wiring import open_services
from engine.time.clock import VirtualClock
from tests.api.conftest import ApiWorld
from tui.cli import run

V1 = "/api/v1"
ADMIN = ("root", "Str0ng-pass")


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], world: ApiWorld,
        *argv: str, user: tuple[str, str] = ADMIN) -> tuple[int, str, str]:
    monkeypatch.setenv("TICKETFLOW_DB", world.url)
    monkeypatch.setenv("TICKETFLOW_USER", user[0])
    monkeypatch.setenv("TICKETFLOW_PASSWORD", user[1])
    monkeypatch.setenv("TICKETFLOW_HOME", "/nonexistent/ticketflow-home")  # no saved sessions
    code = run(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_a_token_is_printed_once_and_only_its_hash_is_kept(
        client: TestClient, world: ApiWorld, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(monkeypatch, capsys, world, "tokens", "add", "nagios", "--for", "mon",
                       "--json")
    assert code == 0
    added = json.loads(out)
    token = added["token"]
    assert token.startswith("tf_") and added["account"] == "mon"
    engine = create_engine(world.url)
    with engine.connect() as connection:
        dump = " ".join(str(row) for row in connection.execute(text("SELECT * FROM api_tokens")))
    engine.dispose()
    assert token not in dump and "nagios" in dump
    me = client.get(f"{V1}/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["username"], me["token"]) == ("mon", "nagios")
    code, out, _ = cli(monkeypatch, capsys, world, "tokens", "list", "--json")
    listed = {t["name"]: t for t in json.loads(out)}
    assert listed["nagios"]["last_used_at"] and "token" not in listed["nagios"]
    code, out, err = cli(monkeypatch, capsys, world, "tokens", "add", "nagios", "--for", "mon")
    assert code == 2 and "exists already" in err


def test_only_admins_manage_tokens(world: ApiWorld, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(monkeypatch, capsys, world, "tokens", "add", "mine", "--for", "ann",
                       user=("ann", "Str0ng-pass"))
    assert code == 3 and err.startswith("error:") and "admin" in err
    code, _, err = cli(monkeypatch, capsys, world, "tokens", "add", "x", "--for", "nobody")
    assert code == 2 and "nobody" in err
    code, _, err = cli(monkeypatch, capsys, world, "tokens", "add", "x", "--for", "ann",
                       "--expires", "2001-01-01T00:00:00Z")
    assert code == 2 and "not in the future" in err
    code, _, err = cli(monkeypatch, capsys, world, "tokens", "add", "x", "--for", "ann",
                       "--expires", "soon")
    assert code == 2 and err.count("\n") == 1


def test_a_disabled_account_s_token_stops_at_once(
        client: TestClient, world: ApiWorld, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    headers = world.headers("ann")
    assert client.get(f"{V1}/me", headers=headers).status_code == 200
    assert cli(monkeypatch, capsys, world, "users", "disable", "ann")[0] == 0
    refused = client.post(f"{V1}/tickets", headers=headers,
                          json={"process": "mini", "data": {"summary": "x"}})
    assert refused.status_code == 401 and "disabled" in refused.json()["error"]["message"]
    assert refused.headers["www-authenticate"] == "Bearer"
    assert cli(monkeypatch, capsys, world, "users", "enable", "ann")[0] == 0
    assert client.get(f"{V1}/me", headers=headers).status_code == 200


def test_revoked_expired_and_unknown_tokens_are_refused(
        client: TestClient, world: ApiWorld, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(monkeypatch, capsys, world, "tokens", "revoke", "hal-token")[0] == 0
    revoked = client.get(f"{V1}/me", headers=world.headers("hal"))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]
    code, _, err = cli(monkeypatch, capsys, world, "tokens", "revoke", "hal-token")
    assert code == 2 and "no live API token" in err
    for header in ({}, {"Authorization": "Bearer tf_nothing"}, {"Authorization": "Basic x"}):
        assert client.get(f"{V1}/tickets", headers=header).status_code == 401


def test_token_use_is_traceable_in_the_journals(client: TestClient, world: ApiWorld) -> None:
    opened = client.post(f"{V1}/tickets", headers=world.headers("ann"),
                         json={"process": "mini", "data": {"summary": "x"}}).json()
    client.get(f"{V1}/me", headers=world.headers("ann"))
    world.workspace.accounts.update(world.people["root"], "sue", disabled=True)
    client.get(f"{V1}/me", headers=world.headers("sue"))
    entries = [(e.kind, e.actor, e.subject) for e in world.workspace.store.admin_entries()]
    assert ("token_added", "root", "ann-token") in entries
    assert entries.count(("token_used", "ann", "ann-token")) == 1  # once an hour at most
    assert ("token_refused", "sue", "sue-token") in entries
    events = world.workspace.desk.history(opened["id"])
    assert events[0].actor == "ann"


def test_an_expired_token_is_refused(world: ApiWorld) -> None:
    clock = VirtualClock(datetime.now(UTC))
    services = open_services(world.url, clock=clock)
    text_, _ = services.tokens.add(world.people["root"], "brief", "sue",
                                   expires_at=clock.now() + timedelta(hours=1))
    headers = {"Authorization": f"Bearer {text_}"}
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        assert client.get(f"{V1}/me", headers=headers).status_code == 200
        clock.advance(timedelta(hours=1))
        expired = client.get(f"{V1}/me", headers=headers)
    services.close()
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
