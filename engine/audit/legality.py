"""Was each step legal when it happened? Re-plan it with the desk's own pure functions.

For every journal event the ticket is first replayed to just before it; then the same
step is planned again (:mod:`engine.desk.plan`) with the recorded actor — as the admin
journal says that account was at that moment — the recorded time and the recorded input
(the changes of the fields the transition requires or accepts). A refusal, or a plan
whose destination, changes or details differ from what was recorded, is a violation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine.accounts.accounts import SUPERUSER
from engine.audit import migration
from engine.audit.replanning import Replanner
from engine.core.errors import ServiceError
from engine.core.journal import Event
from engine.core.model import Account, ProcessVersion, Ticket, Timer
from engine.desk import approvals, plan
from engine.desk.desk import JOURNAL_ONLY, SYSTEM
from engine.desk.problems import LINKERS, ON_PROBLEM, ON_TICKET, PROBLEM
from engine.process.compiler import CompiledProcess
from engine.process.fields import parse_timestamp
from engine.process.spec import TransitionSpec

Accounts = Callable[[str, datetime], Account | None]
"""The account of a name as it was at a moment (None: it did not exist)."""
Holders = Callable[[str, datetime], int]
"""How many accounts held a role and could act at a moment."""


def reason(error: ServiceError) -> str:
    """An error's message without the ``ticket N in state S:`` prefix."""
    text = str(error)
    return text.split(": ", 1)[1] if error.ticket is not None and ": " in text else text


class Legality:
    """Checks single events against the process versions and the accounts' history."""

    def __init__(self, versions: Callable[[str], CompiledProcess],
                 deployed: list[ProcessVersion], accounts: Accounts,
                 holders: Holders) -> None:
        self.versions = versions
        self.deployed = {version.digest: version for version in deployed}
        self.accounts = accounts
        self.holders = holders
        self.replanner = Replanner()
        self.opened: set[int] = set()
        """Tickets whose opening was checked in this run."""
        self.requesters: dict[int, int] = {}
        """Ticket → the requester its opening names (who may answer on it)."""
        self.rounds: dict[int, tuple[approvals.Vote, ...]] = {}
        """Ticket → the votes of its current approval round (the journal so far)."""
        self.started: dict[int, set[tuple[datetime, str, str]]] = {}
        """Parent ticket → (moment, actor, process) of each child its steps started."""
        self._checks = {"open": self._open, "fire": self._fire, "timer": self._fire,
                        "event": self._event, "assign": self._assign,
                        "migrate": self._migrate, "sla": self._alarm, "link": self._link}
        self.links: dict[int, int | None] = {}
        """Ticket → the problem its journal links it to now (None: unlinked)."""
        self.sides: list[tuple[bool, int, int, bool, datetime, str]] = []
        """Every link event: (on the problem, ticket, problem, linked, moment, actor)."""

    def check(self, before: Ticket | None, event: Event) -> list[str]:
        """Every problem with this event, given the ticket as replayed just before it."""
        check = self._checks.get(event.kind)
        if check is None:
            return [f"unknown kind of event {event.kind!r}"]
        if before is None and event.kind != "open":
            return ["the journal does not start with an opening event"]
        if before is not None and event.kind == "open":
            return ["a second opening event"]
        if event.kind == "open":
            self.opened.add(event.ticket_id)
        problems = check(before, event)
        votes = approvals.follow(self.rounds.get(event.ticket_id, ()), event)
        if votes:
            self.rounds[event.ticket_id] = votes
        else:
            self.rounds.pop(event.ticket_id, None)
        return problems

    # -- who and where ---------------------------------------------------------------

    def _actor(self, event: Event) -> Account | str:
        """The acting account as it was then, or the problem with it.

        A requester (``requester:<id>``) is no account: they act only on the ticket whose
        opening names them.
        """
        if event.actor == SYSTEM.username:
            return SYSTEM
        requester = plan.requester_of(event.actor)
        if requester is not None:
            if event.kind != "open" and self.requesters.get(event.ticket_id) != requester:
                return f"requester {requester} acted on a ticket that is not theirs"
            return plan.requester_actor(requester, event.actor)
        account = self.accounts(event.actor, event.at)
        if account is None:
            return f"account {event.actor!r} did not exist at that moment"
        if not account.can_act(event.at):
            state = "disabled" if account.disabled else "expired"
            return f"account {event.actor!r} was {state} at that moment"
        return account

    def _continues(self, before: Ticket, event: Event) -> list[str]:
        problems = []
        if event.source != before.state:
            problems.append(f"recorded from state {event.source!r}, but the ticket was in "
                            f"{before.state!r}")
        if event.kind != "migrate" and event.digest != before.digest:
            problems.append(f"recorded on version {event.digest[:12]}, but the ticket ran "
                            f"on {before.digest[:12]}")
        return problems

    def _version(self, digest: str, at: datetime, what: str) -> list[str]:
        version = self.deployed.get(digest)
        if version is None:
            return [f"{what} a version ({digest[:12]}) that was never deployed"]
        if version.deployed_at > at:
            return [f"{what} version {version.number} before it was deployed"]
        newer = [v.number for v in self.deployed.values() if v.name == version.name
                 and v.number > version.number and v.deployed_at < at]
        if what == "opened on" and newer:
            return [f"opened on version {version.number} while version {max(newer)} was "
                    "current"]
        return []

    # -- one check per kind of event -------------------------------------------------

    def _open(self, before: Ticket | None, event: Event) -> list[str]:
        problems = self._version(event.digest, event.at, "opened on")
        if problems:
            return problems
        actor = self._actor(event)
        if isinstance(actor, str):
            return [actor]
        # a child a step started records its parent and ``on_end``; a ticket linked to a
        # parent by hand (``open --parent``) records only the parent, and was opened by a person
        child = "on_end" in event.details
        named = event.details.get("requester")
        if isinstance(named, int):
            self.requesters[event.ticket_id] = named
        if plan.requester_of(actor) is not None:
            if plan.requester_of(actor) != named:
                problems.append("a requester opened a ticket for someone else")
        elif not child and not set(plan.OPENER_ROLES) & set(actor.roles):
            problems.append(f"{actor.username!r} could not open tickets (roles "
                            f"{', '.join(actor.roles) or 'none'})")
        compiled = self.versions(event.digest)
        if child:
            problems += self._started(event, compiled.spec.process)
        given = {key: after for key, (_, after) in event.changes.items()}
        try:
            data = plan.opening_data(compiled, plan.take_input(compiled.spec, None, given,
                                                                 None))
        except ServiceError as exc:
            return [*problems, f"the opening was not allowed: {reason(exc)}"]
        start = compiled.spec.start_state()
        if event.dest != start:
            problems.append(f"opened in {event.dest!r}, the process starts in {start!r}")
        return problems + compare_changes(plan.changes_between({}, data), event.changes)

    def _started(self, event: Event, process: str) -> list[str]:
        """A child's opening must match a step of its parent that starts it, then."""
        parent = event.details.get("parent")
        if parent not in self.opened:  # the parent is not part of this run
            return []
        if (event.at, event.actor, process) in self.started.get(parent, set()):
            return []
        return [f"opened as a child of ticket {parent}, but no step of that ticket started "
                f"a {process} then"]

    def _fire(self, before: Ticket | None, event: Event) -> list[str]:
        assert before is not None
        problems = self._continues(before, event)
        actor = self._actor(event)
        if isinstance(actor, str):
            return [*problems, actor]
        compiled = self.versions(before.digest)
        trigger = event.trigger or ""
        transition = compiled.step_for(before.state, before.branches, trigger)
        given = {}
        if event.changes and transition is not None:
            allowed = (*transition.requires, *transition.accepts)
            given = {key: after for key, (_, after) in event.changes.items() if key in allowed}
        timer = self._timer(before, event) if event.kind == "timer" else None
        ballot = self._ballot(before, event, transition)
        verdict = self.replanner.plan(compiled, before, trigger, actor, given, event.at, timer,
                                      transition, ballot)
        refused = bool(event.details.get("refused"))
        if verdict.refusal is not None:
            refusal = reason(verdict.refusal)
            return problems if refused else [*problems, f"not allowed: {refusal}"]
        if refused:
            return [*problems, "recorded as a refused timer, but the step was allowed"]
        if transition is not None and transition.start is not None:
            self.started.setdefault(before.id, set()).add(
                (event.at, event.actor, transition.start.process))
        if timer is not None:
            problems += self._due(event)
        return problems + compare_outcome(
            verdict.dest, verdict.changes or {}, verdict.details or {}, event)

    def _ballot(self, before: Ticket, event: Event, transition: TransitionSpec | None
                ) -> approvals.Ballot | None:
        """The vote an event records, with the round it joined. The number of eligible
        approvers (for ``all`` and percentages) is counted again from the accounts' history,
        so a recorded count that differs from it shows as a changed detail."""
        vote = event.details.get("vote")
        if transition is None or (transition.approve is None and vote is None):
            return None
        spec = transition.approve
        eligible = (self.holders(spec.by, event.at)
                    if spec is not None and approvals.needs_eligible(spec) else None)
        return approvals.Ballot(str(vote or approvals.APPROVE),
                                self.rounds.get(before.id, ()), eligible)

    def _event(self, before: Ticket | None, event: Event) -> list[str]:
        assert before is not None
        problems = self._continues(before, event)
        if event.dest != before.state:
            problems.append(f"an event that changes no state led to {event.dest!r}")
        if event.actor == SYSTEM.username and event.trigger in JOURNAL_ONLY:
            return problems + ([] if not event.changes else ["a journal-only entry changed "
                                                             "the ticket"])
        actor = self._actor(event)
        if isinstance(actor, str):
            return [*problems, actor]
        compiled = self.versions(before.digest)
        try:
            after = plan.plan_record(compiled, before, event.trigger or "", actor, event.note,
                                      {}, event.at)
        except ServiceError as exc:
            return [*problems, f"not allowed: {reason(exc)}"]
        return problems + compare_changes(plan.ticket_changes(before, after), event.changes)

    def _assign(self, before: Ticket | None, event: Event) -> list[str]:
        assert before is not None
        problems = self._continues(before, event)
        if event.dest != before.state:
            problems.append(f"an assignment led to state {event.dest!r}")
        if set(event.changes) - {"_assignee"}:
            problems.append(f"an assignment changed {', '.join(sorted(event.changes))}")
        if not before.is_open:
            problems.append("assigned a closed ticket")
        actor = self._actor(event)
        if isinstance(actor, str):
            return [*problems, actor]
        try:
            plan.check_roles(["agent", "supervisor"], None, before, actor, "assigning")
        except ServiceError as exc:
            problems.append(f"not allowed: {reason(exc)}")
        target = event.changes.get("_assignee", [None, before.assignee])[1]
        return problems + self._assignee_problems(before, target, event.at)

    def _assignee_problems(self, before: Ticket, target: str | None, at: datetime
                           ) -> list[str]:
        if target is None or target == before.assignee:
            return []
        account = self.accounts(target, at)
        if account is None or not account.can_act(at):
            return [f"assigned to {target!r}, who could not act at that moment"]
        if before.post and account.post != before.post:
            return [f"assigned to {target!r} of post {account.post!r}, not {before.post!r}"]
        return []

    def _migrate(self, before: Ticket | None, event: Event) -> list[str]:
        assert before is not None
        problems = self._continues(before, event)
        if event.details.get("from") != before.digest:
            problems.append("migrated from a version the ticket was not on")
        problems += self._version(event.digest, event.at, "migrated to")
        actor = self._actor(event)
        if isinstance(actor, str):
            return [*problems, actor]
        if SUPERUSER not in actor.roles:
            problems.append(f"{actor.username!r} could not migrate tickets (not {SUPERUSER})")
        if problems:
            return problems
        target = self.versions(event.digest)
        try:
            dest = migration.destination(target, before, {before.state: event.dest or ""})
            change = migration.plan_move(target, before, dest, actor, event.at)
        except ServiceError as exc:
            return [f"not allowed: {reason(exc)}"]
        return compare(change.events[0], event)

    def _alarm(self, before: Ticket | None, event: Event) -> list[str]:
        """An SLA warning or breach: the system's, changing no state, only declared fields.

        Its timing follows the SLA clocks and business calendars (``engine.time.sla``); only
        its shape is checked here.
        """
        assert before is not None
        problems = self._continues(before, event)
        if event.actor != SYSTEM.username:
            problems.append(f"an SLA alarm raised by {event.actor!r}, not the system")
        if event.dest != before.state:
            problems.append(f"an SLA alarm led to state {event.dest!r}")
        fields = self.versions(before.digest).spec.fields
        unknown = sorted(key for key in event.changes if key not in fields)
        if unknown:
            problems.append(f"an SLA alarm changed {', '.join(map(repr, unknown))}")
        return problems

    def _link(self, before: Ticket | None, event: Event) -> list[str]:
        """A problem link or unlink: changes nothing, names the other ticket, on the side
        its trigger says, by an account that may link."""
        assert before is not None
        problems = self._continues(before, event)
        if event.dest != before.state or event.changes:
            problems.append("a problem link changed the ticket")
        on_problem = event.trigger in ON_PROBLEM.values()
        if not on_problem and event.trigger not in ON_TICKET.values():
            return [*problems, f"unknown kind of link {event.trigger!r}"]
        if on_problem != (before.process == PROBLEM):
            problems.append(f"{event.trigger} journaled on a {before.process} ticket")
        other = event.details.get("ticket" if on_problem else "problem")
        if not isinstance(other, int):
            return [*problems, "the link names no other ticket"]
        linked = event.trigger in (ON_PROBLEM[True], ON_TICKET[True])
        ticket, problem = (other, before.id) if on_problem else (before.id, other)
        self.sides.append((on_problem, ticket, problem, linked, event.at, event.actor))
        if not on_problem:
            self.links[ticket] = problem if linked else None
        actor = self._actor(event)
        if isinstance(actor, str):
            return [*problems, actor]
        if not set(LINKERS) & set(actor.roles):
            problems.append(f"{actor.username!r} could not link tickets to problems")
        return problems

    # -- timers ----------------------------------------------------------------------

    @staticmethod
    def _timer(before: Ticket, event: Event) -> Timer | None:
        if event.kind != "timer":
            return None
        due = event.details.get("due_at")
        return Timer(ticket_id=before.id, trigger=event.trigger or "", state=before.state,
                     due_at=parse_timestamp(due) if due else event.at)

    @staticmethod
    def _due(event: Event) -> list[str]:
        due = event.details.get("due_at")
        if event.kind == "timer" and due and parse_timestamp(due) > event.at:
            return [f"a timer fired before it was due ({due})"]
        return []


def compare(planned: Event, recorded: Event) -> list[str]:
    """How a recorded event differs from the one the step plans."""
    return compare_outcome(planned.dest, planned.changes, planned.details, recorded)


def compare_outcome(dest: str | None, changes: dict[str, Any], details: dict[str, Any],
                    recorded: Event) -> list[str]:
    """How a recorded event differs from the destination, changes and details planned."""
    problems = []
    if dest != recorded.dest:
        problems.append(f"led to {recorded.dest!r}, the process leads to {dest!r}")
    problems += compare_changes(changes, recorded.changes)
    for key, value in details.items():
        if recorded.details.get(key) != value:
            problems.append(f"recorded {key} {recorded.details.get(key)!r}, the step gives "
                            f"{value!r}")
    return problems


def compare_changes(planned: dict[str, Any], recorded: dict[str, Any]) -> list[str]:
    """The fields whose recorded change is not what the step does."""
    if planned == recorded:
        return []
    wrong = [key for key in sorted(set(planned) | set(recorded))
             if _pair(planned.get(key)) != _pair(recorded.get(key))]
    if not wrong:
        return []
    return [f"recorded changes to {', '.join(map(repr, wrong))} are not what the step does"]


def _pair(change: Any) -> Any:
    return list(change) if isinstance(change, tuple | list) else change
