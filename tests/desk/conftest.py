"""A desk on every backend, with the mini process and the seed processes deployed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.core.model import Account
from engine.process.load import load_process
from engine.time.clock import VirtualClock
from tui.wiring import Workspace, open_workspace

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 10, 5, 1, 0, tzinfo=UTC)
PASSWORD = "Str0ng-pass"


@dataclass
class DeskWorld:
    """A workspace on a virtual clock with one account per role and post."""

    workspace: Workspace
    clock: VirtualClock
    people: dict[str, Account]

    @property
    def desk(self):
        return self.workspace.desk


PEOPLE = {
    "root": (["admin"], None), "ann": (["agent"], "service_desk"),
    "hal": (["agent"], "handling_group"), "sue": (["supervisor"], "service_desk"),
    "aud": (["auditor"], None),
}


def build_world(url: str) -> DeskWorld:
    clock = VirtualClock(START)
    workspace = open_workspace(url, clock=clock)
    people = {}
    admin = None
    for name, (roles, post) in PEOPLE.items():
        people[name] = workspace.accounts.add(admin, username=name, password=PASSWORD,
                                              roles=roles, post=post)
        admin = admin or people[name]
    processes = [load_process(ROOT / "tests/flows/mini.yaml")]
    processes += [load_process(p) for p in sorted((ROOT / "flows").glob("*.yaml"))
                  if p.name != "assessment.yaml"]
    workspace.desk.deploy(processes, people["root"])
    return DeskWorld(workspace, clock, people)


@pytest.fixture
def world(store_url: str) -> Iterator[DeskWorld]:
    yield build_world(store_url)
