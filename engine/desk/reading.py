"""Who may read what: every read acts as an authenticated account.

- ``admin``, ``auditor`` and ``supervisor`` accounts read every ticket (supervisors approve
  and follow tickets at any post);
- other accounts (agents) read the tickets at their post, the tickets assigned to them and
  the tickets they opened; a vendor account reads only the tickets assigned to it or opened
  by it (its post, ``vendor``, is shared by every vendor);
- desk-wide reads — the admin journal, ``audit verify`` and ``report``, ``export``,
  ``backup``, the list of accounts — need ``admin`` or ``auditor``; the assessment
  (``assess``) also ``supervisor``.

The reads themselves (a ticket's journal, its process timers, its requester) take only the
part of the store port they use (:class:`TicketReads`), so that the command line can run
them on a light, driver-level reader as well as on the full store.

The command line, the terminal app (its queues and search) and the HTTP API apply these
rules, all through these functions. They guard the front ends, not the database: someone
holding the database URL can read everything with any SQL client (docs/deployment.md, "The
trust boundary").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from engine.core.errors import Forbidden
from engine.core.journal import Event
from engine.core.model import (
    SLA_KINDS,
    Account,
    ProcessVersion,
    Requester,
    Ticket,
    TicketQuery,
    Timer,
)

READ_ALL = ("admin", "auditor", "supervisor")
DESK_WIDE = ("admin", "auditor")


def reads_all(account: Account) -> bool:
    """Whether the account reads every ticket."""
    return bool(set(READ_ALL) & set(account.roles))


def may_read(account: Account, ticket: Ticket) -> bool:
    """Whether the account may read this ticket: in a fork, the posts of its branches too."""
    if reads_all(account):
        return True
    if account.username in (ticket.assignee, ticket.opened_by):
        return True
    if account.vendor or account.post is None:
        return False
    return ticket.post == account.post or account.post in branch_posts(ticket)


def branch_posts(ticket: Ticket) -> set[str]:
    """The posts working a forked ticket's branches, as their SLA clocks name them (each
    branch's clock is keyed by the branch and owned by its post)."""
    if not ticket.branches:
        return set()
    clocks = ticket.sla.get("clocks") or {}
    return {str(clocks[branch]["post"]) for branch in ticket.branches
            if isinstance(clocks.get(branch), dict) and clocks[branch].get("post")}


def check_read(account: Account, ticket: Ticket) -> Ticket:
    """The ticket, if the account may read it; Forbidden otherwise."""
    if not may_read(account, ticket):
        raise Forbidden(f"{account.username!r} may not read this ticket (it is not at their "
                        "post, assigned to them or opened by them)", ticket=ticket.id)
    return ticket


def readable(account: Account, query: TicketQuery) -> TicketQuery:
    """The query narrowed to the tickets the account may read."""
    if reads_all(account):
        return query
    return replace(query, readable_by=(account.username, None if account.vendor
                                       else account.post))


def require_any(account: Account, roles: tuple[str, ...], what: str) -> Account:
    """The account, if it holds one of ``roles``; Forbidden naming them otherwise."""
    if not set(roles) & set(account.roles):
        raise Forbidden(f"{what} needs the role {' or '.join(roles)}")
    return account


class TicketReads(Protocol):
    """The part of the store port that reading tickets needs."""

    def load_ticket(self, ticket_id: int) -> Ticket: ...

    def get_version(self, digest: str) -> ProcessVersion: ...

    def events(self, ticket_id: int, *, until: datetime | None = None) -> list[Event]: ...

    def pending_timers(self, ticket_id: int) -> list[Timer]: ...

    def ticket_requester(self, ticket_id: int) -> int | None: ...

    def get_requester(self, requester_id: int) -> Requester: ...


def history(store: TicketReads, ticket_id: int) -> list[Event]:
    """A ticket's journal in order; NotFound when there is no such ticket."""
    store.load_ticket(ticket_id)
    return store.events(ticket_id)


def timers(store: TicketReads, ticket_id: int) -> list[Timer]:
    """A ticket's pending process timers (its SLA clocks' timers left out)."""
    return [t for t in store.pending_timers(ticket_id) if t.kind not in SLA_KINDS]


def requester(store: TicketReads, ticket_id: int) -> Requester | None:
    """The requester a ticket is for, if any."""
    found = store.ticket_requester(ticket_id)
    return store.get_requester(found) if found is not None else None
