"""The desk service: the one API the command line, the terminal app and scenarios use.

Every method that changes data acts as an authenticated :class:`Account`, reads time from
the clock, plans the step with :mod:`engine.desk.plan` and commits it through the store port
as one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from engine.accounts.accounts import SUPERUSER, ensure_active
from engine.accounts.policy import vendor_limit
from engine.accounts.vendor import Credential, Deliver, materialise
from engine.core.admin_journal import deploy_entry
from engine.core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidTrigger,
    NotFound,
    ServiceError,
    TicketflowError,
)
from engine.core.journal import Event
from engine.core.model import (
    SLA_KINDS,
    Account,
    Change,
    NewTicket,
    Notification,
    ProcessVersion,
    Ticket,
    TicketQuery,
    Timer,
)
from engine.desk import alarms, approvals, citations, plan, problems, reading
from engine.desk.ports import Store
from engine.process.compiler import CompiledProcess, compile_process
from engine.process.load import Process, parse_stored
from engine.process.spec import ANY, SYSTEM_ROLE, ProcessSpec, TransitionSpec
from engine.time import sla
from engine.time.clock import Clock

SYSTEM = Account(username="system", display_name="ticketflow", roles=[SYSTEM_ROLE], post=None,
                 password_hash="")
"""The engine's own account: timers and child processes act as it."""
CHILD_END = "child_end"
"""The kind of timer that brings a child ticket's end to its parent's ``on_end``."""
JOURNAL_ONLY = ("child_ended", "alert_repeat", "alert_resolved")
"""Events the engine journals by itself on a ticket (as the system), changing nothing."""


@dataclass(frozen=True)
class Deployment:
    """The outcome of deploying one process file."""

    name: str
    digest: str
    number: int
    new: bool


class Desk:
    """Tickets, their journals and timers, on a store, with a clock."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._compiled: dict[str, CompiledProcess] = {}

    # -- processes ---------------------------------------------------------------------

    def deploy(self, processes: Iterable[Process], actor: Account) -> list[Deployment]:
        """Store each process as a new version unless its content is already deployed."""
        self._require_role(actor, SUPERUSER, "deploying processes")
        batch = list(processes)
        self._check_children(batch)
        return [self._deploy_one(process, actor) for process in batch]

    def _deploy_one(self, process: Process, actor: Account) -> Deployment:
        try:
            existing = self.store.get_version(process.digest)
            return Deployment(existing.name, existing.digest, existing.number, new=False)
        except NotFound:
            pass
        version = ProcessVersion(
            name=process.name, digest=process.digest, source=process.source, path=process.path,
            deployed_by=actor.username, deployed_at=self.clock.now())
        stored = self.store.save_version(
            version, journal=deploy_entry(version, actor.username, version.deployed_at))
        return Deployment(stored.name, stored.digest, stored.number, new=True)

    def _check_children(self, batch: list[Process]) -> None:
        names = {process.name for process in batch}
        for process in batch:
            for transition in process.spec.transitions:
                child = transition.start.process if transition.start else None
                if child and child not in names:
                    self.store.current_version(child)  # NotFound names the process

    def compiled(self, digest: str) -> CompiledProcess:
        """The compiled machine of a deployed process version (cached: versions are immutable)."""
        compiled = self._compiled.get(digest)
        if compiled is None:
            version = self.store.get_version(digest)
            compiled = compile_process(parse_stored(version))
            self._compiled[digest] = compiled
        return compiled

    def current(self, name: str) -> CompiledProcess:
        """The compiled machine of a process's current version."""
        return self.compiled(self.store.current_version(name).digest)

    def declared_roles(self) -> set[str]:
        """Every role the deployed process versions declare (``roles:``), but ``system``."""
        roles: set[str] = set()
        for version in self.store.list_versions():
            roles.update(self.compiled(version.digest).spec.roles)
        return roles - {SYSTEM_ROLE}

    def group_fields(self) -> tuple[tuple[str, str], ...]:
        """(post, field) for every post the deployed versions divide into groups."""
        return tuple(sorted({(post, groups.by) for spec in self.specs()
                             for post, groups in spec.groups.items()}))

    def declared_groups(self) -> dict[str, set[str] | None]:
        """Post → its groups in the deployed versions (None: any name, vendors by company)."""
        found: dict[str, set[str] | None] = {}
        for spec in self.specs():
            for post, groups in spec.groups.items():
                known = found.get(post, set())
                found[post] = (None if known is None or groups.names is None
                               else known | set(groups.names))
        return found

    def item_fields(self) -> tuple[str, ...]:
        """The fields that link tickets to configuration items, in the deployed versions."""
        return tuple(sorted({spec.item.field for spec in self.specs() if spec.item}))

    def item_of(self, ticket: Ticket) -> str | None:
        """The name of the configuration item a ticket is linked to (None: none)."""
        link = self.compiled(ticket.digest).spec.item
        name = ticket.data.get(link.field) if link is not None else None
        return name if isinstance(name, str) and name else None

    def specs(self) -> list[ProcessSpec]:
        """The specs of every deployed process version."""
        return [self.compiled(version.digest).spec for version in self.store.list_versions()]

    def group_of(self, ticket: Ticket) -> str | None:
        """The group holding a ticket at its post (None: the post has no groups, or no
        group was named yet)."""
        return self.compiled(ticket.digest).process.group(ticket.post, ticket.data)

    def _filled(self, spec: ProcessSpec, data: dict[str, Any]) -> dict[str, Any]:
        """The data with what the linked configuration item fills in (the owner group, the
        vendor) where the opener gave nothing."""
        link, name = spec.item, None
        if link is not None:
            name = data.get(link.field)
        if link is None or not isinstance(name, str) or not name:
            return data
        item = next((i for i in self.store.list_items() if i.name == name), None)
        if item is None:
            raise BadRequest(f"no configuration item {name!r}")
        filled = {field: getattr(item, attribute) for field, attribute in link.fills.items()
                  if data.get(field) in (None, "") and getattr(item, attribute) is not None}
        return {**data, **filled}

    def _citing(self, spec: ProcessSpec, given: dict[str, Any], ticket: Ticket | None
                ) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        """The check of the articles a step gives (its fields of type article): each must
        exist and be published; the event journals the versions used (None: none given)."""
        fields = [name for name in given if name in spec.fields
                  and spec.fields[name].type == "article"]
        if not fields:
            return None
        return lambda data: citations.cited(self.store, fields, data, ticket)

    def versions(self, name: str | None = None) -> list[ProcessVersion]:
        """Deployed process versions, oldest first."""
        return self.store.list_versions(name)

    # -- reading -----------------------------------------------------------------------

    def ticket(self, ticket_id: int) -> Ticket:
        return self.store.load_ticket(ticket_id)

    def history(self, ticket_id: int) -> list[Event]:
        return reading.history(self.store, ticket_id)

    def tickets(self, query: TicketQuery) -> list[Ticket]:
        return self.store.list_tickets(query)

    def timers(self, ticket_id: int) -> list[Timer]:
        """A ticket's pending process timers (its SLA clocks: :meth:`slas`)."""
        return reading.timers(self.store, ticket_id)

    def actions(self, ticket: Ticket, actor: Account) -> list[TransitionSpec]:
        """The transitions this account may fire on the ticket now (guards aside)."""
        compiled = self.compiled(ticket.digest)
        return [t for t in compiled.transitions_from(ticket.state)
                if plan.may_fire(t, ticket, actor)] + [
            t for inner in ticket.branches.values() for t in compiled.transitions_from(inner)
            if plan.may_fire(t, plan.in_branch(compiled, ticket, inner), actor)]

    # -- opening and firing ------------------------------------------------------------

    def open(self, process: str, actor: Account, data: dict[str, Any] | None = None,
             *, parent_id: int | None = None, requester: int | None = None,
             details: dict[str, Any] | None = None) -> Ticket:
        """Open a ticket of a process's current version (for a requester, when given).

        A requester may open a ticket only for themselves (their mail does).
        """
        return self.store.open_ticket(self.plan_open(process, actor, data, parent_id=parent_id,
                                                     requester=requester, details=details))

    def plan_open(self, process: str, actor: Account, data: dict[str, Any] | None = None,
                  *, parent_id: int | None = None, requester: int | None = None,
                  details: dict[str, Any] | None = None) -> NewTicket:
        """The ticket :meth:`open` would insert, checked and planned but not yet stored."""
        now = self._active(actor)
        if plan.requester_of(actor) is not None:
            if plan.requester_of(actor) != requester:
                raise Forbidden("a requester opens tickets only for themselves")
        elif not set(plan.OPENER_ROLES) & set(actor.roles):
            raise Forbidden(f"opening tickets needs the role {' or '.join(plan.OPENER_ROLES)}")
        compiled = self.current(process)
        data = self._filled(compiled.spec, data or {})
        details = dict(details or {})
        if parent_id is not None:
            self.store.load_ticket(parent_id)
            details["parent"] = parent_id  # a link by hand: journaled, so replay agrees
        if requester:
            details["requester"] = requester
        given = plan.take_input(compiled.spec, None, data or {}, None)
        check = self._citing(compiled.spec, given, None)
        details.update(check(given) if check else {})
        new = self._new_ticket(compiled, actor, given, now, parent_id, details or None)
        return replace(new, requester_id=requester)

    def _new_ticket(self, compiled: CompiledProcess, actor: Account, given: dict[str, Any],
                    now: datetime, parent_id: int | None, details: dict[str, Any] | None = None
                    ) -> NewTicket:
        return plan.plan_open(compiled, actor, given, now, parent_id, details)

    def fire(self, ticket_id: int, trigger: str, actor: Account, *,
             data: dict[str, Any] | None = None, note: str | None = None,
             expected_version: int | None = None, timer: Timer | None = None,
             deliver: Deliver | None = None, vote: str | None = None) -> Ticket:
        """Fire a trigger on a ticket as one transaction; the ticket afterwards.

        ``deliver`` is handed, once and after the commit, the temporary password of each
        vendor account the step opens; it is never stored in clear. On an approval the
        firing is the actor's ``vote`` (approve, unless ``reject``).
        """
        now = self._active(actor)
        ticket = self._load(ticket_id, expected_version)
        self._check_step(ticket, trigger, actor)
        change, credentials, ended = self._fire_change(ticket, trigger, actor, data or {},
                                                       note, now, timer, vote)
        self.store.apply(change)
        for credential in credentials:
            if deliver is not None:
                deliver(credential)
        if ended is not None:
            self._bring_end(ended)
        return change.ticket

    def _fire_change(self, ticket: Ticket, trigger: str, actor: Account, data: dict[str, Any],
                     note: str | None, now: datetime, timer: Timer | None,
                     vote: str | None = None) -> tuple[Change, list[Credential], Timer | None]:
        """The change firing ``trigger`` makes (with the vendor accounts it opens or closes),
        the passwords of those it opens, and the timer bringing a child's end to its parent."""
        compiled = self.compiled(ticket.digest)
        ballot = self._ballot(compiled, ticket, trigger, vote, now)
        change = self._plan_fire(compiled, ticket, trigger, actor, data, note, now, timer,
                                 ballot)
        change, credentials = materialise(change, self._account, actor.username, now,
                                          longest=lambda: vendor_limit(self.store))
        ended = self._child_end(ticket, change.ticket, now)
        if ended is not None:  # the parent's step, made durable in the child's transaction
            change = replace(change, arm=[*change.arm, ended])
        if problems.is_problem(ticket) and not change.ticket.is_open:
            change = self._problem_closing(ticket, change, now)
        return change, credentials, ended

    def _problem_closing(self, ticket: Ticket, change: Change, now: datetime) -> Change:
        """The change of a problem's closing step, with a notification to the holders of
        each linked ticket still open (in the same transaction)."""
        ids = [link.ticket_id for link in self.store.problem_links(ticket.id)]
        linked = self.store.load_tickets(ids)
        notes = problems.closing_notes(ticket, change.ticket,
                                       [linked[i] for i in ids if i in linked], now)
        return replace(change, notifications=[*change.notifications, *notes])

    def _plan_fire(self, compiled: CompiledProcess, ticket: Ticket, trigger: str,
                   actor: Account, data: dict[str, Any], note: str | None, now: datetime,
                   timer: Timer | None, ballot: approvals.Ballot | None = None) -> Change:
        step = plan.plan_fire(compiled, ticket, trigger, actor, data, note, now, timer, ballot,
                              cite=self._citing(compiled.spec, data, ticket))
        children = self._children(step.transition, step.change.ticket, actor, step.names, now)
        return replace(step.change, children=children) if children else step.change

    def approve(self, ticket_id: int, actor: Account, *, reject: bool = False,
                note: str | None = None, data: dict[str, Any] | None = None,
                trigger: str | None = None, attempts: int = 3) -> Ticket:
        """Cast the actor's vote on the approval the ticket waits for (``trigger`` names it
        where the state waits for several; by default the first declared).

        Votes of others committed meanwhile make the ticket's version move on (a Conflict):
        the vote is counted again with them — and refused if one of them was the actor's.
        """
        vote = approvals.REJECT if reject else approvals.APPROVE
        for attempt in range(attempts):
            ticket = self.store.load_ticket(ticket_id)
            chosen = self._approval(ticket, trigger)
            try:
                return self.fire(ticket_id, chosen, actor, data=data, note=note,
                                 expected_version=ticket.version, vote=vote)
            except Conflict:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _approval(self, ticket: Ticket, trigger: str | None) -> str:
        """The approval trigger a vote is for: the one named, or the first the process
        declares from this state (the written approval before the verbal one, say)."""
        waiting = [t.trigger for t in self.compiled(ticket.digest).transitions_now(
            ticket.state, ticket.branches) if t.approve is not None]
        if not waiting:
            raise InvalidTrigger("the ticket waits for no approval", ticket=ticket.id,
                                 state=ticket.state)
        if trigger is not None and trigger not in waiting:
            raise InvalidTrigger(f"{trigger!r} is not an approval waiting here (waiting: "
                                 f"{', '.join(waiting)})", ticket=ticket.id, state=ticket.state)
        return trigger or waiting[0]

    def _ballot(self, compiled: CompiledProcess, ticket: Ticket, trigger: str,
                vote: str | None, now: datetime) -> approvals.Ballot | None:
        """The round an approval's vote joins, read from the journal (None: no approval)."""
        transition = compiled.step_for(ticket.state, ticket.branches, trigger)
        if transition is None or transition.approve is None:
            return None if vote in (None, approvals.APPROVE) else approvals.Ballot(str(vote))
        eligible = None
        if approvals.needs_eligible(transition.approve):
            role = transition.approve.by
            eligible = sum(1 for account in self.store.list_accounts()
                           if role in account.roles and account.can_act(now))
        return approvals.Ballot(vote or approvals.APPROVE,
                                approvals.round_of(self.store.events(ticket.id)), eligible)

    @staticmethod
    def _changes(before: Ticket, after: Ticket) -> dict[str, list[Any]]:
        return plan.ticket_changes(before, after)

    def _children(self, transition: TransitionSpec, parent: Ticket, actor: Account,
                  names: dict[str, Any], now: datetime) -> list[NewTicket]:
        start = transition.start
        if start is None:
            return []
        compiled = self.current(start.process)
        parent_process = self.compiled(parent.digest).process
        values = {key: parent_process.value(raw, names) for key, raw in start.data.items()}
        given = plan.take_input(compiled.spec, None, values, parent)
        details = {"parent": parent.id, "on_end": start.on_end}
        return [self._new_ticket(compiled, actor, given, now, parent.id, details)]

    def _child_end(self, before: Ticket, after: Ticket, now: datetime) -> Timer | None:
        """The timer that brings a child's end to its parent's ``on_end``, due at once.

        Armed in the same transaction as the child's closing step, so that a crash before
        the parent's step leaves a due timer for the workers, never a parent waiting for ever.
        """
        if after.is_open or not before.is_open or before.parent_id is None:
            return None
        trigger = self.store.events(before.id)[0].details.get("on_end")
        if not trigger:
            return None
        return Timer(ticket_id=before.parent_id, trigger=trigger, due_at=now, state=ANY,
                     kind=CHILD_END, child_id=before.id)

    def _bring_end(self, ended: Timer) -> None:
        """Fire the parent's ``on_end`` now, as a worker would (once: the timer is fired in
        the parent's transaction). The child's step has committed whatever happens here: a
        conflict or a lost connection leaves the timer due, for the workers."""
        try:
            for timer in self.store.pending_timers(ended.ticket_id):
                if timer.kind == CHILD_END and timer.child_id == ended.child_id:
                    self.fire_timer(timer)
        except TicketflowError:
            pass

    # -- events that change no state ---------------------------------------------------

    def record(self, ticket_id: int, name: str, actor: Account, *, note: str | None = None,
               data: dict[str, Any] | None = None, details: dict[str, Any] | None = None,
               expected_version: int | None = None) -> Ticket:
        """Journal an event such as a comment, a customer reply or a complaint.

        ``details`` are kept with the event (a mail's attachments, its Message-ID).
        """
        now = self._active(actor)
        ticket = self._load(ticket_id, expected_version)
        compiled = self.compiled(ticket.digest)
        declared = compiled.spec.events.get(name)  # not the built-in comment
        self._check_actor(ticket, actor, declared.posts if declared else None)
        after = plan.plan_record(compiled, ticket, name, actor, note, data or {}, now)
        return self._commit_event(ticket, after, actor.username, "event", name, note, now,
                                  details)

    def _check_step(self, ticket: Ticket, trigger: str, actor: Account) -> None:
        """The actor may take this step: it reads the ticket, or in a fork one of its
        active branches (at the branch's post)."""
        compiled = self.compiled(ticket.digest)
        transition = compiled.step_for(ticket.state, ticket.branches, trigger)
        views = [ticket, *(plan.in_branch(compiled, ticket, inner)
                           for inner in ticket.branches.values())]
        seen = next((view for view in views if reading.may_read(actor, view)), ticket)
        posts = (transition.posts if transition else  # not possible now: the trigger's grant
                 [post for t in compiled.spec.transitions if t.trigger == trigger
                  for post in t.posts or ()])
        self._check_actor(seen, actor, posts)

    def _check_actor(self, ticket: Ticket, actor: Account,
                     posts: list[str] | None = None) -> None:
        """A requester acts only on their own tickets, an account only on those it may read
        (its answer would show it what it may not read) — unless the process names the
        account's post (or every post, ``"*"``) for this step: that is its grant."""
        requester = plan.requester_of(actor)
        if requester is not None:
            if self.store.ticket_requester(ticket.id) != requester:
                raise Forbidden("this ticket is not yours", ticket=ticket.id)
        elif actor is not SYSTEM and not (posts and (ANY in posts or actor.post in posts)):
            reading.check_read(actor, ticket)

    def journal_change(self, ticket: Ticket, name: str, note: str | None,
                       details: dict[str, Any] | None = None) -> Change:
        """A journal-only entry of the system on the ticket (one of :data:`JOURNAL_ONLY`),
        planned but not applied: the caller applies it with what goes along."""
        if name not in JOURNAL_ONLY:
            raise BadRequest(f"{name!r} is not an entry the engine journals by itself")
        return self._event_change(ticket, plan.replace_fields(ticket), SYSTEM.username,
                                  "event", name, note, self.clock.now(), details)

    def link_change(self, ticket: Ticket, name: str, actor: Account, note: str | None,
                    details: dict[str, Any], now: datetime) -> Change:
        """The journal entry of a problem link on one of its two tickets (kind ``link``),
        planned but not applied: both are applied together with the link's row."""
        return self._event_change(ticket, plan.replace_fields(ticket), actor.username,
                                  problems.LINK, name, note, now, details)

    def _commit_event(self, before: Ticket, after: Ticket, actor: str, kind: str, name: str,
                      note: str | None, now: datetime,
                      details: dict[str, Any] | None = None) -> Ticket:
        change = self._event_change(before, after, actor, kind, name, note, now, details)
        self.store.apply(change)
        return change.ticket

    def _event_change(self, before: Ticket, after: Ticket, actor: str, kind: str, name: str,
                      note: str | None, now: datetime, details: dict[str, Any] | None = None
                      ) -> Change:
        event = plan.new_event(after, at=now, actor=actor, kind=kind, trigger=name,
                                source=before.state, changes=self._changes(before, after),
                                note=note, details=details)
        after = plan.advanced(after, event, now)
        clocks = sla.clocks_for(self.compiled(before.digest).process).step(before, after, now)
        after.sla = clocks.sla
        return Change(ticket=after, expected_version=before.version, events=[event],
                      arm=clocks.arm, cancel_kinds=SLA_KINDS if clocks.cancel else [])

    # -- who holds a ticket ------------------------------------------------------------

    def claim(self, ticket_id: int, actor: Account, *, expected_version: int | None = None
              ) -> Ticket:
        """Take a ticket of your post for yourself."""
        return self.assign(ticket_id, actor.username, actor, expected_version=expected_version)

    def assign(self, ticket_id: int, username: str | None, actor: Account, *,
               expected_version: int | None = None) -> Ticket:
        """Give a ticket to an account of its post (None: unassign)."""
        now = self._active(actor)
        ticket = self._load(ticket_id, expected_version)
        self._check_actor(ticket, actor)
        if not ticket.is_open:
            raise InvalidTrigger("a closed ticket cannot be assigned", ticket=ticket.id,
                                 state=ticket.state)
        plan.check_roles(["agent", "supervisor"], None, ticket, actor, "assigning")
        if username is not None:
            target = self.store.get_account(username)
            ensure_active(target, now)
            if ticket.post and target.post != ticket.post:
                raise Forbidden(f"{username} is not at the post {ticket.post}",
                                ticket=ticket.id, state=ticket.state)
            group = self.group_of(ticket)
            if group is not None and target.group not in (None, group):
                raise Forbidden(f"{username} works in the group {target.group}, not {group}",
                                ticket=ticket.id, state=ticket.state)
        after = plan.replace_fields(ticket, assignee=username)
        return self._commit_event(ticket, after, actor.username, "assign", "assign", None, now)

    # -- timers ------------------------------------------------------------------------

    def fire_due(self, *, limit: int = 100) -> int:
        """Fire up to ``limit`` timers due now, in batches as :meth:`fire_together` does;
        how many fired (a timer an earlier firing cancelled, or another worker fired first,
        is not counted).

        A batch holds one timer per ticket, each ticket's earliest first: a ticket's later
        timers (an SLA warning and its breach, both due) go in the next batch, planned on
        the ticket as the earlier one left it — the order firing them one by one gave.
        """
        due = self.store.due_timers(self.clock.now(), limit)
        fired = 0
        while due:
            batch: list[Timer] = []
            later: list[Timer] = []
            tickets: set[int] = set()
            for timer in due:
                (later if timer.ticket_id in tickets else batch).append(timer)
                tickets.add(timer.ticket_id)
            fired += self.fire_together(batch)
            due = later
        return fired

    def fire_claimed(self, worker: str, *, limit: int = 100,
                     lease: timedelta = timedelta(minutes=1)) -> int:
        """Claim due timers for ``worker`` and fire them, earliest first; how many it claimed."""
        claimed = self.store.claim_due_timers(self.clock.now(), limit, worker=worker,
                                              lease=lease)
        self.fire_together(claimed)
        return len(claimed)

    def fire_together(self, timers: list[Timer]) -> int:
        """Fire due timers of different tickets in one transaction, each as
        :meth:`fire_timer` would alone: their tickets are read in one query, every firing is
        planned, then all are applied together, each in a savepoint of its own. One that
        fails — its trigger refused, the ticket changed meanwhile, a row the database
        refuses — never holds the others back: it is fired again alone afterwards.

        A commit (and its sync to disk) per firing was what bounded a worker, above all on
        PostgreSQL; the timers must belong to different tickets (a claim takes each
        ticket's earliest pending one), since each firing is planned from its ticket as read.
        How many fired (a timer fired meanwhile by another is not counted).
        """
        tickets = self.store.load_tickets([timer.ticket_id for timer in timers])
        now = self.clock.now()
        planned: list[tuple[Timer, Change, Timer | None]] = []
        alone: list[Timer] = []
        for timer in timers:
            ticket = tickets.get(timer.ticket_id)
            try:
                if ticket is None:
                    raise NotFound("no such ticket", ticket=timer.ticket_id)
                planned.append((timer, *self._timer_change(ticket, timer, now)))
            except TicketflowError:
                alone.append(timer)
        failed = self.store.apply_all([change for _, change, _ in planned])
        for (timer, _, ended), error in zip(planned, failed, strict=True):
            if error is not None:
                alone.append(timer)
            elif ended is not None:
                self._bring_end(ended)
        return failed.count(None) + sum(self.fire_timer(timer) for timer in alone)

    def _timer_change(self, ticket: Ticket, timer: Timer, now: datetime
                      ) -> tuple[Change, Timer | None]:
        """The change a due timer makes on its ticket, as :meth:`_fire_once` applies it,
        and the timer bringing a child's end to its parent (None: none)."""
        if timer.kind in SLA_KINDS:
            return alarms.plan_alarm(self.compiled(ticket.digest), ticket, timer, SYSTEM,
                                     now), None
        note = f"child ticket {timer.child_id} ended" if timer.kind == CHILD_END else None
        change, _, ended = self._fire_change(ticket, timer.trigger, SYSTEM, {}, note, now,
                                             timer)
        return change, ended

    def fire_timer(self, timer: Timer, *, attempts: int = 3) -> bool:
        """Fire one due timer as the system account; False when someone else did first.

        A conflict while the timer is still pending means the ticket changed between
        reading and writing (an agent acted): the timer is planned again on the new ticket.
        """
        for _ in range(attempts):
            try:
                self._fire_once(timer)
                return True
            except Conflict:
                if not any(t.id == timer.id for t in self.store.pending_timers(timer.ticket_id)):
                    return False  # another worker fired it, or the ticket moved on first
        return False

    def _fire_once(self, timer: Timer) -> None:
        try:
            if timer.kind == CHILD_END:
                self.fire(timer.ticket_id, timer.trigger, SYSTEM, timer=timer,
                          note=f"child ticket {timer.child_id} ended")
            elif timer.kind in SLA_KINDS:
                ticket = self.store.load_ticket(timer.ticket_id)
                self.store.apply(alarms.plan_alarm(self.compiled(ticket.digest), ticket, timer,
                                                   SYSTEM, self.clock.now()))
            else:
                self.fire(timer.ticket_id, timer.trigger, SYSTEM, timer=timer)
        except Conflict:
            raise
        except ServiceError as exc:
            self._refuse_timer(timer, exc)

    def slas(self, ticket_id: int) -> list[sla.RunningSla]:
        """Every open SLA clock of a ticket with its remaining working time now."""
        ticket = self.store.load_ticket(ticket_id)
        return sla.clocks_for(self.compiled(ticket.digest).process).running(
            ticket, self.clock.now())

    def notifications(self, post: str | None, *, after: int | None = None,
                      limit: int = 100) -> list[Notification]:
        """The outbox of a post (None: every post), oldest first, after the id ``after``."""
        return self.store.notifications(post, after=after, limit=limit)

    def _refuse_timer(self, timer: Timer, error: ServiceError) -> None:
        """Journal a timer whose trigger was refused, and mark it done."""
        ticket = self.store.load_ticket(timer.ticket_id)
        now = self.clock.now()
        event = plan.new_event(ticket, at=now, actor=SYSTEM.username, kind="timer",
                                trigger=timer.trigger, source=ticket.state, changes={},
                                note=f"refused: {error}",
                                details={"due_at": timer.due_at.isoformat(), "refused": True})
        self.store.apply(Change(ticket=plan.advanced(ticket, event, now),
                                expected_version=ticket.version, events=[event],
                                fired_timer=timer.id))

    # -- accounts ----------------------------------------------------------------------

    def _account(self, username: str) -> Account | None:
        try:
            return self.store.get_account(username)
        except NotFound:
            return None

    def _load(self, ticket_id: int, expected_version: int | None) -> Ticket:
        """The ticket, refused as a Conflict unless at ``expected_version`` (when given): the
        change made from it is applied only at that version, so the check holds."""
        ticket = self.store.load_ticket(ticket_id)
        if expected_version is not None and ticket.version != expected_version:
            raise Conflict("the ticket was changed by someone else; reload it",
                           ticket=ticket.id, state=ticket.state)
        return ticket

    def check_active(self, actor: Account) -> datetime:
        """Refuse a disabled or expired account; the time now."""
        return self._active(actor)

    def _active(self, actor: Account) -> datetime:
        now = self.clock.now()
        if actor is not SYSTEM:
            ensure_active(actor, now)
        return now

    @staticmethod
    def _require_role(actor: Account, role: str, what: str) -> None:
        if role not in actor.roles:
            raise Forbidden(f"{what} needs the {role} role")


def parse_assignments(pairs: Iterable[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs as a dict (values stay text; fields convert them)."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadRequest(f"expected KEY=VALUE, got {pair!r}")
        result[key.strip()] = value
    return result
