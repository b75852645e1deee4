"""SLA clocks: working time spent per stint, due times, warnings and breaches.

A ticket's clocks live in ``Ticket.sla`` as JSON-able data::

    {"clocks": {NAME: {"post", "started", "spent", "since", "limit", "due", "warn",
                       "warned", "breached"}},
     "done": [{"clock", "post", "started", "ended", "spent", "limit", "breached"}]}

``spent`` is working seconds settled at ``since``'s moment; ``since`` is when the clock last
(re)started running, None while paused. A clock starts when the ticket enters one of its
states; it pauses in a state whose ``sla_runs`` is false (waiting, 掛單) and resumes with the
time spent kept; it ends — moving to ``done`` — in an end state or in another running state.
Due times (and warnings at a share of the limit) are armed as timers of kind ``sla_warning``
and ``sla_breach`` in the same change as the step that sets them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.core.model import SLA_KINDS, Notification, Ticket, Timer
from engine.process.calendars import WorkingTime, build_calendar
from engine.process.durations import format_duration, spoken
from engine.process.ladder import ClockSpec, clocks_of
from engine.process.load import Process
from engine.process.spec import StateSpec

WARNING, BREACH = SLA_KINDS

Record = dict[str, Any]


@dataclass(frozen=True)
class ClockPlan:
    """What one step does to a ticket's clocks."""

    sla: dict[str, Any]
    arm: list[Timer] = field(default_factory=list)
    cancel: bool = False
    """Whether the ticket's pending SLA timers must be cancelled (before arming)."""


@dataclass(frozen=True)
class Alarm:
    """What a due SLA timer does: the clock flagged, data raised, posts told, a hand-off."""

    kind: str
    clock: str
    sla: dict[str, Any]
    data: dict[str, Any]
    notifications: list[Notification]
    details: dict[str, Any]
    hand_off: str | None = None
    """The ladder's trigger to fire afterwards, if the tier hands the ticket on."""


@dataclass(frozen=True)
class RunningSla:
    """One open clock of a ticket, as people read it."""

    clock: str
    post: str | None
    running: bool
    spent: timedelta
    limit: timedelta | None
    remaining: timedelta | None
    due_at: datetime | None
    warned: bool
    breached: bool


class Clocks:
    """The clocks of one process version, on its calendar."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.spec = process.spec
        self.definitions = clocks_of(process.spec)
        self.calendar: WorkingTime = build_calendar(process.spec.calendar)
        self.warning = process.spec.sla_warning
        self.clocked = {state for clock in self.definitions.values() for state in clock.states}
        """The states some clock runs or starts in."""

    # -- steps ---------------------------------------------------------------------------

    def step(self, before: Ticket | None, after: Ticket, now: datetime) -> ClockPlan:
        """The clocks after a step from ``before`` (None: opening) to ``after``."""
        old: dict[str, Record] = (before.sla if before else {}).get("clocks", {})
        if not old and not self.definitions:
            return ClockPlan(after.sla)
        if not old and after.state not in self.clocked and not self._branch_clocked(after):
            return ClockPlan({"clocks": {}, "done": [*(before.sla if before else {}).get(
                "done", [])]})
        state = self.spec.states[after.state]
        clocks: dict[str, Record] = {}
        ended = []
        for name, record in old.items():
            definition = self.definitions.get(name)
            held = self._holder(definition, after) if definition else None
            if definition is None or state.kind == "end" or not (held or not state.sla_runs):
                ended.append(self._finish(name, record, now))
            else:
                clocks[name] = self._settle(record, definition, after,
                                            held is not None and held.sla_runs, now)
        for name, definition in self.definitions.items():
            held = self._holder(definition, after)
            if name not in clocks and held is not None and state.kind != "end":
                clocks[name] = self._start(definition, after, held, now)
        done = [*(before.sla if before else {}).get("done", []), *ended]
        return self._plan(before, after, old, {"clocks": clocks, "done": done})

    def _branch_clocked(self, ticket: Ticket) -> bool:
        return any(inner in self.clocked for inner in ticket.branches.values())

    def _holder(self, definition: ClockSpec, ticket: Ticket) -> StateSpec | None:
        """The state a clock times the ticket in now: its state, or an active branch's
        (None: neither is one of the clock's states)."""
        if ticket.state in definition.states:
            return self.spec.states[ticket.state]
        for inner in ticket.branches.values():
            if inner in definition.states:
                return self.spec.states[inner]
        return None

    def _plan(self, before: Ticket | None, after: Ticket, old: dict[str, Record],
              sla: dict[str, Any]) -> ClockPlan:
        armed = self._timers(sla["clocks"], after)
        if before is None or before.state != after.state:
            return ClockPlan(sla, armed)  # leaving a state cancels its timers already
        if _keys(armed) == _keys(self._timers(old, before)):
            return ClockPlan(sla)
        return ClockPlan(sla, armed, cancel=True)

    def _start(self, definition: ClockSpec, ticket: Ticket, held: StateSpec, now: datetime
               ) -> Record:
        running = held.sla_runs
        record = {"post": held.post or ticket.post, "started": now.isoformat(), "spent": 0.0,
                  "since": None, "limit": None, "due": None, "warn": None,
                  "warned": False, "breached": False}
        return self._settle(record, definition, ticket, running, now, force=True)

    def _settle(self, record: Record, definition: ClockSpec, ticket: Ticket, running: bool,
                now: datetime, *, force: bool = False) -> Record:
        """The record with its limit for the ticket's data and running as told."""
        limit = self.limit(definition, ticket.data)
        if not force and running == (record["since"] is not None) and limit == record["limit"]:
            return record
        settled = {**record, "spent": self.spent(record, now).total_seconds(),
                   "since": now.isoformat() if running else None, "limit": limit}
        settled["due"], settled["warn"] = self._deadlines(settled, now) if running else (
            record["due"] if record["breached"] else None, None)
        return settled

    def _deadlines(self, record: Record, now: datetime) -> tuple[str | None, str | None]:
        limit, spent = record["limit"], record["spent"]
        if limit is None:
            return None, None
        add = self.calendar.add_working
        due = record["due"] if record["breached"] else add(
            now, _seconds(limit - spent)).isoformat()
        warn = record["warn"] if record["warned"] else add(
            now, _seconds(max(limit * self.warning - spent, 0.0))).isoformat()
        return due, warn

    def _finish(self, name: str, record: Record, now: datetime) -> Record:
        return {"clock": name, "post": record["post"], "started": record["started"],
                "ended": now.isoformat(), "spent": self.spent(record, now).total_seconds(),
                "limit": record["limit"], "breached": record["breached"]}

    def pending(self, ticket: Ticket) -> list[Timer]:
        """The SLA timers a ticket's clocks keep pending (a warning or breach not raised)."""
        return self._timers(ticket.sla.get("clocks", {}), ticket)

    def _timers(self, clocks: dict[str, Record], ticket: Ticket) -> list[Timer]:
        timers = []
        for name, record in clocks.items():
            for kind, key, flag in ((WARNING, "warn", "warned"), (BREACH, "due", "breached")):
                if record["since"] is not None and record[key] and not record[flag]:
                    timers.append(Timer(ticket_id=ticket.id, trigger=name, kind=kind,
                                        due_at=datetime.fromisoformat(record[key]),
                                        state=ticket.state))
        return timers

    # -- reading -------------------------------------------------------------------------

    def limit(self, definition: ClockSpec, data: dict[str, Any]) -> float | None:
        """The clock's limit for this data, in working seconds (None: no limit)."""
        delta = self.process.limit(definition.limit, data)
        return delta.total_seconds() if delta is not None else None

    def spent(self, record: Record, now: datetime) -> timedelta:
        """The working time a clock has run up to ``now``."""
        spent = _seconds(record["spent"])
        if record["since"] is not None:
            spent += self.calendar.working_between(datetime.fromisoformat(record["since"]), now)
        return spent

    def running(self, ticket: Ticket, now: datetime) -> list[RunningSla]:
        """Every open clock of a ticket with its remaining time at ``now``."""
        result = []
        for name, record in ticket.sla.get("clocks", {}).items():
            spent = self.spent(record, now)
            limit = _seconds(record["limit"]) if record["limit"] is not None else None
            result.append(RunningSla(
                clock=name, post=record["post"], running=record["since"] is not None,
                spent=spent, limit=limit, remaining=limit - spent if limit is not None else None,
                due_at=datetime.fromisoformat(record["due"]) if record["due"] else None,
                warned=record["warned"],
                breached=record["breached"]))
        return result


    # -- alarms --------------------------------------------------------------------------

    def alarm(self, ticket: Ticket, timer: Timer, now: datetime) -> Alarm | None:
        """What a due SLA timer does now (None: its clock is gone or paused)."""
        clocks = ticket.sla.get("clocks", {})
        record = clocks.get(timer.trigger)
        if record is None or record["since"] is None:
            return None
        breach = timer.kind == BREACH
        flagged = {**record, "warned": True, "breached": record["breached"] or breach}
        sla = {**ticket.sla, "clocks": {**clocks, timer.trigger: flagged}}
        definition = self.definitions.get(timer.trigger)
        rule = definition.breach if breach and definition else None
        details = {"clock": timer.trigger, "due_at": timer.due_at.isoformat(),
                   "limit": format_duration(_seconds(record["limit"] or 0)),
                   "spent": format_duration(self.spent(record, now)), "post": ticket.post}
        owner = record["post"] if ticket.branches else ticket.post  # a branch's own post
        posts = [owner, *(rule.notify if rule else [])]
        data = self._raised(ticket, rule.raise_ if rule else None)
        text = _message(ticket, timer.kind, timer.trigger, record, self.spent(record, now))
        notes = [Notification(post=post, ticket_id=ticket.id, kind=timer.kind, message=text,
                              at=now, details=details)
                 for post in dict.fromkeys(posts) if post and not _overtaken(timer, record, now)]
        hand_off = self.spec.escalation.trigger if rule and rule.hand_to and \
            self.spec.escalation else None
        return Alarm(timer.kind, timer.trigger, sla, data, notes, details, hand_off)

    def _raised(self, ticket: Ticket, name: str | None) -> dict[str, Any]:
        """The ticket's data with a field raised one step (integer +1, or the next choice)."""
        data = dict(ticket.data)
        if name is None:
            return data
        field_spec, value = self.spec.fields[name], data.get(name)
        if field_spec.type == "integer":
            top = field_spec.max if field_spec.max is not None else float("inf")
            data[name] = int(min((value or 0) + 1, top))
        else:
            choices = list(field_spec.choices or [])
            index = choices.index(value) + 1 if value in choices else 0
            data[name] = choices[min(index, len(choices) - 1)]
        return data


def _message(ticket: Ticket, kind: str, clock: str, record: Record, spent: timedelta) -> str:
    """``ticket 5 (VPN down): response missed its limit of 15 min (22 min spent)``."""
    what = "missed its limit" if kind == BREACH else "is close to its limit"
    summary = ticket.data.get("summary")
    about = f"ticket {ticket.id}" + (f" ({summary})" if summary else "")
    limit = spoken(_seconds(record["limit"] or 0))
    return f"{about}: {clock} {what} of {limit} ({spoken(spent)} spent)"


def _overtaken(timer: Timer, record: Record, now: datetime) -> bool:
    """A warning whose breach is due by now too: the breach says it, once."""
    return timer.kind == WARNING and bool(record["due"]) and \
        datetime.fromisoformat(record["due"]) <= now


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def _keys(timers: list[Timer]) -> set[tuple[str, str, datetime]]:
    return {(t.trigger, t.kind, t.due_at) for t in timers}


_CACHE: dict[str, Clocks] = {}


def clocks_for(process: Process) -> Clocks:
    """The shared clocks of a process version (cached by content hash)."""
    clocks = _CACHE.get(process.digest)
    if clocks is None:
        clocks = _CACHE[process.digest] = Clocks(process)
    return clocks
