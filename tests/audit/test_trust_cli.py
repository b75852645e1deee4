"""Issue 13 through the command line: a verify that cannot be fooled, on every backend."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, update

from engine.core.admin_journal import entry_hash
from engine.core.journal import GENESIS, Event, seal
from storage import SqlStore
from storage.models import metadata
from tests.audit.conftest import KEY
from tests.desk.test_cli import ADMIN, AGENT, HANDLER, Cli
from tui.wiring import open_workspace

EVENTS, TICKETS = metadata.tables["events"], metadata.tables["tickets"]
VERSIONS, ADMIN_JOURNAL = metadata.tables["process_versions"], metadata.tables["admin_journal"]
TIMERS = metadata.tables["timers"]

CAME_FROM = """\
process: came_from
title: Where a ticket came from
roles: [agent, supervisor, admin, auditor]
posts: [service_desk]
fields:
  summary: {type: text, required: true}
  came_from: {type: text}
states:
  new: {kind: start, post: service_desk}
  a: {post: service_desk}
  b: {post: service_desk}
  done: {kind: end}
transitions:
  - {trigger: go_a, from: new, to: a}
  - {trigger: go_b, from: new, to: b}
  - trigger: finish
    from: [a, b]
    to: done
    set: {came_from: "= state"}
"""


def verify(cli: Cli, *tickets: str, workers: int = 1) -> dict[str, Any]:
    code, out, _ = cli("audit", "verify", *tickets, "--workers", str(workers), "--json",
                       user="root", password=ADMIN)
    report = json.loads(out)
    assert code == (0 if report["ok"] else 1)
    return report


def rewrite(ticket_id: int, events: list[Event]) -> None:
    """Replace a ticket's journal with these events, rechained, and point its row at them."""
    chained, previous = [], GENESIS
    for seq, event in enumerate(events, start=1):
        event = seal(replace(event, seq=seq, prev_hash=previous))
        chained.append(event)
        previous = event.hash
    store = open_workspace(os.environ["TICKETFLOW_DB"]).store
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(delete(EVENTS).where(EVENTS.c.ticket_id == ticket_id))
        for event in chained:
            connection.execute(insert(EVENTS).values(vars(event)))
        connection.execute(update(TICKETS).where(TICKETS.c.id == ticket_id).values(
            seq=chained[-1].seq, head=chained[-1].hash))
    store.close()


def history(cli: Cli, number: int) -> list[Event]:
    store = open_workspace(os.environ["TICKETFLOW_DB"]).store
    try:
        return store.events(number)
    finally:
        store.close()


def test_open_with_a_parent_by_hand_verifies_and_replays(cli: Cli) -> None:
    """Point 4: the link is journaled in the opening event, so the row agrees with replay."""
    parent = cli.json("open", "service_desk", "--set", "summary=mail down", user="ann",
                      password=AGENT)
    assert isinstance(parent, dict)
    child = cli.json("open", "service_desk", "--set", "summary=a related one", "--parent",
                     str(parent["id"]))
    assert isinstance(child, dict) and child["parent"] == parent["id"]
    assert history(cli, child["id"])[0].details == {"parent": parent["id"]}
    replayed = cli.json("replay", str(child["id"]))
    assert isinstance(replayed, dict) and replayed["parent"] == parent["id"]
    report = verify(cli)
    assert report["ok"], report["violations"]
    assert cli("open", "service_desk", "--set", "summary=x", "--parent", "999")[0] == 2


def test_a_step_whose_set_reads_state_is_verified_per_state(cli: Cli, tmp_path: Path
                                                             ) -> None:
    """Point 6, the issue's example: ``finish`` from ``[a, b]`` sets ``came_from = state``."""
    flow = tmp_path / "came_from.yaml"
    flow.write_text(CAME_FROM)
    assert cli("deploy", str(flow), user="root", password=ADMIN)[0] == 0
    numbers = []
    for way in ("go_a", "go_b"):
        opened = cli.json("open", "came_from", "--set", "summary=s", user="ann",
                          password=AGENT)
        assert isinstance(opened, dict)
        numbers.append(opened["id"])
        assert cli("fire", str(opened["id"]), way)[0] == 0
        assert cli("fire", str(opened["id"]), "finish")[0] == 0
    first, second = numbers
    for workers in (1, 2):  # a legal journal: b's finish sets came_from to b, not a
        report = verify(cli, workers=workers)
        assert report["ok"], report["violations"]

    events = history(cli, second)  # forged: the second ticket came from a, says its journal
    forged = replace(events[-1], changes={"came_from": [None, "a"]})
    rewrite(second, [*events[:-1], forged])
    store = open_workspace(os.environ["TICKETFLOW_DB"]).store
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        row = connection.execute(TICKETS.select().where(TICKETS.c.id == second)).one()
        connection.execute(update(TICKETS).where(TICKETS.c.id == second).values(
            data={**row.data, "came_from": "a"}))
    store.close()
    alone = verify(cli, str(second))
    assert verify(cli, workers=2)["violations"] == alone["violations"]
    whole = verify(cli)
    assert not alone["ok"]
    assert whole["violations"] == alone["violations"] == [
        {"ticket": second, "seq": 3,
         "problem": "recorded changes to 'came_from' are not what the step does"}]
    assert verify(cli, str(first))["ok"]


FAMILY = Path(__file__).resolve().parents[1] / "flows" / "family"
KILLED_AFTER_COMMIT = """
import os, signal, sys
from storage import SqlStore
from tui.cli import run

apply = SqlStore.apply

def apply_then_die(store, change):
    apply(store, change)
    if not change.ticket.is_open:  # the child's closing step has committed
        os.kill(os.getpid(), signal.SIGKILL)

SqlStore.apply = apply_then_die
sys.exit(run(sys.argv[1:]))
"""


def family(cli: Cli) -> tuple[int, int]:
    """A parent waiting on the child its step started; their ids."""
    assert cli("deploy", str(FAMILY), user="root", password=ADMIN)[0] == 0
    parent = cli.json("open", "parent", "--set", "summary=s", user="ann", password=AGENT)
    assert isinstance(parent, dict)
    assert cli("fire", str(parent["id"]), "split")[0] == 0
    children = cli.json("list", "--process", "child")
    assert isinstance(children, list) and len(children) == 1
    return parent["id"], children[0]["id"]


def state(cli: Cli, number: int) -> str:
    shown = cli.json("show", str(number))
    assert isinstance(shown, dict)
    return str(shown["state"])


def test_a_kill_between_the_childs_end_and_its_parents_step_loses_nothing(cli: Cli) -> None:
    """Point 8: the parent's step is a due timer armed in the child's transaction."""
    parent, child = family(cli)
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_COMMIT, "fire", str(child),
                             "close"], env=os.environ, capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert state(cli, child) == "closed" and state(cli, parent) == "waiting"
    code, out, _ = cli("worker", "--once")
    assert code == 0 and "1 timer(s) handled" in out
    assert state(cli, parent) == "work"
    [step] = [e for e in history(cli, parent) if e.trigger == "child_done"]
    assert (step.kind, step.actor, step.note) == ("timer", "system",
                                                  f"child ticket {child} ended")
    assert cli("worker", "--once")[1].startswith("worker")  # nothing fires twice
    assert [e.trigger for e in history(cli, parent)].count("child_done") == 1
    assert verify(cli)["ok"]


def test_a_conflict_on_the_parent_does_not_fail_the_childs_committed_step(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone else changes the parent while its step is being written: the child's close
    still succeeds, and the workers bring the child's end to the parent later."""
    parent, child = family(cli)
    other = open_workspace(os.environ["TICKETFLOW_DB"])
    someone = other.store.get_account("ann")
    real_apply = SqlStore.apply

    def interleaved(store: SqlStore, change: Any) -> None:
        if change.ticket.id == parent and store is not other.store:
            other.desk.record(parent, "comment", someone, note="meanwhile")  # commits first
        real_apply(store, change)

    monkeypatch.setattr(SqlStore, "apply", interleaved)
    code, _, err = cli("fire", str(child), "close")
    monkeypatch.setattr(SqlStore, "apply", real_apply)
    assert code == 0, err
    assert state(cli, child) == "closed" and state(cli, parent) == "waiting"
    assert cli("worker", "--once")[0] == 0
    assert state(cli, parent) == "work"
    assert verify(cli)["ok"]
    other.store.close()


def test_csv_export_neutralises_formulas_and_control_characters(cli: Cli) -> None:
    """Point 7: a note an agent typed cannot run as a spreadsheet formula or drive a
    terminal; the journal keeps it as typed."""
    opened = cli.json("open", "service_desk", "--set", "summary=s", user="ann", password=AGENT)
    assert isinstance(opened, dict)
    number = str(opened["id"])
    notes = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)",
             "red \x1b[31malert\x1b[0m", "plain"]
    for note in notes:
        assert cli("comment", number, "--", note)[0] == 0
    code, out, _ = cli("export", "--format", "csv", "--ticket", number, user="root",
                       password=ADMIN)
    assert code == 0 and "\x1b" not in out
    cells = [row["note"] for row in csv.DictReader(io.StringIO(out))][1:]
    assert cells == ["'" + note for note in notes[:4]] + [
        "red \ufffd[31malert\ufffd[0m", "plain"]
    journal = [e.note for e in history(cli, int(number))][1:]
    assert journal == notes


def test_a_cut_backup_restores_nothing_and_leaves_no_file(cli: Cli, tmp_path: Path) -> None:
    """Point 7: a dump (PostgreSQL) or SQLite copy with its end cut off is refused before
    anything is written, and the target SQLite file it would have created is not left."""
    _, child = family(cli)
    assert cli("fire", str(child), "close")[0] == 0  # a child_end timer row, fired
    copy = tmp_path / "copy"
    assert cli("backup", str(copy), user="root", password=ADMIN)[0] == 0
    whole = copy.read_bytes()
    target = tmp_path / "restored.db"
    if whole.startswith(b"SQLite format 3"):
        copy.write_bytes(whole[: len(whole) // 2])
        code, _, err = cli("restore", str(copy), "--db", f"sqlite:///{target}")
        assert code == 2 and err.startswith("error:")
        assert not target.exists() and not list(tmp_path.glob("restored.db*"))
        return
    lines = whole.splitlines(keepends=True)
    manifest = json.loads(lines[-1])["manifest"]
    assert manifest["rows"]["timers"] >= 1 and manifest["rows"]["tickets"] == 2
    for cut, says in ((lines[:-3], "no manifest at its end"),
                      ([*lines[:-3], lines[-1]], "does not hold the rows"),
                      ([lines[0].replace(b"ticketflow-dump", b"ticketflow-dump "), *lines[1:]],
                       "")):
        copy.write_bytes(b"".join(cut))
        code, _, err = cli("restore", str(copy), "--db", f"sqlite:///{target}")
        assert code == 2 and says in err, err
        assert not target.exists() and not list(tmp_path.glob("restored.db*"))
    at = next(n for n, line in enumerate(lines) if b'"table":"tickets"' in line)
    assert b'"summary":"s"' in lines[at]
    edited = [*lines[:at], lines[at].replace(b'"summary":"s"', b'"summary":"t"'),
              *lines[at + 1:]]
    copy.write_bytes(b"".join(edited))
    code, _, err = cli("restore", str(copy), "--db", f"sqlite:///{target}")
    assert code == 2 and "does not match its manifest's digest" in err, err
    copy.write_bytes(whole)
    code, out, _ = cli("restore", str(copy), "--db", f"sqlite:///{target}")
    assert code == 0 and "no violation" in out


def test_verify_with_a_key_fails_when_no_seal_of_it_is_left(cli: Cli, tmp_path: Path) -> None:
    """Point 7: the genuine seals deleted and the admin journal rechained — or a desk never
    sealed — fails a verify given the key, rather than passing in silence."""
    key_file = tmp_path / "seal.key"
    key_file.write_bytes(KEY)
    family(cli)
    code, out, _ = cli("audit", "verify", "--key-file", str(key_file), "--workers", "1",
                       user="root", password=ADMIN)
    assert code == 1 and "no seal made with this key" in out
    assert cli("audit", "seal", "--key-file", str(key_file), user="root",
               password=ADMIN)[0] == 0
    assert cli("audit", "verify", "--key-file", str(key_file), user="root",
               password=ADMIN)[0] == 0
    store = open_workspace(os.environ["TICKETFLOW_DB"]).store
    entries = [e for e in store.admin_entries() if e.kind != "seal"]
    chained, previous = [], GENESIS
    for seq, entry in enumerate(entries, start=1):  # the forger rechains what is left
        entry = replace(entry, seq=seq, prev_hash=previous)
        entry = replace(entry, hash=entry_hash(entry))
        chained.append(entry)
        previous = entry.hash
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(delete(ADMIN_JOURNAL))
        connection.execute(insert(ADMIN_JOURNAL), [vars(e) for e in chained])
    store.close()
    assert cli("audit", "verify", user="root", password=ADMIN)[0] == 0  # no key: no telling
    code, out, _ = cli("audit", "verify", "--key-file", str(key_file), user="root",
                       password=ADMIN)
    assert code == 1 and "no seal made with this key is in the admin journal" in out


def test_a_damaged_stored_process_is_named_by_process_and_version(cli: Cli) -> None:
    """Point 7: not the file it was once deployed from, which is fine."""
    opened = cli.json("open", "service_desk", "--set", "summary=s", user="ann", password=AGENT)
    assert isinstance(opened, dict)
    store = open_workspace(os.environ["TICKETFLOW_DB"]).store
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(update(VERSIONS).where(VERSIONS.c.name == "service_desk").values(
            source="process: ["))
    store.close()
    code, _, err = cli("fire", str(opened["id"]), "receive")
    assert code == 2 and err.startswith("error: process service_desk version 1 in the "
                                        "database (deployed from ")
    assert "is damaged: its source does not match its digest; restore a backup" in err
    code, out, _ = cli("audit", "verify", "--workers", "1", user="root", password=ADMIN)
    assert code == 1
    assert "process service_desk version 1: its source does not match its digest" in out
    assert f"ticket {opened['id']} seq 1: not checked: process service_desk version 1" in out


def test_verify_notices_a_pending_timer_deleted_or_added(cli: Cli) -> None:
    """Point 7: replay knows which timers must be pending (process timers and SLA clocks)."""
    opened = cli.json("open", "vendor_access", "--set", "summary=patch", "--set",
                      "vendor_name=Acme", "--set", "rights=read_only", user="hal",
                      password=HANDLER)
    assert isinstance(opened, dict)
    number = opened["id"]
    assert verify(cli)["ok"]
    store = open_workspace(os.environ["TICKETFLOW_DB"]).store
    pending = store.pending_timers(number)
    assert [t.kind for t in pending] == ["sla_warning", "sla_breach"]
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(delete(TIMERS).where(TIMERS.c.id == pending[1].id))
    report = verify(cli)
    assert report["violations"] == [
        {"ticket": number, "seq": None,
         "problem": f"a pending sla_breach timer 'requested' due "
                    f"{pending[1].due_at.isoformat()} is missing (deleted or marked done "
                    "outside the product)"}]
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(insert(TIMERS).values(
            ticket_id=number, trigger="expire", due_at=pending[0].due_at, state="requested",
            status="pending", kind="timer"))
    problems = [v["problem"] for v in verify(cli)["violations"]]
    assert f"a pending process timer 'expire' due {pending[0].due_at.isoformat()} is not one " \
           "its journal arms (inserted outside the product)" in problems
    store.close()


def test_a_verbal_approval_never_confirmed_does_not_end_as_confirmed(cli: Cli) -> None:
    """Point 7: the access ends apart, is registered, and waits visibly for the supervisor,
    who records the confirmation or closes the episode as unconfirmed."""
    assert cli("users", "add", "sue", "--role", "supervisor", "--post", "service_desk",
               "--password-stdin", stdin="Sup3r-pass\n", user="root", password=ADMIN)[0] == 0
    expires = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    numbers = []
    for account in ("vendor_one", "vendor_two"):
        opened = cli.json("open", "vendor_access", "--set", "summary=patch", "--set",
                          "vendor_name=Acme", "--set", "rights=read_only", user="hal",
                          password=HANDLER)
        assert isinstance(opened, dict)
        number = str(opened["id"])
        numbers.append(number)
        assert cli("fire", number, "approve_verbally", user="sue", password="Sup3r-pass")[0] == 0
        assert cli("fire", number, "open_access", "--set", f"vendor_account={account}",
                   "--set", f"access_expires_at={expires}")[0] == 0
        assert cli("fire", number, "end_access")[0] == 0
        assert state(cli, int(number)) == "registering_unconfirmed"
        assert cli("fire", number, "register", "--set", "password_changed=true", "--set",
                   "register_note=done", user="ann", password=AGENT)[0] == 0
        shown = cli.json("show", number)
        assert isinstance(shown, dict) and shown["state"] == "unconfirmed" and shown["open"]
        queue = cli.json("list", "--post", "service_desk", "--state", "unconfirmed")
        assert isinstance(queue, list) and number in [str(t["id"]) for t in queue]
    confirmed, unconfirmed = numbers
    assert cli("fire", unconfirmed, "close_unconfirmed", "--set", "unconfirmed_reason=x")[0] == 3
    assert cli("fire", confirmed, "confirm_in_writing", "--set", "approval_reference=W-1",
               user="sue", password="Sup3r-pass")[0] == 0
    assert cli("fire", unconfirmed, "close_unconfirmed", "--set",
               "unconfirmed_reason=never signed")[0] == 0
    assert state(cli, int(confirmed)) == "closed"
    shown = cli.json("show", unconfirmed)
    assert isinstance(shown, dict) and shown["state"] == "closed_unconfirmed"
    assert not shown["open"] and shown["data"]["flagged"] is True
    assert verify(cli)["ok"]
