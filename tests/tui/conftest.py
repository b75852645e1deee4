"""A small fixed desk for the terminal app's tests: built once, copied per test.

Every test gets its own SQLite file (a copy of the template), a virtual clock stopped at
``NOW`` and the app at a fixed size, so that screens — and their snapshots — are the same
on every run.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.notifications import SeverityLevel
from textual.pilot import Pilot
from textual.widgets import Input

from engine.core.model import Account
from engine.desk.articles import Articles, Content
from engine.process.load import load_process, parse_process
from engine.time.clock import VirtualClock
from tui.app import TicketflowApp
from tui.wiring import Workspace, open_workspace

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 10, 5, 1, 0, tzinfo=UTC)
NOW = START + timedelta(minutes=10)
PASSWORD = "Str0ng-pass"
SIZE = (120, 36)
ROUTE_CACHE = Content("Clear a router's route cache", """\
When a branch loses its routes:

1. Log in to the **core router**.
2. Run `clear ip route *`.
""", ("network", "router"))
"""KB-1, published; KB-2 (a printer) is a draft."""
PEOPLE = {  # name: (role, post)
    "amy": ("admin", None), "ann": ("agent", "service_desk"), "ben": ("agent", "service_desk"),
    "hal": ("agent", "handling_group"), "sue": ("supervisor", "service_desk"),
    "ian": ("auditor", None),
}


@dataclass
class DeskCopy:
    """One test's desk: its workspace on a virtual clock, and its accounts."""

    workspace: Workspace
    clock: VirtualClock
    people: dict[str, Account]
    folder: Path

    def app(self, **options: Any) -> TicketflowApp:
        """The app on this desk, with times shown in UTC and no background polling."""
        options = {"zone": UTC, "poll_seconds": 0, **options}
        return RecordingApp(self.workspace, **options)

    def run(self, scenario: Callable[[Pilot[None], TicketflowApp], Awaitable[None]],
            **options: Any) -> TicketflowApp:
        """Run the app headless at the fixed size and drive it with ``scenario``."""
        import asyncio

        app = self.app(**options)

        async def drive() -> None:
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                await scenario(pilot, app)

        asyncio.run(drive())
        return app


def _populate(workspace: Workspace, clock: VirtualClock) -> None:
    people: dict[str, Account] = {}
    for name, (role, post) in PEOPLE.items():
        people[name] = workspace.accounts.add(people.get("amy"), username=name,
                                              password=PASSWORD, roles=[role], post=post)
    # the fixed desk of the snapshots has no problem process: tests of problem records
    # deploy it themselves (tests/tui/test_problems.py)
    flows = [load_process(path) for path in sorted((ROOT / "flows").glob("*.yaml"))
             if path.name not in ("assessment.yaml", "problem.yaml")]
    desk, ann, hal = workspace.desk, people["ann"], people["hal"]
    desk.deploy(flows, people["amy"])
    articles = Articles(workspace.store, clock)
    articles.publish(articles.add(ROUTE_CACHE, ann).id, people["amy"])
    articles.add(Content("Printer queue frozen", "Restart the spooler.\n", ("printer",)), ann)
    first = desk.open("service_desk", ann, {"summary": "Core router down in Taipei"})
    desk.fire(first.id, "receive", ann, data={"customer": "Branch 12", "priority": "high"})
    second = desk.open("service_desk", ann, {"summary": "VPN gateway rejects sessions"})
    desk.fire(second.id, "receive", ann)
    desk.fire(second.id, "dispatch", ann, data={"assigned_group": "system_software"})
    desk.open("fault_escalation", ann, {"summary": "Billing batch stuck", "level": 1})
    clock.advance(timedelta(minutes=6))
    while desk.fire_due():
        pass
    third = desk.open("service_desk", people["ben"], {"summary": "Printer queue frozen"})
    desk.fire(third.id, "receive", people["ben"])
    desk.record(third.id, "comment", people["ben"], note="Called the branch back.")
    fourth = desk.open("service_desk", ann, {"summary": "Disk array degraded"})
    desk.fire(fourth.id, "receive", ann)
    desk.fire(fourth.id, "dispatch", ann, data={"assigned_group": "hardware_platform"})
    desk.fire(fourth.id, "accept", hal)
    desk.fire(fourth.id, "request_vendor_access", hal,
              data={"vendor_name": "Huawei", "vendor_rights": "operator"})
    source = (ROOT / "flows" / "service_desk.yaml").read_text(encoding="utf-8")
    changed = source.replace("title: Service desk ticket", "title: Service desk request")
    desk.deploy([parse_process(changed, "flows/service_desk.yaml")], people["amy"])
    clock.set(NOW)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixed desk, built once per test session."""
    path = tmp_path_factory.mktemp("template") / "desk.db"
    clock = VirtualClock(START)
    workspace = open_workspace(f"sqlite:///{path}", clock=clock)
    _populate(workspace, clock)
    workspace.store.close()
    return path


@pytest.fixture
def desk(template: Path, tmp_path: Path) -> Iterator[DeskCopy]:
    """A private copy of the fixed desk, on a clock stopped at ``NOW``."""
    path = tmp_path / "desk.db"
    shutil.copy(template, path)
    clock = VirtualClock(NOW)
    workspace = open_workspace(f"sqlite:///{path}", clock=clock)
    people = {account.username: account for account in workspace.store.list_accounts()}
    yield DeskCopy(workspace, clock, people, tmp_path)
    workspace.store.close()


async def until(pilot: Pilot[None], condition: Callable[[], object], seconds: float = 30.0,
                ) -> None:
    """Pause until ``condition()`` holds: a timer or a worker the screen waits on takes its
    time on a loaded machine, so wait for what it does instead of a fixed delay."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not so after {seconds} s"
        await pilot.pause(0.05)


async def login(pilot: Pilot[None], name: str, password: str = PASSWORD) -> None:
    """Log in through the login screen."""
    screen = pilot.app.screen
    screen.query_one("#login-username", Input).value = name
    screen.query_one("#login-password", Input).focus()
    screen.query_one("#login-password", Input).value = password
    await pilot.press("enter")
    await pilot.pause()


class RecordingApp(TicketflowApp):
    """The app, keeping the text of every notification it shows: Textual drops each when
    it expires, which a test on a loaded machine may reach before it looks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown: list[str] = []

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        self.shown.append(f"{title}: {message}")
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)


def notices(app: TicketflowApp) -> list[str]:
    """The texts of the notifications the app has shown (title and message), oldest first."""
    if isinstance(app, RecordingApp):
        return list(app.shown)
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def fill(pilot: Pilot[None], selector: str, text: str, *, submit: bool = True) -> None:
    """Put text into a field at once (typing long texts key by key is slow), then Enter: an
    input's or a text area's text, a select's choice, a switch's ``true``/``false``."""
    from textual.widgets import Select, Switch, TextArea

    box = pilot.app.screen.query_one(selector)
    box.focus()
    if isinstance(box, TextArea):
        box.load_text(text)
    elif isinstance(box, Switch):
        box.value = text == "true"
    else:
        assert isinstance(box, Input | Select)
        box.value = text
    await pilot.pause()
    if submit:
        await pilot.press("enter")


async def choose(pilot: Pilot[None], selector: str, option_id: str) -> None:
    """Highlight an option of an option list by its id and press Enter on it."""
    from textual.widgets import OptionList

    box = pilot.app.screen.query_one(selector, OptionList)
    box.focus()
    box.highlighted = box.get_option_index(option_id)
    await pilot.press("enter")
    await pilot.pause()


def plain(app: TicketflowApp, selector: str) -> str:
    """What a Static shows, as plain text (tables and styled text rendered 200 wide)."""
    import io

    from rich.console import Console
    from textual.widgets import Static

    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(app.screen.query_one(selector, Static).content)
    return console.export_text()
