"""The demo desk: the shipped processes, one account per role and post, and a few hundred
tickets worked over the last three days — all through the Desk API on a virtual clock
walked forward, so that the journal, the timers, the escalations and the SLA alarms are real.
"""

from __future__ import annotations

import heapq
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engine.core.errors import SpecError, TicketflowError
from engine.core.model import Account, Ticket, TicketQuery
from engine.desk.articles import Articles, Content
from engine.desk.items import Item, Items
from engine.desk.problems import Problems
from engine.process import yamlfile
from engine.process.load import Process, load_process
from engine.process.spec import FieldSpec, TransitionSpec
from engine.time.clock import VirtualClock
from tui.screens.login import DemoLogin
from tui.wiring import Workspace

FLOWS = Path(__file__).resolve().parent.parent / "flows"
SPAN = timedelta(days=3)
PEOPLE = [  # username, display name, role, post
    ("amy", "Amy Chen", "admin", None),
    ("ann", "Ann Lin", "agent", "service_desk"),
    ("rob", "Rob Wu", "agent", "response_group"),
    ("hal", "Hal Tsai", "agent", "handling_group"),
    ("val", "Val Huang", "agent", "vendor"),
    ("sue", "Sue Lee", "supervisor", "service_desk"),
    ("ian", "Ian Ho", "auditor", None),
]
LOGINS = [DemoLogin(name, f"{name}-demo", role, post) for name, _, role, post in PEOPLE]
"""The demo's accounts and passwords, shown on the demo desk's login screen."""
GROUPS = {"hal": "hardware_platform", "val": "Huawei"}
"""The group each account of a divided post works in (a handling group, a vendor company)."""
ITEMS = [
    Item("san-tpe-1", "storage", "hardware_platform", "Huawei", "critical"),
    Item("core-router-tpe", "network", "hardware_platform", "Ericsson", "critical"),
    Item("db-host-bss", "server", "hardware_platform", "Huawei", "high", ("san-tpe-1",)),
    Item("oracle-bss", "database", "system_software", "Oracle", "high", ("db-host-bss",)),
    Item("billing-bss", "application", "business_software", None, "critical", (),
         ("oracle-bss", "core-router-tpe")),
    Item("inventory-oss", "application", "business_software", None, "medium", ("db-host-bss",)),
    Item("eda-bus", "middleware", "system_software", "Oracle", "high", (), ("core-router-tpe",)),
]
"""The demo's configuration items: a small telecom CMDB (docs/items.md)."""
ARTICLES = [
    (Content("Reset a branch account's password", """\
A branch user is locked out or forgot the password.

1. Check the caller against the **branch contact list**.
2. Reset the password in the directory console; tick *must change at next login*.
3. Read the temporary password to the caller, never by mail.
""", ("password", "accounts")), "published"),
    (Content("Clear a frozen printer queue", """\
The queue shows jobs that never print.

- Restart the spooler on the print server.
- Delete the stuck job if it comes back (`lpq`, then `lprm`).
""", ("printer",)), "published"),
    (Content("VPN gateway rejects new sessions", """\
Usually the session table of the gateway is full.

1. Look at the gateway's session count on the monitoring module.
2. Clear idle sessions older than 12 hours.
3. If it is still full, dispatch to *system_software*.
""", ("vpn", "network"), ("core-router-tpe",)), "published"),
    (Content("Top-up fails for prepaid accounts", """\
Draft: collect the error codes the BSS returns before writing the steps.
""", ("billing",), ("billing-bss",)), "draft"),
    (Content("Restart the old fax gateway", """\
The fax gateway was switched off in 2025.
""", ("fax",)), "retired"),
]
"""The demo's knowledge base (docs/kb.md): solve_at_desk cites the published ones."""
PUBLISHED = [number for number, (_, status) in enumerate(ARTICLES, 1) if status == "published"]

TEXTS: dict[str, list[str]] = {
    "summary": ["Core router down in the Taipei data centre", "Billing batch (BSS) stuck at 40%",
                "VPN gateway rejects new sessions", "Disk array degraded on OSS inventory",
                "Customer cannot top up prepaid account", "Email relay queue growing",
                "Suspicious login attempts on the CRM portal", "Printer queue frozen on floor 7",
                "EDA message bus latency above 2 s", "New hire needs access to MSS reports",
                "SMS gateway drops 5% of messages", "Backup job failed on the base platform",
                "Password reset for a branch account", "Slow query on the order database"],
    "description": ["Reported by phone at the front desk.", "Raised by the monitoring module.",
                    "The customer sent screenshots by email."],
    "customer": ["Kao Ming (0912-345-678)", "Branch 12, Hsinchu", "Lin Office Supplies"],
    "resolution": ["Restarted the service and cleared the queue.", "Replaced the faulty line card.",
                   "Applied the documented workaround (see the article).",
                   "Rolled back the last configuration change."],
    "return_reason": ["Not our group: it is a network fault.", "Missing the customer's details."],
    "pending_reason": ["Waiting for a spare part.", "Customer unreachable until Monday."],
    "withdraw_reason": ["Duplicate of an open ticket."],
    "change_notice": ["CN-2026-118: firmware upgraded on the edge routers."],
    "approval_reference": ["APR-2026-0412", "APR-2026-0419"],
    "refusal_reason": ["Superuser rights are never granted to vendors."],
    "register_note": ["Account closed, password rotated, episode registered."],
    "purpose": ["Apply the vendor's hotfix.", "Collect diagnostic logs."],
    "affected_system": ["BSS billing", "OSS inventory", "MSS reporting", "EDA bus"],
    "vendor_name": ["Huawei", "Ericsson", "Oracle"],
    "note": ["Customer called again, asks for an update.", "Checked the logs, nothing new.",
             "Handed over at the shift change."],
}
WEIGHTS = {"withdraw": 0.05, "send_back": 0.25, "pend": 0.3, "reopen": 0.2, "refuse": 0.3,
           "approve_verbally": 0.6, "request_vendor_access": 0.25, "solve_at_desk": 0.8,
           "hand_up": 0.7}
STALL = 0.3
"""The chance that nobody touches a ticket again after a step (timers then take over)."""
RUSH = 0.08
"""The share of tickets opened in the last hour, so that the first states are busy too."""
SWEEP = timedelta(minutes=10)
"""How often the simulated timer worker looks for due timers."""


@dataclass(order=True)
class Visit:
    """A moment at which the simulation acts: open a ticket, or work one."""

    at: datetime
    order: int
    ticket_id: int | None = field(default=None, compare=False)
    process: str | None = field(default=None, compare=False)


def shipped_processes(folder: Path = FLOWS) -> list[Process]:
    """Every process file in ``flows/`` (the assessment and scenario files are skipped)."""
    found = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yamlfile.load(path)
        except SpecError:
            continue
        if isinstance(data, dict) and "process" in data:
            found.append(load_process(path))
    return found


def is_demo_ready(workspace: Workspace) -> bool:
    """Whether the desk already holds accounts (the demo never overwrites a desk)."""
    return bool(workspace.store.list_accounts())


def build_demo(workspace: Workspace, clock: VirtualClock, *, tickets: int = 220,
               seed: int = 7) -> int:
    """Create accounts, deploy, and work tickets from ``clock``'s time for three days."""
    people = _accounts(workspace)
    Items(workspace.store, clock).load(ITEMS, people["amy"])
    _articles(Articles(workspace.store, clock), people)
    traffic = Traffic(workspace, clock, people, random.Random(seed))
    return traffic.run(tickets, clock.now() + SPAN)


def _articles(articles: Articles, people: dict[str, Account]) -> None:
    """The knowledge base: written by the desk's agent, published or retired by its
    supervisor."""
    for content, status in ARTICLES:
        article = articles.add(content, people["ann"])
        if status != "draft":
            articles.publish(article.id, people["sue"])
        if status == "retired":
            articles.retire(article.id, people["sue"])


def _accounts(workspace: Workspace) -> dict[str, Account]:
    """The first admin, who deploys the processes (they name the groups), then everyone
    else at once (hashing a password takes a while)."""
    def add(admin: Account | None, index: int) -> Account:
        name, display, role, post = PEOPLE[index]
        return workspace.accounts.add(admin, username=name, password=LOGINS[index].password,
                                      roles=[role], post=post, display_name=display,
                                      group=GROUPS.get(name))

    admin = add(None, 0)
    workspace.desk.deploy(shipped_processes(), admin)
    with ThreadPoolExecutor(max_workers=4) as pool:
        others = list(pool.map(lambda index: add(admin, index), range(1, len(PEOPLE))))
    return {account.username: account for account in [admin, *others]}


class Traffic:
    """A day at the desk, compressed: tickets arrive, people act, timers fire."""

    def __init__(self, workspace: Workspace, clock: VirtualClock, people: dict[str, Account],
                 rng: random.Random) -> None:
        self.desk = workspace.desk
        self.clock = clock
        self.people = people
        self.rng = rng
        self.items = random.Random(rng.getrandbits(32))
        """Which tickets name a configuration item, apart from the steps' chances."""
        self.agenda: list[Visit] = []
        self.order = 0

    def run(self, tickets: int, end: datetime) -> int:
        """Open ``tickets`` tickets spread until ``end``, work them, fire what falls due."""
        start = self.clock.now()
        for _ in range(tickets):
            moment = start + (end - start) * self.rng.random() ** 0.8
            if self.rng.random() < RUSH:
                moment = end - timedelta(minutes=self.rng.uniform(1, 60))
            process = "fault_escalation" if self.rng.random() < 0.35 else "service_desk"
            self.plan(moment, process=process)
        self.until(end - timedelta(hours=2))
        self.vendor_episode()
        self.problem_episode()
        self.until(end)
        return tickets + 1

    def until(self, moment: datetime) -> None:
        """Work every visit planned before ``moment``, then stop the clock there."""
        sweep = self.clock.now()
        while self.agenda and self.agenda[0].at < moment:
            visit = heapq.heappop(self.agenda)
            self.clock.set(max(visit.at, self.clock.now()))
            if visit.at >= sweep:
                self.fire_due()
                sweep = visit.at + SWEEP
            self.visit(visit)
        self.clock.set(moment)
        self.fire_due()

    def plan(self, at: datetime, *, ticket_id: int | None = None, process: str | None = None
             ) -> None:
        self.order += 1
        heapq.heappush(self.agenda, Visit(at, self.order, ticket_id, process))

    def fire_due(self) -> None:
        while self.desk.fire_due(limit=200):
            pass

    def visit(self, visit: Visit) -> None:
        try:
            if visit.process:
                ticket = self.desk.open(visit.process, self.people["ann"],
                                        self.opening_data(visit.process))
            else:
                ticket = self.work(self.desk.ticket(visit.ticket_id or 0))
        except TicketflowError:
            return
        first = visit.process is not None  # the desk picks new tickets up quickly
        if ticket.is_open and (first or self.rng.random() > STALL):
            minutes = self.rng.expovariate(1 / (3 if first else 35)) + 0.2
            self.plan(self.clock.now() + timedelta(minutes=minutes), ticket_id=ticket.id)

    def vendor_episode(self) -> None:
        """A handling group asks for a vendor's remote access; it is approved and open now."""
        ann, hal, sue = (self.people[name] for name in ("ann", "hal", "sue"))
        desk = self.desk
        ticket = desk.open("service_desk", ann, {"summary": "Storage array firmware crash",
                                                 "priority": "critical"})
        desk.fire(ticket.id, "receive", ann)
        desk.fire(ticket.id, "dispatch", ann, data={"assigned_group": "hardware_platform"})
        desk.fire(ticket.id, "accept", hal)
        desk.fire(ticket.id, "request_vendor_access", hal,
                  data={"vendor_name": "Huawei", "vendor_rights": "operator"})
        child = desk.tickets(TicketQuery(parent_id=ticket.id, limit=1))[0]
        desk.fire(child.id, "approve", sue, data={"approval_reference": "APR-2026-0425"})
        expires = self.clock.now() + timedelta(hours=8)
        desk.fire(child.id, "open_access", sue, data={
            "vendor_account": "vendor_huawei_01", "access_expires_at": expires.isoformat(),
            "purpose": "Apply the vendor's firmware hotfix."})

    def problem_episode(self) -> None:
        """Faults on the storage array share a cause: a problem they link to, a known error
        whose workaround their views show (docs/problems.md)."""
        ann, hal = self.people["ann"], self.people["hal"]
        desk, problems = self.desk, Problems(self.desk)
        problem = desk.open("problem", ann, {
            "summary": "Storage array firmware crashes under write bursts",
            "item": "san-tpe-1", "priority": "high"})
        for summary in ("Disk array degraded on OSS inventory", "Backup job failed on the "
                        "base platform", "Slow query on the order database"):
            fault = desk.open("fault_escalation", ann, {"summary": summary, "level": 2,
                                                        "item": "san-tpe-1"})
            problems.link(fault.id, problem.id, ann, "Same storage array, same crash.")
        desk.fire(problem.id, "investigate", hal)
        desk.fire(problem.id, "record_workaround", hal, data={
            "workaround": "Fail the volume over to the second controller, then restart "
                          "the service."})

    def opening_data(self, process: str) -> dict[str, Any]:
        spec = self.desk.current(process).spec
        data = {name: self.value(name, field) for name, field in spec.fields.items()
                if field.required}
        if "priority" in spec.fields:
            data["priority"] = self.rng.choice(["critical", "high", "normal", "normal", "low"])
        if spec.item is not None and self.items.random() < 0.6:
            data[spec.item.field] = self.items.choice(ITEMS).name  # its own stream of chances
        return data

    def work(self, ticket: Ticket) -> Ticket:
        """One person acts on the ticket: a comment now and then, else a step."""
        if not ticket.is_open:
            return ticket
        roll = self.rng.random()
        if roll < 0.08:
            return self.desk.record(ticket.id, "comment", self.people["ann"],
                                    note=self.rng.choice(TEXTS["note"]))
        if roll < 0.11 and ticket.process != "vendor_access":
            return self.desk.record(ticket.id, "complaint", self.people["sue"],
                                    note="The customer complained about the delay.")
        for person, transition in self.choices(ticket):
            try:
                return self.desk.fire(ticket.id, transition.trigger, person,
                                      data=self.step_data(transition, ticket))
            except TicketflowError:
                continue
        return ticket

    def choices(self, ticket: Ticket) -> list[tuple[Account, TransitionSpec]]:
        """Who may do what now, shuffled by each trigger's weight."""
        found = []
        for person in self.people.values():
            if person.post == ticket.post or "supervisor" in person.roles:
                found += [(person, t) for t in self.desk.actions(ticket, person)]
        self.rng.shuffle(found)
        found.sort(key=lambda pair: -WEIGHTS.get(pair[1].trigger, 1.0) * self.rng.random())
        return found

    def step_data(self, transition: TransitionSpec, ticket: Ticket) -> dict[str, Any]:
        spec = self.desk.compiled(ticket.digest).spec
        names = [*transition.requires, *transition.accepts]
        return {name: self.value(name, spec.fields[name]) for name in dict.fromkeys(names)
                if name in transition.requires or self.rng.random() < 0.5}

    def value(self, name: str, field: FieldSpec) -> Any:
        """A plausible value for a field, by its name and type."""
        rng = self.rng
        if field.type == "choice":
            return rng.choice([c for c in field.choices or [] if c != "superuser"])
        if field.type == "boolean":
            return name == "password_changed" or rng.random() < 0.3
        if field.type in ("integer", "number"):
            return rng.randint(int(field.min or 1), int(min(field.max or 4, 4)))
        if field.type == "timestamp":
            return (self.clock.now() + timedelta(hours=rng.randint(3, 30))).isoformat()
        if field.type == "account":
            return f"vendor_{rng.randint(100, 999)}"
        if field.type == "article":
            return f"KB-{rng.choice(PUBLISHED)}"
        return rng.choice(TEXTS.get(name, TEXTS["note"]))
