"""Moving open tickets to another version of their process, explicitly and journaled.

A move maps the ticket's state to a state of the target version (``--map OLD=NEW``; an
unmapped state keeps its name), refuses states that do not exist there and end states
(a migration never closes a ticket), journals a ``migrate`` event in the ticket's own
journal and an entry in the admin journal, in one transaction per ticket. Moving back is
the same operation towards the older version.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from engine.accounts.accounts import SUPERUSER, ensure_active
from engine.core.admin_journal import MIGRATE, AdminEntry
from engine.core.errors import BadRequest, Conflict, Forbidden
from engine.core.model import Account, Change, ProcessVersion, Ticket, TicketQuery
from engine.desk import plan
from engine.desk.desk import Desk
from engine.process.compiler import CompiledProcess
from engine.time import sla


@dataclass(frozen=True)
class Move:
    """One ticket's planned move."""

    ticket_id: int
    source_version: int
    source: str
    dest: str


def destination(target: CompiledProcess, ticket: Ticket, mapping: dict[str, str]) -> str:
    """The state a ticket lands in; BadRequest when that state cannot take it."""
    dest = mapping.get(ticket.state, ticket.state)
    state = target.spec.states.get(dest)
    if state is None:
        raise BadRequest(f"state {dest!r} does not exist in the target version "
                         f"(map it with --map {ticket.state}=STATE)", ticket=ticket.id,
                         state=ticket.state)
    if state.kind == "end":
        raise BadRequest(f"{dest!r} is an end state: a migration never closes a ticket",
                         ticket=ticket.id, state=ticket.state)
    _check_unforked(target, ticket, dest)
    return dest


def _check_unforked(target: CompiledProcess, ticket: Ticket, dest: str) -> None:
    """Parallel branches are not migrated: neither a forked ticket nor into a fork."""
    if ticket.branches:
        active = ", ".join(f"{branch}: {inner}" for branch, inner in ticket.branches.items())
        raise BadRequest(f"the ticket is in parallel branches ({active}); migrate it once "
                         "they have joined", ticket=ticket.id, state=ticket.state)
    forks = target.process.forks
    if dest in forks.forks or dest in forks.region:
        raise BadRequest(f"{dest!r} is a fork or a branch state: a migration does not enter "
                         "parallel branches (map the ticket to another state)",
                         ticket=ticket.id, state=ticket.state)


def plan_move(target: CompiledProcess, ticket: Ticket, dest: str, actor: Account,
              now: datetime) -> Change:
    """The change that moves a ticket to ``dest`` of the target version."""
    moved = plan.with_post(target, ticket, dest)
    moved.digest = target.process.digest
    moved.assignee = ticket.assignee if moved.post == ticket.post else None
    event = plan.new_event(
        moved, at=now, actor=actor.username, kind="migrate", trigger=None,
        source=ticket.state, changes=plan.ticket_changes(ticket, moved),
        details={"from": ticket.digest, "to": target.process.digest})
    moved = plan.advanced(moved, event, now)
    # Leaving the state cancels all its timers, the SLA clocks' too: re-arm what they keep
    # pending (a migration moves a ticket; it neither stops nor restarts its clocks).
    arm = (plan.timers_for(target, moved, moved.state_since or now)
           + sla.clocks_for(target.process).pending(moved))
    return Change(ticket=moved, expected_version=ticket.version, events=[event], arm=arm,
                  cancel_states=[ticket.state])


def move_entry(change: Change, source: ProcessVersion, target: ProcessVersion
               ) -> AdminEntry:
    """The admin journal's record of one ticket's move."""
    event = change.events[0]
    return AdminEntry(at=event.at, actor=event.actor, kind=MIGRATE,
                      subject=str(change.ticket.id),
                      details={"process": target.name, "from_version": source.number,
                               "to_version": target.number, "from": source.digest,
                               "to": target.digest, "source": event.source,
                               "dest": event.dest})


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``OLD=NEW`` pairs as a mapping of state names."""
    mapping = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise BadRequest(f"expected OLD=NEW state names, got {pair!r}")
        mapping[old.strip()] = new.strip()
    return mapping


class Migration:
    """Moving the open tickets of a process to one of its versions."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def target(self, process: str, number: int) -> ProcessVersion:
        """The version numbered ``number`` of a process; BadRequest when there is none."""
        for version in self.desk.versions(process):
            if version.number == number:
                return version
        raise BadRequest(f"process {process!r} has no version {number}")

    def plan(self, process: str, number: int, mapping: dict[str, str]) -> list[Move]:
        """Every open ticket that would move; BadRequest naming each one that cannot."""
        target = self.target(process, number)
        compiled = self.desk.compiled(target.digest)
        moves, problems = [], []
        for ticket in self._open_tickets(process):
            if ticket.digest == target.digest:
                continue
            try:
                dest = destination(compiled, ticket, mapping)
            except BadRequest as exc:
                problems.append(str(exc))
                continue
            source = self.desk.store.get_version(ticket.digest).number
            moves.append(Move(ticket.id, source, ticket.state, dest))
        if problems:
            raise BadRequest(f"{len(problems)} ticket(s) cannot move, nothing moved: "
                             + "; ".join(problems))
        return moves

    def run(self, process: str, number: int, mapping: dict[str, str], actor: Account
            ) -> list[Move]:
        """Move every open ticket, each in its own journaled transaction."""
        if SUPERUSER not in actor.roles:
            raise Forbidden(f"migrating tickets needs the {SUPERUSER} role")
        ensure_active(actor, self.desk.clock.now())
        moves = self.plan(process, number, mapping)
        target = self.target(process, number)
        compiled = self.desk.compiled(target.digest)
        for move in moves:
            ticket = self.desk.store.load_ticket(move.ticket_id)
            if ticket.state != move.source or ticket.digest == target.digest:
                raise Conflict("the ticket changed during the migration; run it again",
                               ticket=ticket.id, state=ticket.state)
            change = plan_move(compiled, ticket, move.dest, actor, self.desk.clock.now())
            source = self.desk.store.get_version(ticket.digest)
            self.desk.store.apply(replace(change, admin=[move_entry(change, source, target)]))
        return moves

    def _open_tickets(self, process: str) -> Iterator[Ticket]:
        after = None
        while True:
            page = self.desk.tickets(TicketQuery(process=process, is_open=True, after=after,
                                                 limit=500))
            yield from page
            if len(page) < 500:
                return
            after = page[-1].id
