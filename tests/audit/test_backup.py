"""Backups taken while agents work restore into a new database and verify."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from engine.audit.audit import Audit
from engine.audit.replay import differences
from engine.core.model import TicketQuery
from storage.errors import StorageError
from tests.audit.conftest import tour
from tests.conftest import backend_url
from tests.desk.conftest import build_world
from tui.wiring import backup_database, open_workspace, restore_database

MAX_STEPS = 30_000


class Agent(threading.Thread):
    """Another agent opening and moving tickets on the desk until told to stop.

    It stops by itself after MAX_STEPS, far more than a backup takes on a loaded machine:
    the test needs it still writing once the backup returned (at 400 a slow backup could
    outlast it on a fast desk).
    """

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.steps, self.stop = url, 0, threading.Event()
        self.error: Exception | None = None
        self.workspace = open_workspace(url)  # a real clock: moments after the tour's

    def run(self) -> None:
        desk = self.workspace.desk
        ann = self.workspace.store.get_account("ann")
        try:
            while not self.stop.is_set() and self.steps < MAX_STEPS:
                ticket = desk.open("mini", ann, {"summary": f"busy {self.steps}"})
                desk.fire(ticket.id, "receive", ann)
                desk.fire(ticket.id, "dispatch", ann)
                self.steps += 3
        except Exception as exc:  # reported by the test
            self.error = exc

    def wait_for(self, steps: int) -> None:
        deadline = time.monotonic() + 60
        while self.steps < steps and self.error is None and time.monotonic() < deadline:
            time.sleep(0.01)


def check_restored(url: str) -> None:
    restored = open_workspace(url)
    report = Audit(restored.store, restored.desk.clock).verify()
    assert report.ok, report.violations
    tickets = restored.desk.tickets(TicketQuery(is_open=None, limit=1000))
    audit = Audit(restored.store, restored.desk.clock)
    assert all(differences(t, audit.replay(t.id)) == [] for t in tickets)


def test_a_backup_during_concurrent_writes_restores_and_verifies(
        shared_store_url: str, tmp_path: Path) -> None:
    tour(build_world(shared_store_url))
    agent = Agent(shared_store_url)
    agent.start()
    agent.wait_for(15)
    copy = tmp_path / "backup"
    kind = backup_database(shared_store_url, copy)
    before_stop = agent.steps
    agent.wait_for(before_stop + 15)
    agent.stop.set()
    agent.join(60)
    assert agent.error is None and agent.steps > before_stop
    assert kind == ("sqlite" if shared_store_url.startswith("sqlite") else "dump")
    kinds = ["sqlite-file", "postgresql"] if kind == "dump" else ["sqlite-file"]
    for target in kinds:
        with backend_url(target, tmp_path / target) as url:
            (tmp_path / target).mkdir(exist_ok=True)
            assert restore_database(copy, url) > 0
            check_restored(url)


def test_restoring_needs_an_empty_target_and_a_real_backup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    build_world(url)
    copy = tmp_path / "copy.db"
    backup_database(url, copy)
    with pytest.raises(StorageError, match="exists already"):
        backup_database(url, copy)
    with pytest.raises(StorageError, match="not empty"):
        restore_database(copy, url)
    junk = tmp_path / "junk"
    junk.write_text("hello\n")
    with pytest.raises(StorageError, match="not a ticketflow backup"):
        restore_database(junk, f"sqlite:///{tmp_path / 'other.db'}")
    with pytest.raises(StorageError, match="in-memory"):
        backup_database("sqlite://", tmp_path / "mem.db")
