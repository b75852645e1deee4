"""A desk for assessment tests: accounts at every post, the seed processes, a virtual clock,
and short ticket stories (each a real sequence of desk steps) that indicators count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.assessment.report import Assessor, Figure
from engine.assessment.table import Assessment, load_assessment
from engine.core.model import Account
from engine.process.load import load_process
from engine.time.clock import VirtualClock
from tests.articles import publish_articles
from tui.wiring import Workspace, open_workspace

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "flows" / "assessment.yaml"
TAIPEI = ZoneInfo("Asia/Taipei")
START = datetime(2026, 10, 1, 0, 0, tzinfo=TAIPEI)
PASSWORD = "Str0ng-pass"
PEOPLE = {
    "root": (["admin"], None), "ann": (["agent"], "service_desk"),
    "sue": (["supervisor"], "service_desk"), "rob": (["agent"], "response_group"),
    "hal": (["agent"], "handling_group"), "ven": (["agent"], "vendor"),
}


def local(*parts: int) -> datetime:
    """A moment in Taipei, the desk's time zone."""
    return datetime(*parts, tzinfo=TAIPEI)  # type: ignore[arg-type, misc]


@dataclass
class World:
    """A workspace on a virtual clock with one account per post and role."""

    workspace: Workspace
    clock: VirtualClock
    people: dict[str, Account]
    assessment: Assessment

    @property
    def desk(self):
        return self.workspace.desk

    def close(self) -> None:
        close = getattr(self.workspace.store, "close", None)
        if close is not None:
            close()

    def wait(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))

    def until(self, moment: datetime) -> None:
        self.clock.set(moment)

    def assessor(self, assessment: Assessment | None = None) -> Assessor:
        return Assessor(self.workspace.store, assessment or self.assessment)

    def figure(self, period: str, post: str, indicator: str) -> Figure:
        return self.assessor().report(period, [post]).post(post).figure(indicator)

    def rate(self, period: str, post: str, indicator: str) -> Fraction | None:
        return self.figure(period, post, indicator).rate

    # -- service_desk stories ------------------------------------------------------------

    def submit(self, process: str = "service_desk", **data: object) -> int:
        """Open a ticket as the desk agent; its id."""
        values = {"summary": "printer jam", **data}
        return int(self.desk.open(process, self.people["ann"], values).id)

    def fire(self, ticket: int, trigger: str, who: str, **data: object) -> None:
        self.desk.fire(ticket, trigger, self.people[who], data=data)

    def record(self, ticket: int, event: str, who: str = "ann") -> None:
        self.desk.record(ticket, event, self.people[who], note=f"{event} noted")

    def received_after(self, seconds: float) -> int:
        """A service-desk ticket received ``seconds`` after its submission."""
        ticket = self.submit()
        self.wait(seconds=seconds)
        self.fire(ticket, "receive", "ann")
        return ticket

    def solved_at_desk(self) -> int:
        """A received ticket the desk solved itself (handled at the service desk)."""
        ticket = self.received_after(1)
        publish_articles(self.workspace.store)
        self.fire(ticket, "solve_at_desk", "ann", knowledge_article="KB-1", resolution="reset")
        return ticket

    def replied_after(self, seconds: float) -> int:
        """A ticket solved at the desk, replied to ``seconds`` after it was handled."""
        ticket = self.solved_at_desk()
        self.wait(seconds=seconds)
        self.fire(ticket, "reply", "ann")
        return ticket

    def at_handling(self) -> int:
        """A service-desk ticket taken on by the handling group."""
        ticket = self.received_after(1)
        self.fire(ticket, "dispatch", "ann", assigned_group="system_software")
        self.fire(ticket, "accept", "hal")
        return ticket

    def closed(self, ticket: int, *, confirmed: bool = True) -> None:
        """Reply to a handled ticket and close it, with or without the customer's word."""
        self.fire(ticket, "reply", "ann")
        if confirmed:
            self.fire(ticket, "confirm", "ann")
        else:
            self.fire(ticket, "withdraw", "sue", withdraw_reason="customer unreachable")

    # -- fault_escalation stories --------------------------------------------------------

    def fault(self, level: int = 1) -> int:
        """A fault opened at the service desk tier."""
        return self.submit("fault_escalation", level=level)

    def fault_at(self, tier: str, level: int = 1) -> int:
        """A fault handed up by hand to a tier: response_group or handling_group."""
        ticket = self.fault(level)
        self.fire(ticket, "hand_up", "ann")
        if tier == "handling_group":
            self.fire(ticket, "hand_up", "rob", group="system_software")
        return ticket


WHO = {"service_desk": "ann", "response_group": "rob", "handling_group": "hal",
       "vendor": "ven"}
"""The agent of each post."""


def build_world(url: str, start: datetime = START) -> World:
    clock = VirtualClock(start)
    workspace = open_workspace(url, clock=clock)
    people: dict[str, Account] = {}
    admin = None
    for name, (roles, post) in PEOPLE.items():
        people[name] = workspace.accounts.add(admin, username=name, password=PASSWORD,
                                              roles=roles, post=post)
        admin = admin or people[name]
    processes = [load_process(path) for path in sorted((ROOT / "flows").glob("*.yaml"))
                 if path.name != "assessment.yaml"]
    workspace.desk.deploy(processes, people["root"])
    return World(workspace, clock, people, load_assessment(SHIPPED))
