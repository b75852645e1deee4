"""``ticketflow sla`` and ``ticketflow outbox``: a ticket's clocks and the posts' notifications."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.time.conftest import PASSWORD, build_world
from tui.cli import run


def test_sla_and_outbox_show_clocks_and_notifications(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("TICKETFLOW_USER", "root")  # reads act as an account
    monkeypatch.setenv("TICKETFLOW_PASSWORD", PASSWORD)
    world = build_world(url)
    ticket_id = world.open(level=1)
    world.wait(timedelta(minutes=31))  # the desk's 30 minutes are over: handed to response
    assert run(["sla", str(ticket_id), "--db", url, "--json"]) == 0
    [clock] = json.loads(capsys.readouterr().out)
    assert (clock["clock"], clock["post"], clock["running"], clock["limit"]) == (
        "response", "response_group", True, "PT1H")
    assert run(["outbox", "--db", url, "--post", "service_desk", "--json"]) == 0
    notes = json.loads(capsys.readouterr().out)
    assert [(n["ticket"], n["kind"]) for n in notes] == [(ticket_id, "sla_warning"),
                                                        (ticket_id, "sla_breach")]
    assert run(["outbox", "--db", url, "--after", str(notes[0]["id"])]) == 0
    out = capsys.readouterr().out
    assert "desk missed its limit of 30 min (30 min spent)" in out
    assert "is close to its limit" not in out
