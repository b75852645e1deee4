"""Problem records (the seed's problem management, 問題管理): the cause behind incidents.

A problem is a ticket of the ``problem`` process (flows/problem.yaml). Other tickets —
service-desk requests, faults — link to it, at most one problem each. A link and an unlink
are journaled on both tickets in one transaction (kind ``link``: ``problem_linked`` /
``problem_unlinked`` on the ticket with the problem's id, ``ticket_linked`` /
``ticket_unlinked`` on the problem with the ticket's id), so replay and verify see every
link. While the problem is a *known error* (open, in a state of :data:`KNOWN_ERROR` and
with a workaround), each linked ticket shows its workaround; closing the problem notifies
the holders of the linked tickets still open through the outbox (kind ``problem_closed``),
which mail and webhooks carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from engine.core.errors import BadRequest, Conflict
from engine.core.journal import Event
from engine.core.model import Account, Change, Notification, Ticket, TicketQuery

if TYPE_CHECKING:
    from engine.desk.desk import Desk

PROBLEM = "problem"
"""The process whose tickets are problems."""
KNOWN_ERROR = ("known_error", "root_cause_found")
"""States in which a problem with a workaround is a known error: its workaround is shown on
the linked tickets until the fix is in place."""
LINK = "link"
"""The kind of the journal events of a link."""
ON_TICKET = {True: "problem_linked", False: "problem_unlinked"}
"""The trigger journaled on the linked ticket (linked: True), with ``details.problem``."""
ON_PROBLEM = {True: "ticket_linked", False: "ticket_unlinked"}
"""The trigger journaled on the problem, with ``details.ticket``."""
TRIGGERS = (*ON_TICKET.values(), *ON_PROBLEM.values())
CLOSED = "problem_closed"
"""The kind of the outbox notification sent when a problem closes."""
LINKERS = ["agent", "supervisor"]
"""Who may link and unlink tickets."""


@dataclass(frozen=True)
class ProblemLink:
    """A ticket linked to the problem behind it."""

    ticket_id: int
    problem_id: int
    linked_at: datetime
    linked_by: str

    def as_dict(self) -> dict[str, Any]:
        return {"ticket": self.ticket_id, "problem": self.problem_id,
                "linked_at": self.linked_at.isoformat(), "linked_by": self.linked_by}


class ProblemStore(Protocol):
    """What problem links need of a store."""

    def problem_link(self, ticket_id: int) -> ProblemLink | None:
        """The link of a ticket (None: it is linked to no problem)."""
        ...

    def problem_links(self, problem_id: int | None = None) -> list[ProblemLink]:
        """The links to a problem (None: every link), by ticket id."""
        ...

    def save_problem_link(self, changes: list[Change], *, add: ProblemLink | None = None,
                          remove: ProblemLink | None = None) -> None:
        """Apply both tickets' changes and insert ``add`` (Conflict when the ticket has a
        link) or delete ``remove`` (Conflict unless it is there as given), at once."""
        ...


def is_problem(ticket: Ticket) -> bool:
    return ticket.process == PROBLEM


def workaround(problem: Ticket) -> str | None:
    """The workaround a problem shows on its linked tickets (None: not a known error)."""
    text = problem.data.get("workaround")
    known = problem.is_open and problem.state in KNOWN_ERROR
    return text if known and isinstance(text, str) and text else None


def journaled_problem(events: list[Event]) -> int | None:
    """The problem a ticket's journal links it to now (None: none): what ``show`` reads,
    without the link table."""
    problem = None
    for event in events:
        if event.kind == LINK and event.trigger in ON_TICKET.values():
            found = event.details.get("problem")
            problem = found if event.trigger == ON_TICKET[True] and isinstance(found, int) \
                else None
    return problem


def problem_record(problem: Ticket) -> dict[str, Any]:
    """What a linked ticket shows of its problem."""
    return {"id": problem.id, "state": problem.state, "open": problem.is_open,
            "summary": problem.data.get("summary"), "workaround": workaround(problem)}


def closing_notes(before: Ticket, after: Ticket, linked: list[Ticket], now: datetime
                  ) -> list[Notification]:
    """The outbox notifications a problem's step makes: one per linked ticket still open
    (to its post; mail reaches its assignee too) when the problem closes, else none."""
    if not is_problem(before) or not before.is_open or after.is_open:
        return []
    summary = after.data.get("summary") or ""
    outcome = after.data.get("resolution") or after.data.get("close_reason") or ""
    notes = []
    for ticket in linked:
        if ticket.is_open and ticket.post:
            message = (f"problem {after.id} ({summary}) behind ticket {ticket.id} was closed"
                       + (f": {outcome}" if outcome else ""))
            notes.append(Notification(
                post=ticket.post, ticket_id=ticket.id, kind=CLOSED, message=message, at=now,
                details={"problem": after.id, "assignee": ticket.assignee,
                         "resolution": outcome or None}))
    return notes


class Problems:
    """Links between tickets and problems, on a desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    @property
    def store(self) -> ProblemStore:
        return self.desk.store

    def link(self, ticket_id: int, problem_id: int, actor: Account,
             note: str | None = None) -> ProblemLink:
        """Link a ticket to an open problem, journaled on both."""
        now = self.desk.check_active(actor)
        ticket, problem = self._pair(ticket_id, problem_id, actor)
        if not problem.is_open:
            raise BadRequest(f"problem {problem.id} is closed: link to an open problem")
        existing = self.store.problem_link(ticket.id)
        if existing is not None:
            raise Conflict(f"ticket {ticket.id} is linked to problem {existing.problem_id} "
                           "already; unlink it first")
        link = ProblemLink(ticket.id, problem.id, now, actor.username)
        self.store.save_problem_link(self._changes(ticket, problem, True, actor, note, now),
                                     add=link)
        return link

    def unlink(self, ticket_id: int, actor: Account, note: str | None = None) -> ProblemLink:
        """Undo a ticket's link to its problem, journaled on both."""
        now = self.desk.check_active(actor)
        link = self.store.problem_link(ticket_id)
        if link is None:
            self.desk.ticket(ticket_id)  # NotFound names a ticket that does not exist
            raise BadRequest(f"ticket {ticket_id} is linked to no problem")
        ticket, problem = self._pair(ticket_id, link.problem_id, actor)
        self.store.save_problem_link(self._changes(ticket, problem, False, actor, note, now),
                                     remove=link)
        return link

    def _pair(self, ticket_id: int, problem_id: int, actor: Account) -> tuple[Ticket, Ticket]:
        from engine.desk import plan  # the process language: not for show's light reads

        ticket, problem = self.desk.ticket(ticket_id), self.require(problem_id)
        if is_problem(ticket):
            raise BadRequest(f"ticket {ticket.id} is a problem itself; link incidents and "
                             "faults to a problem")
        plan.check_roles(LINKERS, ["*"], ticket, actor, "linking tickets to problems")
        return ticket, problem

    def _changes(self, ticket: Ticket, problem: Ticket, linked: bool, actor: Account,
                 note: str | None, now: datetime) -> list[Change]:
        from engine.desk import plan

        if note is not None:
            plan.check_note(note, ticket)
        return [self.desk.link_change(ticket, ON_TICKET[linked], actor, note,
                                      {"problem": problem.id}, now),
                self.desk.link_change(problem, ON_PROBLEM[linked], actor, note,
                                      {"ticket": ticket.id}, now)]

    # -- reading -----------------------------------------------------------------------

    def of(self, ticket_id: int) -> ProblemLink | None:
        return self.store.problem_link(ticket_id)

    def require(self, problem_id: int) -> Ticket:
        """The problem of this id; BadRequest when the ticket is not a problem."""
        problem = self.desk.ticket(problem_id)
        if not is_problem(problem):
            raise BadRequest(f"ticket {problem.id} is a {problem.process} ticket, not a "
                             "problem")
        return problem

    def problem_of(self, ticket: Ticket) -> Ticket | None:
        """The problem a ticket is linked to (None: none)."""
        link = self.store.problem_link(ticket.id)
        return self.desk.ticket(link.problem_id) if link is not None else None

    def linked(self, problem_id: int) -> list[Ticket]:
        """The tickets linked to a problem, by id."""
        ids = [link.ticket_id for link in self.store.problem_links(problem_id)]
        found = self.desk.store.load_tickets(ids)
        return [found[i] for i in ids if i in found]

    def all(self, *, open_only: bool = False) -> list[Ticket]:
        """Every problem (the open ones only, if asked), by id."""
        return self.desk.tickets(TicketQuery(process=PROBLEM,
                                             is_open=True if open_only else None, limit=1000))

    def counts(self) -> dict[int, int]:
        """Problem id → how many tickets link to it."""
        counts: dict[int, int] = {}
        for link in self.store.problem_links():
            counts[link.problem_id] = counts.get(link.problem_id, 0) + 1
        return counts
