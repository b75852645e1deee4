"""Planning one step on a ticket: from a request to the :class:`Change` the store commits.

Pure functions on plain objects: who may act, which input a step takes, what the
machine decides, what the step sets, which timers it arms and cancels, and the sealed
journal event — nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.accounts import vendor
from engine.core.errors import Forbidden, InvalidTrigger, MissingField, NotFound
from engine.core.journal import Event, sealed_event
from engine.core.model import SLA_KINDS, Account, Change, NewTicket, Ticket, Timer
from engine.desk import approvals
from engine.desk.approvals import Ballot
from engine.process.compiler import CompiledProcess
from engine.process.expressions import ExpressionError
from engine.process.fields import DEFAULT_MAX_LENGTH, coerce, parse_timestamp
from engine.process.spec import (
    ANY,
    REQUESTER_ANSWERS,
    REQUESTER_ROLE,
    SYSTEM_ROLE,
    EventSpec,
    ProcessSpec,
    TransitionSpec,
)
from engine.time import sla

DEFAULT_ROLES = ["agent"]
EVENT_ROLES = ["agent", "supervisor"]
OPENER_ROLES = ("agent", "supervisor", "admin")
COMMENT = EventSpec(title="Comment", note="required", posts=[ANY],
                    roles=["agent", "supervisor", "admin"])
"""The ``comment`` event every process has unless it declares its own."""


def names_for(ticket: Ticket, data: dict[str, Any], actor: Account, now: datetime
              ) -> dict[str, Any]:
    """What expressions see: the fields, plus actor, actor_post, now and state."""
    return {**data, "actor": actor.username, "actor_post": actor.post,
            "now": now.isoformat(), "state": ticket.state}


def check_roles(roles: list[str], posts: list[str] | None, ticket: Ticket, actor: Account,
                what: str) -> None:
    """Refuse an actor without one of the roles or not at an allowed post."""
    if not set(roles) & set(actor.roles):
        raise Forbidden(f"{what} needs the role {' or '.join(roles)}", ticket=ticket.id,
                        state=ticket.state)
    if SYSTEM_ROLE in actor.roles or REQUESTER_ROLE in actor.roles:
        return  # neither the engine nor a requester works at a post
    allowed = posts if posts is not None else [ticket.post] if ticket.post else [ANY]
    if ANY not in allowed and actor.post not in allowed:
        raise Forbidden(f"{what} is for the post {' or '.join(map(str, allowed))}, "
                        f"not {actor.post}", ticket=ticket.id, state=ticket.state)


REQUESTER_PREFIX = REQUESTER_ROLE + ":"
"""A requester acts under the name ``requester:<id>`` (an actor of its own kind)."""


def requester_actor(requester_id: int, name: str) -> Account:
    """The account a requester acts as: the requester role, no post, no password."""
    return Account(username=f"{REQUESTER_PREFIX}{requester_id}", display_name=name,
                   roles=[REQUESTER_ROLE], post=None, password_hash="")


def requester_of(actor: Account | str) -> int | None:
    """The requester id of a requester's account (or journal actor name); None otherwise."""
    name = actor if isinstance(actor, str) else actor.username
    if not name.startswith(REQUESTER_PREFIX) or not name[len(REQUESTER_PREFIX):].isdigit():
        return None
    if not isinstance(actor, str) and REQUESTER_ROLE not in actor.roles:
        return None
    return int(name[len(REQUESTER_PREFIX):])


def roles_of(transition: TransitionSpec) -> list[str]:
    """Who may fire a transition: its roles, and the requester for a requester's answer."""
    roles = transition.roles or ([transition.approve.by] if transition.approve
                                 else DEFAULT_ROLES)
    return [*roles, REQUESTER_ROLE] if transition.requester in REQUESTER_ANSWERS else roles


def event_roles(name: str, spec: EventSpec) -> list[str]:
    """Who may record an event: its roles; a requester may add a comment (their mail)."""
    roles = spec.roles or EVENT_ROLES
    return [*roles, REQUESTER_ROLE] if name == "comment" else roles


def may_fire(transition: TransitionSpec, ticket: Ticket, actor: Account) -> bool:
    """Whether the actor's roles and post allow this transition (guards aside)."""
    try:
        check_roles(roles_of(transition), transition.posts, ticket, actor,
                    repr(transition.trigger))
    except Forbidden:
        return False
    return True


def take_input(spec: ProcessSpec, allowed: set[str] | None, given: dict[str, Any],
               ticket: Ticket | None) -> dict[str, Any]:
    """The actor's input converted to the declared types; MissingField on anything wrong."""
    result = {}
    ticket_id, state = (ticket.id, ticket.state) if ticket else (None, None)
    for name, value in given.items():
        field = spec.fields.get(name)
        if field is None or (allowed is not None and name not in allowed):
            raise MissingField(f"field {name!r} cannot be given here", ticket=ticket_id,
                               state=state)
        try:
            result[name] = coerce(field, value)
        except ValueError as exc:
            raise MissingField(f"field {name!r} {exc}", ticket=ticket_id, state=state) from None
    return result


def require(names: list[str], data: dict[str, Any], ticket: Ticket | None) -> None:
    """Refuse when a required field has no value."""
    missing = [name for name in names if data.get(name) in (None, "")]
    if missing:
        raise MissingField(f"required field {', '.join(map(repr, missing))} is missing",
                           ticket=ticket.id if ticket else None,
                           state=ticket.state if ticket else None)


def apply_set(compiled: CompiledProcess, values: dict[str, Any], data: dict[str, Any],
              names: dict[str, Any], ticket: Ticket) -> dict[str, Any]:
    """The data after a step's ``set`` (expressions see the data before it)."""
    result = dict(data)
    for name, raw in values.items():
        value = compiled.process.value(raw, names)
        try:
            result[name] = coerce(compiled.spec.fields[name], value)
        except ValueError as exc:
            raise MissingField(f"computed field {name!r} {exc}", ticket=ticket.id,
                               state=ticket.state) from None
    return result


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [before, after] for every field whose value differs."""
    return {key: [before.get(key), after.get(key)] for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)}


def timers_for(compiled: CompiledProcess, ticket: Ticket, now: datetime) -> list[Timer]:
    """The timers a ticket arms on entering its current state."""
    timers = []
    for spec in compiled.spec.timers:
        if spec.state != ticket.state:
            continue
        if spec.at:
            value = ticket.data.get(spec.at)
            due = parse_timestamp(value) if value else None
        else:
            delta = compiled.process.limit(spec.after, ticket.data)
            calendar = sla.clocks_for(compiled.process).calendar  # working time, if any
            due = calendar.add_working(now, delta) if delta is not None else None
        if due is not None:
            timers.append(Timer(ticket_id=ticket.id, trigger=spec.fire, due_at=due,
                                state=ticket.state))
    return timers


def new_event(ticket: Ticket, *, at: datetime, actor: str, kind: str, trigger: str | None,
              source: str | None, changes: dict[str, list[Any]], note: str | None = None,
              details: dict[str, Any] | None = None) -> Event:
    """The next event of a ticket's journal, chained to its head (sealed if it has an id)."""
    return sealed_event(ticket_id=ticket.id, seq=ticket.seq + 1, at=at, actor=actor, kind=kind,
                        trigger=trigger, source=source, dest=ticket.state, changes=changes,
                        digest=ticket.digest, note=note, details=details or {},
                        prev_hash=ticket.head)


def advanced(ticket: Ticket, event: Event, now: datetime) -> Ticket:
    """The ticket after an event: one more seq, the new head, one more version."""
    result = copy(ticket)
    result.seq, result.head, result.version = event.seq, event.hash, ticket.version + 1
    result.updated_at = now
    return result


def event_spec(spec: ProcessSpec, name: str) -> EventSpec | None:
    """A journaled event of the process; ``comment`` exists in every process."""
    if name == "comment" and name not in spec.events:
        return COMMENT
    return spec.events.get(name)


def with_post(compiled: CompiledProcess, ticket: Ticket, dest: str) -> Ticket:
    """The ticket in ``dest``: its post follows the state's post; open unless an end; in
    every branch's first state when ``dest`` forks (out of its branches when it leaves)."""
    state = compiled.spec.states[dest]
    branches = ticket.branches if dest == ticket.state else compiled.process.forks.entered(dest)
    return replace_fields(ticket, state=dest, post=state.post or ticket.post,
                          is_open=state.kind != "end", branches=branches)


def replace_fields(ticket: Ticket, **values: Any) -> Ticket:
    """A copy of a ticket with some attributes changed."""
    result = copy(ticket)
    for key, value in values.items():
        setattr(result, key, value)
    return result


@dataclass(frozen=True)
class Step:
    """A planned firing: the change to commit, the transition taken and the names it saw."""

    change: Change
    transition: TransitionSpec
    names: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What firing a trigger does to a ticket, before anything is journaled or armed."""

    transition: TransitionSpec
    moved: Ticket
    """The ticket after the step (same seq, head and version as before it)."""
    changes: dict[str, list[Any]]
    details: dict[str, Any]
    names: dict[str, Any]


def plan_outcome(compiled: CompiledProcess, ticket: Ticket, trigger: str, actor: Account,
                 data: dict[str, Any], now: datetime, timer: Timer | None = None,
                 ballot: Ballot | None = None) -> Outcome:
    """Check a firing (roles, post, input, required fields, guard) and compute its result.

    The part of :func:`plan_fire` that ``verify`` re-runs for every recorded step. An
    approval's firing is one vote (``ballot``): it moves the ticket only when it settles
    the round. A trigger of one of the ticket's active branches is planned as a step of
    that branch (:func:`branch_outcome`).
    """
    transition = compiled.transition_for(ticket.state, trigger)
    if transition is None and ticket.branches:
        branch = compiled.branch_of(ticket.branches, trigger)
        if branch is not None:
            return branch_outcome(compiled, ticket, branch, trigger, actor, data, now, timer,
                                  ballot)
    if transition is None:
        raise InvalidTrigger(f"{trigger!r} is not possible now", ticket=ticket.id,
                             state=ticket.state)
    check_roles(roles_of(transition), transition.posts, ticket, actor, repr(trigger))
    ballot = approvals.check_ballot(transition, ticket, actor, ballot)
    rejecting = ballot is not None and ballot.vote == approvals.REJECT
    allowed = set() if rejecting else set(transition.requires) | set(transition.accepts)
    proposed = {**ticket.data, **take_input(compiled.spec, allowed, data, ticket)}
    require([] if rejecting else transition.requires, proposed, ticket)
    names = names_for(ticket, proposed, actor, now)
    counted = (approvals.tally(compiled.process, transition, ballot, names, ticket)
               if ballot else None)
    dest = ticket.state if rejecting else compiled.fire(replace_fields(ticket), trigger, names)
    if counted is not None and not counted.settled:
        dest = ticket.state
    elif rejecting and transition.approve:
        dest = transition.approve.rejected
    moved = with_post(compiled, ticket, dest)
    taken = counted is None or (counted.settled and not rejecting)
    moved.data = apply_set(compiled, transition.set, proposed, names, ticket) if taken \
        else proposed
    moved.assignee = (assignee_after(compiled, transition, ticket, moved, actor, names)
                      if taken or dest != ticket.state else ticket.assignee)
    if dest != ticket.state:
        moved.state_since = now
    details: dict[str, Any] = {"due_at": timer.due_at.isoformat()} if timer else {}
    details.update(counted.details if counted else {})
    if transition.do:
        details[vendor.DETAILS_KEY] = vendor.actions_for(transition.do, ticket, moved.data, now)
    if moved.branches:
        details["branches"] = dict(moved.branches)
    return Outcome(transition, moved, ticket_changes(ticket, moved), details, names)


def branch_outcome(compiled: CompiledProcess, ticket: Ticket, branch: str, trigger: str,
                   actor: Account, data: dict[str, Any], now: datetime,
                   timer: Timer | None = None, ballot: Ballot | None = None) -> Outcome:
    """A step in one branch of a forked ticket: planned on the branch's state alone (its
    post, roles and guards), then folded back; the branches join when all are done or the
    fork's ``join:`` condition holds, and the ticket moves on to the fork's ``then:``."""
    inner = ticket.branches[branch]
    step = plan_outcome(compiled, in_branch(compiled, ticket, inner), trigger, actor, data,
                        now, timer, ballot)
    branches = {**ticket.branches, branch: step.moved.state}
    moved = replace_fields(step.moved, state=ticket.state, post=ticket.post,
                           is_open=ticket.is_open, state_since=ticket.state_since,
                           branches=branches, assignee=step.moved.assignee
                           if step.transition.assign else ticket.assignee)
    details = {**step.details, "branch": branch, "step": [inner, step.moved.state]}
    fork = compiled.process.forks.forks[ticket.state]
    if joins(compiled, fork.name, branches, {**step.names, **moved.data}):
        moved = with_post(compiled, moved, fork.then)
        moved.state_since = now
        moved.assignee = ticket.assignee if moved.post == ticket.post else None
        details["joined"] = True
    details.pop("branches", None)
    if moved.branches:
        details["branches"] = dict(moved.branches)
    return Outcome(step.transition, moved, ticket_changes(ticket, moved), details, step.names)


def in_branch(compiled: CompiledProcess, ticket: Ticket, inner: str) -> Ticket:
    """The ticket as one of its branches sees it: in the branch's state, at its post."""
    return replace_fields(ticket, state=inner, branches={},
                          post=compiled.spec.states[inner].post or ticket.post)


def joins(compiled: CompiledProcess, fork: str, branches: dict[str, str],
          names: dict[str, Any]) -> bool:
    """Whether a fork's branches join: every one is done, or its ``join:`` holds (reading
    the fields and, by name, whether each branch is done; an error reads as false)."""
    done = compiled.process.forks.done(fork, branches)
    condition = compiled.process.forks.forks[fork].join
    if all(done.values()) or condition is None:
        return all(done.values())
    try:
        return bool(compiled.process.expression(condition).evaluate(
            compiled.process.scope({**names, **done})))
    except ExpressionError:
        return False


def plan_fire(compiled: CompiledProcess, ticket: Ticket, trigger: str, actor: Account,
              data: dict[str, Any], note: str | None, now: datetime,
              timer: Timer | None = None, ballot: Ballot | None = None,
              cite: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Step:
    """Plan firing a trigger (child tickets aside); raise the error a refusal gives.

    ``cite``: the desk's last check of the data after the step (the articles it names),
    giving details to journal with it (the articles' versions), or refusing it.
    """
    check_note(note, ticket)
    outcome = plan_outcome(compiled, ticket, trigger, actor, data, now, timer, ballot)
    details = {**outcome.details, **cite(outcome.moved.data)} if cite else outcome.details
    event = new_event(
        outcome.moved, at=now, actor=actor.username, kind="timer" if timer else "fire",
        trigger=trigger, source=ticket.state, note=note, details=details,
        changes=outcome.changes)
    moved = advanced(outcome.moved, event, now)
    entered = moved.state != ticket.state
    clocks = sla.clocks_for(compiled.process).step(ticket, moved, now)
    moved.sla = clocks.sla
    change = Change(
        ticket=moved, expected_version=ticket.version, events=[event],
        arm=(timers_for(compiled, moved, now) if entered else []) + clocks.arm,
        cancel_states=[ticket.state] if entered else [],
        fired_timer=timer.id if timer else None,
        cancel_kinds=SLA_KINDS if clocks.cancel else [])
    return Step(change, outcome.transition, outcome.names)


def assignee_after(compiled: CompiledProcess, transition: TransitionSpec, before: Ticket,
                   after: Ticket, actor: Account, names: dict[str, Any]) -> str | None:
    """Who holds the ticket after a transition (its ``assign`` rule, else by post)."""
    rule = transition.assign
    if rule == "actor":
        return actor.username
    if rule == "nobody":
        return None
    if rule:
        value = compiled.process.value(rule, names)
        return str(value) if value else None
    return before.assignee if after.post == before.post else None


def ticket_changes(before: Ticket, after: Ticket) -> dict[str, list[Any]]:
    """The changed fields, plus ``_post`` and ``_assignee`` when those changed."""
    changes = changes_between(before.data, after.data)
    for key in ("post", "assignee"):
        if getattr(before, key) != getattr(after, key):
            changes["_" + key] = [getattr(before, key), getattr(after, key)]
    return changes


def opening_data(compiled: CompiledProcess, given: dict[str, Any]) -> dict[str, Any]:
    """A new ticket's data: the defaults, then the typed input; every required field set."""
    spec = compiled.spec
    data = {name: f.default for name, f in spec.fields.items() if f.default is not None}
    data.update(given)
    require([n for n, f in spec.fields.items() if f.required], data, None)
    return data


def plan_open(compiled: CompiledProcess, actor: Account, given: dict[str, Any],
              now: datetime, parent_id: int | None, details: dict[str, Any] | None = None
              ) -> NewTicket:
    """Plan a new ticket of a compiled version from already typed input."""
    spec = compiled.spec
    data = opening_data(compiled, given)
    start = spec.start_state()
    ticket = Ticket(id=0, process=spec.process, digest=compiled.process.digest, state=start,
                    data=data, post=spec.states[start].post, assignee=None, is_open=True,
                    opened_at=now, updated_at=now, opened_by=actor.username,
                    parent_id=parent_id, state_since=now)
    event = new_event(ticket, at=now, actor=actor.username, kind="open", trigger=None,
                      source=None, changes=changes_between({}, data), details=details)
    ticket = advanced(ticket, event, now)
    ticket.version = 1
    clocks = sla.clocks_for(compiled.process).step(None, ticket, now)
    ticket.sla = clocks.sla
    return NewTicket(ticket, [event], timers_for(compiled, ticket, now) + clocks.arm)


def check_note(note: str | None, ticket: Ticket) -> None:
    """Refuse a journal note longer than a text field may be (the journal is forever), or
    with a NUL character (PostgreSQL cannot store one)."""
    if note is not None and len(note) > DEFAULT_MAX_LENGTH:
        raise MissingField(f"the note is longer than {DEFAULT_MAX_LENGTH} characters",
                           ticket=ticket.id, state=ticket.state)
    if note is not None and "\x00" in note:
        raise MissingField("the note contains a NUL character", ticket=ticket.id,
                           state=ticket.state)


def plan_record(compiled: CompiledProcess, ticket: Ticket, name: str, actor: Account,
                note: str | None, data: dict[str, Any], now: datetime) -> Ticket:
    """The ticket after recording an event (not yet journaled); refusals raise."""
    spec = event_spec(compiled.spec, name)
    if spec is None:
        raise NotFound(f"the process has no event {name!r}", ticket=ticket.id)
    check_roles(event_roles(name, spec), spec.posts or [ANY], ticket, actor,
                f"recording {name!r}")
    if spec.note == "required" and not (note or "").strip():
        raise MissingField(f"{name!r} needs a note", ticket=ticket.id, state=ticket.state)
    check_note(note, ticket)
    if not spec.set and not data:  # a remark: nothing of the ticket changes
        return replace_fields(ticket, data=dict(ticket.data))
    names = names_for(ticket, ticket.data, actor, now)
    return replace_fields(ticket, data=apply_set(
        compiled, spec.set, {**ticket.data, **take_input(compiled.spec, set(), data, ticket)},
        names, ticket))
