"""The auditors' commands end to end, with their JSON and exit codes."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.audit.conftest import KEY
from tests.desk.test_cli import ADMIN, AGENT, HANDLER, Cli
from tui.cli import run
from tui.wiring import open_workspace


def ticket(cli: Cli) -> str:
    opened = cli.json("open", "service_desk", "--set", "summary=mail down", user="ann",
                      password=AGENT)
    assert isinstance(opened, dict)
    number = str(opened["id"])
    assert cli("fire", number, "receive")[0] == 0
    assert cli("fire", number, "dispatch", "--set", "assigned_group=hardware_platform")[0] == 0
    return number


def test_replay_verify_log_and_seal(cli: Cli, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    number = ticket(cli)
    replayed = cli.json("replay", number)
    shown = cli.json("show", number)
    assert isinstance(replayed, dict) and isinstance(shown, dict)
    assert {k: replayed[k] for k in ("state", "data", "post", "assignee", "events")} == {
        k: shown[k] for k in ("state", "data", "post", "assignee", "events")}
    early = cli.json("replay", number, "--at", replayed["opened_at"])
    assert isinstance(early, dict) and early["state"] == "submitted"
    assert cli("replay", number, "--at", "yesterday")[0] == 2
    assert cli("replay", "999")[0] == 2

    code, out, _ = cli("audit", "verify", user="root", password=ADMIN)
    assert code == 0 and "no violation" in out and "no seal yet" in out
    code, _, err = cli("audit", "seal", user="ann", password=AGENT)
    assert code == 2 and err.startswith("error: no seal key")
    key_file = tmp_path / "seal.key"
    key_file.write_bytes(KEY)
    assert cli("audit", "seal", "--key-file", str(key_file), user="ann", password=AGENT)[0] == 3
    sealed = cli.json("audit", "seal", "--key-file", str(key_file), user="root",
                      password=ADMIN)
    assert isinstance(sealed, dict) and sealed["tickets"] == 1
    monkeypatch.setenv("TICKETFLOW_SEAL_KEY", KEY.decode())
    checked = cli.json("audit", "verify", number)
    assert isinstance(checked, dict) and checked["ok"] and checked["tickets"] == 1
    entries = cli.json("audit", "log")
    assert isinstance(entries, list)
    assert [e["kind"] for e in entries if e["kind"] in ("deploy", "seal")][-1] == "seal"
    assert any(e["kind"] == "login_failed" or e["kind"] == "login" for e in entries)
    code, out, _ = cli("audit", "log", "--since", "2999-01-01T00:00:00Z")
    assert code == 0 and out.splitlines()[0].startswith("SEQ")


def test_verify_exits_1_on_a_tampered_journal(cli: Cli) -> None:
    number = ticket(cli)
    url = os.environ["TICKETFLOW_DB"]
    with open_workspace(url).store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(text("UPDATE events SET note = 'x' WHERE ticket_id = :t AND seq = 2"),
                           {"t": int(number)})
    code, out, err = cli("audit", "verify", user="root", password=ADMIN)
    assert code == 1 and f"ticket {number} seq 2: its content does not match" in out
    assert "verification failed: 1 violation(s)" in err
    report = json.loads(cli("audit", "verify", "--json")[1])
    assert report["violations"] == [{"ticket": int(number), "seq": 2, "problem":
                                     "its content does not match its hash (edited)"}]


def test_report_export_migrate_backup_and_restore(cli: Cli, tmp_path: Path) -> None:
    number = ticket(cli)
    week = datetime.now(UTC).strftime("%G-W%V")
    assert cli("fire", number, "accept", user="nobody", password="x")[0] == 3
    review = cli.json("audit", "report", "--week", week, user="root", password=ADMIN)
    assert isinstance(review, dict)
    assert [f["username"] for f in review["failed_logins"]] == ["nobody"]
    assert [a["username"] for a in review["powerful_accounts"]] == ["root"]
    assert cli("audit", "report", "--week", "2026-13")[0] == 2

    xes = tmp_path / "log.xes"
    code, out, _ = cli("export", "--format", "xes", "--output", str(xes))
    assert code == 0 and "exported 3 event(s)" in out and xes.read_text().startswith("<?xml")
    code, out, _ = cli("export", "--format", "jsonl", "--ticket", number)
    assert code == 0 and len(out.splitlines()) == 3
    assert cli("export", "--format", "csv", "--ticket", number, "--period", "2026-10")[0] == 2
    assert cli("export", "--format", "pdf")[0] == 2

    moves = cli.json("migrate", "service_desk", "--to", "1", "--dry-run")
    assert isinstance(moves, dict) and moves["moves"] == []
    assert cli("migrate", "service_desk", "--to", "1", "--map", "x")[0] == 2
    assert cli("migrate", "service_desk", "--to", "1", user="ann", password=AGENT)[0] == 3

    copy = tmp_path / "copy"
    code, out, _ = cli("backup", str(copy), user="root", password=ADMIN)
    assert code == 0 and "backed up" in out
    assert cli("backup", str(copy))[0] == 2
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    code, out, _ = cli("restore", str(copy), "--db", target)
    assert code == 0 and "no violation" in out
    assert cli("restore", str(copy), "--db", target)[0] == 2


def test_fire_hands_the_vendor_password_over_once(cli: Cli) -> None:
    opened = cli.json("open", "vendor_access", "--set", "summary=patch", "--set",
                      "vendor_name=Acme", "--set", "rights=read_only", user="hal",
                      password=HANDLER)
    assert isinstance(opened, dict)
    number = str(opened["id"])
    assert cli("users", "add", "sue", "--role", "supervisor", "--post", "service_desk",
               "--password-stdin", stdin="Sup3r-pass\n", user="root", password=ADMIN)[0] == 0
    assert cli("fire", number, "approve", "--set", "approval_reference=memo-1", user="sue",
               password="Sup3r-pass")[0] == 0
    expires = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    fired = cli.json("fire", number, "open_access", "--set", "vendor_account=vendor_acme",
                     "--set", f"access_expires_at={expires}")
    assert isinstance(fired, dict)
    [credential] = fired["credentials"]
    assert credential["username"] == "vendor_acme" and len(credential["password"]) == 20
    assert run(["show", number]) == 0
    assert cli("audit", "verify", user="root", password=ADMIN)[0] == 0
