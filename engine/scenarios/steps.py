"""The kinds of scenario steps: their shape, their checks before a run, and what they do.

A kind is one entry of :data:`STEP_KINDS` — the step's key (``open``, ``fire``, ``wait``,
``until``, ``expect``, ``expect_history``), the pydantic model of the step, a check run
when the file is validated, and the function that performs it on a :class:`Stage`. Other
modules add kinds with :func:`register_step` (the assessment adds ``expect_assessment``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from engine.core.errors import FAIL_KINDS, ServiceError
from engine.core.model import SLA_KINDS, Account, Ticket, TicketQuery
from engine.desk.desk import Desk
from engine.process.durations import parse_duration
from engine.process.fields import parse_timestamp
from engine.process.spec import ProcessSpec
from engine.time.clock import VirtualClock

Loc = tuple[str | int, ...]
Fail = Callable[[Loc, str], None]
AccountName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]
FailKind = Literal["forbidden", "guard", "invalid_trigger", "missing_field", "conflict",
                   "not_found"]
MAX_FIRINGS = 100_000
"""Timers one ``wait`` may fire before the run is stopped (a timer loop in a process)."""


class StepModel(BaseModel):
    """Base of the step models: strict about unknown keys, like the process language."""

    # The attribute docstrings document each field here; use_attribute_docstrings would
    # re-read this file's source for every model at import (a third of building them, paid
    # by every command) only to fill JSON-schema descriptions that nothing reads.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              strict=True)


class Mismatch(Exception):
    """A step did not do what the scenario expected: ``expected …, got …``."""


@dataclass
class Plan:
    """What a file's checks know before running: accounts, ticket names, the clock."""

    accounts: set[str]
    now: datetime
    processes: dict[str, ProcessSpec]
    tickets: dict[str, str] = field(default_factory=dict)
    """Ticket name → its process; a child a transition starts is named ``PARENT/PROCESS``."""

    def account(self, name: str, loc: Loc, fail: Fail) -> None:
        if name not in self.accounts:
            fail(loc, f"account {name!r} is not listed under 'accounts'")

    def ticket(self, name: str, loc: Loc, fail: Fail) -> None:
        if name not in self.tickets:
            fail(loc, f"ticket {name!r} is not opened by an earlier step")


@dataclass
class Stage:
    """A scenario being run: its desk on a virtual clock, accounts and named tickets."""

    desk: Desk
    clock: VirtualClock
    accounts: dict[str, Account]
    tickets: dict[str, int] = field(default_factory=dict)

    def ticket(self, name: str) -> Ticket:
        return self.desk.ticket(self.ticket_id(name))

    def ticket_id(self, name: str) -> int:
        """The id of a named ticket; a Mismatch if no step opened it (a child is named
        only if the transition that starts it was taken)."""
        if name not in self.tickets:
            raise Mismatch(f"expected a ticket named {name!r}, got none: no step opened it")
        return self.tickets[name]

    def advance(self, until: datetime) -> None:
        """Move the clock to ``until``, firing every timer at its due time, in due order."""
        for _ in range(MAX_FIRINGS):
            due = self.desk.store.due_timers(until, 1)
            if not due:
                self.clock.set(max(until, self.clock.now()))
                return
            self.clock.set(max(due[0].due_at, self.clock.now()))
            self.desk.fire_timer(due[0])
        raise Mismatch(f"expected the timers to settle, got more than {MAX_FIRINGS} firings")


@dataclass(frozen=True)
class StepKind:
    """One kind of step: its model, its check before a run, and what it does."""

    model: type[StepModel]
    run: Callable[[Stage, Any], None]
    check: Callable[[Plan, Any, Fail], None] | None = None
    acts: bool = False
    """Whether it changes the desk (a failure stops the scenario: later steps build on it)."""


STEP_KINDS: dict[str, StepKind] = {}


def register_step(name: str, kind: StepKind) -> None:
    """Add a kind of step (its key in a step mapping is ``name``)."""
    STEP_KINDS[name] = kind


# -- acting steps ---------------------------------------------------------------------------

class OpenStep(StepModel):
    open: str
    """The process to open a ticket of."""
    actor: AccountName = Field(alias="as")
    """The acting account."""
    ticket: str
    """The scenario's own name for the new ticket."""
    data: dict[str, Any] = {}
    """The ticket's fields."""
    parent: str | None = None
    """A ticket name: the new ticket is its child."""
    fails: FailKind | None = None
    """The step must be refused with this kind of error."""


class FireStep(StepModel):
    fire: str
    """The trigger."""
    ticket: str
    actor: AccountName = Field(alias="as")
    data: dict[str, Any] = {}
    """Fields the transition sets."""
    vote: Literal["approve", "reject"] | None = None
    """On an approval: the actor's vote (default approve)."""
    fails: FailKind | None = None


def _check_open(plan: Plan, step: OpenStep, fail: Fail) -> None:
    if step.open not in plan.processes:
        fail(("open",), f"process {step.open!r} is not among the processes the scenario "
                        "deploys")
    plan.account(step.actor, ("as",), fail)
    if step.parent is not None:
        plan.ticket(step.parent, ("parent",), fail)
    if step.ticket in plan.tickets:
        fail(("ticket",), f"ticket {step.ticket!r} is already opened by an earlier step")
    if step.fails is None:
        plan.tickets[step.ticket] = step.open


def _check_fire(plan: Plan, step: FireStep, fail: Fail) -> None:
    plan.account(step.actor, ("as",), fail)
    plan.ticket(step.ticket, ("ticket",), fail)
    spec = plan.processes.get(plan.tickets.get(step.ticket, ""))
    for transition in spec.transitions if spec and step.fails is None else []:
        if transition.trigger == step.fire and transition.start is not None:
            child = transition.start.process
            plan.tickets[f"{step.ticket}/{child}"] = child


def _run_open(stage: Stage, step: OpenStep) -> None:
    parent = stage.ticket_id(step.parent) if step.parent else None
    before = stage.desk.store.count_tickets(TicketQuery())
    ticket = _attempt(step.fails, lambda: stage.desk.open(
        step.open, stage.accounts[step.actor], dict(step.data), parent_id=parent))
    if ticket is not None:
        stage.tickets[step.ticket] = ticket.id
    elif stage.desk.store.count_tickets(TicketQuery()) != before:
        raise Mismatch("expected no ticket opened by the refused step, got one")


class AssignStep(StepModel):
    assign: str
    """The ticket to give."""
    to: AccountName | None
    """The account it goes to (null: unassigned)."""
    actor: AccountName = Field(alias="as")
    fails: FailKind | None = None


def _check_assign(plan: Plan, step: AssignStep, fail: Fail) -> None:
    plan.account(step.actor, ("as",), fail)
    if step.to is not None:
        plan.account(step.to, ("to",), fail)
    plan.ticket(step.assign, ("assign",), fail)


def _run_assign(stage: Stage, step: AssignStep) -> None:
    ticket_id = stage.ticket_id(step.assign)
    _attempt(step.fails, lambda: stage.desk.assign(ticket_id, step.to,
                                                   stage.accounts[step.actor]))


def _run_fire(stage: Stage, step: FireStep) -> None:
    before = stage.ticket(step.ticket)
    _attempt(step.fails, lambda: stage.desk.fire(before.id, step.fire,
                                                 stage.accounts[step.actor],
                                                 data=dict(step.data), vote=step.vote))
    after = stage.ticket(step.ticket)
    if step.fails and (after.version, after.seq) != (before.version, before.seq):
        raise Mismatch("expected the refused step to leave the ticket unchanged, got a change")
    for child in stage.desk.tickets(TicketQuery(parent_id=before.id, is_open=None,
                                                limit=1000)):
        stage.tickets[f"{step.ticket}/{child.process}"] = child.id  # the newest wins


def _attempt(fails: str | None, action: Callable[[], Ticket]) -> Ticket | None:
    """Run an acting step; a Mismatch unless it succeeds or fails exactly as expected."""
    try:
        result = action()
    except ServiceError as exc:
        if exc.kind == fails:
            return None
        raise Mismatch(f"expected {fails or 'success'}, got {exc.kind}: {exc}") from None
    if fails:
        raise Mismatch(f"expected {fails} ({FAIL_KINDS[fails].title.lower()}), got success")
    return result


# -- the clock ------------------------------------------------------------------------------

class WaitStep(StepModel):
    wait: str
    """An ISO 8601 duration: the clock advances, due timers fire in due order."""


class UntilStep(StepModel):
    until: str
    """An ISO 8601 timestamp with a time zone: the clock advances to it."""


def _check_wait(plan: Plan, step: WaitStep, fail: Fail) -> None:
    try:
        plan.now += parse_duration(step.wait)
    except ValueError as exc:
        fail(("wait",), str(exc))


def _check_until(plan: Plan, step: UntilStep, fail: Fail) -> None:
    try:
        moment = parse_timestamp(step.until)
    except ValueError as exc:
        fail(("until",), str(exc))
        return
    if moment < plan.now:
        fail(("until",), f"{step.until} is before the clock's time then "
                         f"({plan.now.isoformat()}); the clock cannot go back")
    plan.now = max(moment, plan.now)


def _run_wait(stage: Stage, step: WaitStep) -> None:
    stage.advance(stage.clock.now() + parse_duration(step.wait))


def _run_until(stage: Stage, step: UntilStep) -> None:
    stage.advance(parse_timestamp(step.until))


# -- expectations ---------------------------------------------------------------------------

class TicketExpectation(StepModel):
    ticket: str
    state: str | None = None
    data: dict[str, Any] | None = None
    """A subset of the ticket's data."""
    assignee: str | None = None
    post: str | None = None
    group: str | None = None
    """The group holding it at its post (null: none)."""
    open: bool | None = None
    timers: list[str] | None = None
    """The triggers of the ticket's pending timers (SLA clocks aside), in any order."""
    branches: dict[str, str] | None = None
    """In a fork: branch → its active state (``{}``: not in a fork)."""


class ExpectStep(StepModel):
    expect: TicketExpectation


class HistoryExpectation(StepModel):
    ticket: str
    triggers: list[str]
    """Every trigger in the journal so far, in order (the opening has none)."""


class ExpectHistoryStep(StepModel):
    expect_history: HistoryExpectation


def _check_expect(plan: Plan, step: ExpectStep, fail: Fail) -> None:
    plan.ticket(step.expect.ticket, ("expect", "ticket"), fail)


def _check_history(plan: Plan, step: ExpectHistoryStep, fail: Fail) -> None:
    plan.ticket(step.expect_history.ticket, ("expect_history", "ticket"), fail)


def _run_expect(stage: Stage, step: ExpectStep) -> None:
    wanted = step.expect
    ticket = stage.ticket(wanted.ticket)
    given = wanted.model_fields_set
    misses = [_differ(key, getattr(wanted, key), getattr(ticket, attribute))
              for key, attribute in (("state", "state"), ("assignee", "assignee"),
                                     ("post", "post"), ("open", "is_open"),
                                     ("branches", "branches"))
              if key in given]
    if "group" in given:
        misses.append(_differ("group", wanted.group, stage.desk.group_of(ticket)))
    for name, value in (wanted.data or {}).items():
        misses.append(_differ(f"data.{name}", value, ticket.data.get(name, _ABSENT)))
    if wanted.timers is not None:
        pending = sorted(t.trigger for t in stage.desk.store.pending_timers(ticket.id)
                         if t.kind not in SLA_KINDS)
        misses.append(_differ("timers", sorted(wanted.timers), pending))
    found = [miss for miss in misses if miss]
    if found:
        raise Mismatch("; ".join(found))


def _run_history(stage: Stage, step: ExpectHistoryStep) -> None:
    wanted = step.expect_history
    triggers = [e.trigger for e in stage.desk.history(stage.ticket_id(wanted.ticket))
                if e.trigger is not None]
    if triggers != wanted.triggers:
        raise Mismatch(f"expected triggers {wanted.triggers}, got {triggers}")


class _Absent:
    def __repr__(self) -> str:
        return "nothing"


_ABSENT = _Absent()


def _differ(what: str, expected: Any, got: Any) -> str:
    """``expected …, got …`` when the values differ."""
    return "" if _same(expected, got) else f"expected {what} {expected!r}, got {got!r}"


def _same(expected: Any, got: Any) -> bool:
    """Equal values; true/false only equal themselves; timestamps equal the same moment."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if expected == got:
        return True
    if isinstance(expected, str) and isinstance(got, str):
        try:
            return parse_timestamp(expected) == parse_timestamp(got)
        except ValueError:
            return False
    return False


for _name, _kind in {
    "open": StepKind(OpenStep, _run_open, _check_open, acts=True),
    "fire": StepKind(FireStep, _run_fire, _check_fire, acts=True),
    "assign": StepKind(AssignStep, _run_assign, _check_assign, acts=True),
    "wait": StepKind(WaitStep, _run_wait, _check_wait, acts=True),
    "until": StepKind(UntilStep, _run_until, _check_until, acts=True),
    "expect": StepKind(ExpectStep, _run_expect, _check_expect),
    "expect_history": StepKind(ExpectHistoryStep, _run_history, _check_history),
}.items():
    register_step(_name, _kind)
