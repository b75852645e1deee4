"""Alert intake: alerts from monitoring open tickets, and repeats of one add to its ticket.

An alert names its ``source`` (the monitoring system) and ``key`` (what fired there). While
a ticket opened from the same source and key is open, another alert with them is a repeat:
the alert's counter goes up and the ticket's journal gets an ``alert_repeat`` entry, in one
transaction. Opening is guarded by the store's unique key on (source, key), not by a
check first: of several posts of one new alert at once, one opens the ticket and the others
find it and count as repeats. A ``resolved`` alert is journaled on its open ticket.

Which process, which fields and how levels map come from an alert rules file (top-level
key ``alerts:``), checked like the other files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import Field, ValidationError

from engine.core.errors import BadRequest, Conflict, NotFound, Problem, SpecError
from engine.core.model import Account, Change, NewTicket, Ticket
from engine.desk.desk import Desk
from engine.process import yamlfile
from engine.process.load import shape_problems
from engine.process.spec import Model, Name
from engine.process.validate import locate

LEVELS = (1, 2, 3, 4)
"""An alert's level: 1 the most severe."""
REPEAT, RESOLVED = "alert_repeat", "alert_resolved"
ATTRIBUTES = ("summary", "level", "source", "key")
"""What of an alert a field may take, besides ``details.NAME``."""
DEFAULT_FILE = Path("flows") / "intake" / "alerts.yaml"
SHIPPED_FILE = Path(__file__).resolve().parents[2] / DEFAULT_FILE
ATTEMPTS = 8
"""Rounds of find-or-open before giving up (each lost round means another post won)."""


class AlertRules(Model):
    """How alerts become tickets."""

    process: Name
    """The process an alert opens a ticket of."""
    fields: dict[Name, str]
    """Ticket field → what fills it: summary, level, source, key or details.NAME."""
    levels: dict[str, Any] = Field(default_factory=lambda: {str(n): n for n in LEVELS})
    """The alert's level (1-4) → the value given to the field that takes ``level``."""


class AlertRulesFile(Model):
    """An alert rules file: one ``alerts:`` mapping."""

    alerts: AlertRules


@dataclass(frozen=True)
class Rules:
    """A checked alert rules file."""

    spec: AlertRules
    path: str
    digest: str

    def data_for(self, alert: Alert) -> dict[str, Any]:
        """The opening data of an alert's ticket."""
        data: dict[str, Any] = {}
        for name, what in self.spec.fields.items():
            value = _attribute(alert, what, self.spec.levels)
            if value is not None:
                data[name] = value
        return data


def _attribute(alert: Alert, what: str, levels: dict[str, Any]) -> Any:
    if what.startswith("details."):
        return alert.details.get(what.removeprefix("details."))
    if what == "level":
        return levels[str(alert.level)]
    return getattr(alert, what)


def parse_alert_rules(source: str, path: str) -> Rules:
    """Validate an alert rules file; raise SpecError with every problem."""
    raw = yamlfile.parse(source, path)
    if not isinstance(raw, yamlfile.Mapping):
        raise SpecError([Problem(path, 1, 1, "an alert rules file must be a mapping")])
    try:
        spec = AlertRulesFile.model_validate(raw).alerts
    except ValidationError as exc:
        raise SpecError(shape_problems(exc, raw, path)) from None
    problems = list(_meaning_problems(spec, raw, path))
    if problems:
        raise SpecError(problems)
    return Rules(spec, path, hashlib.sha256(source.encode("utf-8")).hexdigest())


def load_alert_rules(path: str | Path) -> Rules:
    """Read and validate an alert rules file."""
    return parse_alert_rules(yamlfile.read_text(path), str(path))


def find_alert_rules(path: str | Path | None = None) -> Rules:
    """The alert rules at ``path``; else ./flows/intake/alerts.yaml; else the shipped one."""
    if path is not None:
        return load_alert_rules(path)
    return load_alert_rules(DEFAULT_FILE if DEFAULT_FILE.is_file() else SHIPPED_FILE)


def _meaning_problems(spec: AlertRules, raw: Any, path: str) -> list[Problem]:
    problems = []
    for name, what in spec.fields.items():
        detail = what.removeprefix("details.")
        if what not in ATTRIBUTES and not (what.startswith("details.") and detail):
            line, column = locate(raw, ("alerts", "fields", name))
            problems.append(Problem(path, line, column, f"field {name!r} takes {what!r}; "
                                    f"expected one of {', '.join(ATTRIBUTES)} or details.NAME"))
    for level in spec.levels:
        if level not in map(str, LEVELS):
            line, column = locate(raw, ("alerts", "levels", level), key=True)
            problems.append(Problem(path, line, column, f"alert level {level} is not 1 to 4"))
    missing = [str(n) for n in LEVELS if str(n) not in spec.levels]
    if missing and "level" in spec.fields.values():
        line, column = locate(raw, ("alerts", "levels"), key=True)
        problems.append(Problem(path, line, column, f"levels must map every alert level; "
                                f"{', '.join(missing)} missing"))
    return problems


@dataclass(frozen=True)
class Alert:
    """One alert as a monitoring system posts it."""

    source: str
    key: str
    summary: str
    level: int
    details: dict[str, Any] = field(default_factory=dict)
    status: Literal["firing", "resolved"] = "firing"


@dataclass(frozen=True)
class AlertLink:
    """The ticket an alert's source and key point at, and how often it repeated."""

    source: str
    key: str
    ticket_id: int
    repeats: int
    status: str


@dataclass(frozen=True)
class Outcome:
    """What one posted alert did."""

    ticket: Ticket
    opened: bool
    repeats: int
    status: str


class AlertStore(Protocol):
    """The part of the store port that alert intake needs."""

    def alert_link(self, source: str, key: str) -> AlertLink | None: ...

    def open_alert_ticket(self, new: NewTicket, *, source: str, key: str,
                          replacing: int | None, level: int) -> Ticket:
        """Open the ticket and point (source, key) at it in one transaction: insert the link
        (``replacing`` None) or move it from that closed ticket. Conflict, writing nothing,
        when another post got there first."""
        ...

    def apply_alert(self, change: Change, *, source: str, key: str, repeats: int,
                    status: str) -> None:
        """Apply a change with the link's new counter and status, in one transaction;
        Conflict when the ticket or the link (its counter) moved meanwhile."""
        ...


class AlertIntake:
    """Turns posted alerts into tickets by the rules, acting as the posting account."""

    def __init__(self, desk: Desk, store: AlertStore, rules: Rules) -> None:
        self.desk = desk
        self.store = store
        self.rules = rules

    def receive(self, alert: Alert, actor: Account) -> Outcome:
        """Open a ticket for the alert, or add it to the open one of its source and key."""
        _check(alert)
        for _ in range(ATTEMPTS):
            try:
                return self._round(alert, actor)
            except Conflict:
                continue  # another post (or an agent) changed it first: look again
        raise Conflict(f"alert {alert.source}/{alert.key} kept changing under this post; "
                       "send it again")

    def _round(self, alert: Alert, actor: Account) -> Outcome:
        link = self.store.alert_link(alert.source, alert.key)
        ticket = self.desk.ticket(link.ticket_id) if link else None
        if link is not None and ticket is not None and ticket.is_open:
            return self._repeat(alert, actor, link, ticket)
        if alert.status == "resolved":
            raise NotFound(f"no open ticket for alert {alert.source}/{alert.key}")
        new = self.desk.plan_open(self.rules.spec.process, actor, self.rules.data_for(alert))
        opened = self.store.open_alert_ticket(new, source=alert.source, key=alert.key,
                                              replacing=link.ticket_id if link else None,
                                              level=alert.level)
        return Outcome(opened, opened=True, repeats=0, status=alert.status)

    def _repeat(self, alert: Alert, actor: Account, link: AlertLink, ticket: Ticket
                ) -> Outcome:
        self.desk.check_active(actor)
        resolved = alert.status == "resolved"
        repeats = link.repeats if resolved else link.repeats + 1
        details = {"source": alert.source, "key": alert.key, "level": alert.level,
                   "via": actor.username, "repeats": repeats}
        if alert.details:
            details["alert"] = alert.details
        change = self.desk.journal_change(ticket, RESOLVED if resolved else REPEAT,
                                          alert.summary, details)
        self.store.apply_alert(change, source=alert.source, key=alert.key, repeats=repeats,
                               status=alert.status)
        return Outcome(change.ticket, opened=False, repeats=repeats, status=alert.status)


def _check(alert: Alert) -> None:
    if alert.level not in LEVELS:
        raise BadRequest(f"an alert's level is 1 to 4, not {alert.level}")
    for name in ("source", "key"):
        value = getattr(alert, name)
        if not value.strip() or len(value) > 200 or not value.isprintable():
            raise BadRequest(f"an alert's {name} has 1 to 200 printable characters")

