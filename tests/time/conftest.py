"""A desk on a virtual clock with the clocked test process and the seed processes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.core.model import Account
from engine.desk.desk import Desk
from engine.process.load import load_process
from engine.time.clock import VirtualClock
from tui.wiring import Workspace, open_workspace

ROOT = Path(__file__).resolve().parents[2]
CST = timezone(timedelta(hours=8))
MONDAY_NINE = datetime(2026, 9, 14, 9, 0, tzinfo=CST)
PASSWORD = "Str0ng-pass"
PEOPLE = {"root": (["admin"], None), "ann": (["agent"], "service_desk"),
          "rob": (["agent"], "response_group"), "hal": (["agent"], "handling_group"),
          "ven": (["agent"], "vendor")}


@dataclass
class TimeWorld:
    """A workspace on a virtual clock with one agent per post."""

    workspace: Workspace
    clock: VirtualClock
    people: dict[str, Account]

    @property
    def desk(self) -> Desk:
        return self.workspace.desk

    def open(self, level: int = 3, summary: str = "core router down") -> int:
        return self.desk.open("clocked", self.people["ann"],
                              {"summary": summary, "level": level}).id

    def wait(self, delta: timedelta) -> None:
        """Advance the clock, firing each timer at its own due time."""
        until = self.clock.now() + delta
        while due := self.desk.store.due_timers(until, 1):
            self.clock.set(max(due[0].due_at, self.clock.now()))
            self.desk.fire_due()
        self.clock.set(until)

    def triggers(self, ticket_id: int) -> list[str | None]:
        return [event.trigger for event in self.desk.history(ticket_id)]


def build_world(url: str, start: datetime = MONDAY_NINE) -> TimeWorld:
    clock = VirtualClock(start)
    workspace = open_workspace(url, clock=clock)
    people: dict[str, Account] = {}
    admin = None
    for name, (roles, post) in PEOPLE.items():
        people[name] = workspace.accounts.add(admin, username=name, password=PASSWORD,
                                              roles=roles, post=post)
        admin = admin or people[name]
    workspace.desk.deploy([load_process(ROOT / "tests/time/flows/clocked.yaml")],
                          people["root"])
    return TimeWorld(workspace, clock, people)


@pytest.fixture
def world() -> TimeWorld:
    return build_world("sqlite://")
