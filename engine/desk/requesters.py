"""Requesters: the people the desk serves, and what they do on their own tickets.

A requester is no account: they act as ``requester:<id>`` (see :func:`plan.requester_actor`)
and only on tickets linked to them — opening one by mail, adding a comment by replying, and
the steps a process marks as their answers (``requester: confirm`` / ``reopen``), by mail or
by a signed link.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from engine.core.errors import BadRequest, Forbidden, InvalidTrigger, MissingField
from engine.core.journal import Event
from engine.core.model import Account, Requester, Ticket
from engine.desk import plan, reading
from engine.desk.desk import Desk
from engine.desk.links import Link, LinkSigner
from engine.process.spec import TransitionSpec

EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")
LIMITS = {"name": 200, "email": 254, "phone": 64, "organisation": 200}
"""The longest value of each requester detail, in characters."""
PUBLIC_KINDS = ("open", "fire", "timer")
"""Journal kinds a requester's page may show (besides comments by the requester)."""


def check_details(requester: Requester) -> Requester:
    """A requester with trimmed details; MissingField when one is wrong."""
    values: dict[str, str | None] = {key: (getattr(requester, key) or "").strip() or None
                                     for key in LIMITS}
    for key, longest in LIMITS.items():
        value = values[key]
        if value is not None and (len(value) > longest or "\x00" in value):
            raise MissingField(f"the requester's {key} is longer than {longest} characters "
                               "or holds a NUL character")
    email = values["email"]
    if not email or not EMAIL.match(email):
        raise MissingField(f"{requester.email!r} is not a mail address")
    return replace(requester, email=email.lower(), name=values["name"] or email.split("@")[0],
                   phone=values["phone"], organisation=values["organisation"])


class Requesters:
    """The desk's service for requesters, on a :class:`Desk`."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.store = desk.store

    # -- the records -----------------------------------------------------------------

    def add(self, requester: Requester, actor: Account) -> Requester:
        """Add a requester; Conflict when one has the address."""
        now = self._staff(actor, "adding requesters")
        return self.store.add_requester(replace(check_details(requester), created_at=now,
                                                id=None))

    def edit(self, key: str, actor: Account, **changes: str | None) -> Requester:
        """Change a requester's details (the given ones; an empty text clears it)."""
        self._staff(actor, "changing requesters")
        current = self.get(key)
        unknown = set(changes) - set(LIMITS)
        if unknown:
            raise BadRequest(f"a requester has no detail {', '.join(sorted(unknown))}")
        given = {k: v for k, v in changes.items() if v is not None}
        changed = Requester(**{**vars(current), **given})
        return self.store.update_requester(check_details(changed))

    def get(self, key: str) -> Requester:
        """A requester by id or mail address."""
        key = key.strip()
        if key.isdigit():
            return self.store.get_requester(int(key))
        return self.store.requester_by_email(key)

    def page(self, *, after: int | None = None, limit: int = 100) -> list[Requester]:
        return self.store.list_requesters(after=after, limit=limit)

    def find_or_add(self, email: str, name: str | None = None) -> Requester:
        """The requester of an address, added (with this name) when there is none."""
        wanted = check_details(Requester(name=name or "", email=email))
        return self.store.find_or_add_requester(replace(wanted, created_at=self.desk.clock.now()))

    def tickets(self, requester_id: int, *, limit: int = 100) -> list[Ticket]:
        """A requester's tickets, newest first."""
        return [self.store.load_ticket(ticket_id)
                for ticket_id in self.store.requester_ticket_ids(requester_id, limit=limit)]

    def of_ticket(self, ticket_id: int) -> Requester | None:
        """The requester a ticket is for, if any."""
        return reading.requester(self.store, ticket_id)

    # -- tickets ---------------------------------------------------------------------

    def open_for(self, process: str, email: str, actor: Account,
                 data: dict[str, Any] | None = None) -> Ticket:
        """An agent opens a ticket for the requester of an address (added if new)."""
        requester = self.find_or_add(email)
        return self.desk.open(process, actor, data, requester=requester.id)

    def open_as(self, process: str, requester: Requester, data: dict[str, Any],
                details: dict[str, Any] | None = None) -> Ticket:
        """The requester opens a ticket themselves (their mail did)."""
        return self.desk.open(process, actor_of(requester), data, requester=requester.id,
                              details=details)

    def comment(self, ticket_id: int, requester: Requester, note: str,
                details: dict[str, Any] | None = None) -> Ticket:
        """The requester's words on their ticket, journaled as their comment."""
        return self.desk.record(ticket_id, "comment", actor_of(requester), note=note,
                                details=details)

    def answer_step(self, ticket: Ticket, solved: bool) -> TransitionSpec | None:
        """The step the process marks as the requester's answer from the ticket's state."""
        mark = "confirm" if solved else "reopen"
        compiled = self.desk.compiled(ticket.digest)
        return next((t for t in compiled.transitions_from(ticket.state)
                     if t.requester == mark), None)

    def answer(self, ticket_id: int, requester: Requester, solved: bool,
               note: str | None = None) -> Ticket:
        """The requester confirms (``solved``) or says not solved; InvalidTrigger when the
        ticket does not wait for that answer now."""
        ticket = self.store.load_ticket(ticket_id)
        step = self.answer_step(ticket, solved)
        if step is None:
            what = "a confirmation" if solved else "an answer"
            raise InvalidTrigger(f"the ticket is not waiting for {what} from its requester",
                                 ticket=ticket.id, state=ticket.state)
        return self.desk.fire(ticket_id, step.trigger, actor_of(requester), note=note)

    # -- links -----------------------------------------------------------------------

    def link_token(self, signer: LinkSigner, ticket_id: int, requester_id: int,
                   valid: timedelta) -> str:
        return signer.token_for(ticket_id, requester_id, self.desk.clock.now(), valid)

    def follow(self, signer: LinkSigner, token: str) -> tuple[Ticket, Requester]:
        """The ticket and requester a link is for; InvalidLink when it is not valid."""
        link: Link = signer.verify(token, self.desk.clock.now())
        if self.store.ticket_requester(link.ticket_id) != link.requester_id:
            raise Forbidden("this link's ticket is not its requester's")
        return (self.store.load_ticket(link.ticket_id),
                self.store.get_requester(link.requester_id))

    def answer_by_link(self, signer: LinkSigner, token: str, solved: bool) -> Ticket:
        """The page's Confirm and Not solved buttons: the requester's answer by link."""
        ticket, requester = self.follow(signer, token)
        return self.answer(ticket.id, requester, solved)

    def public_history(self, ticket_id: int) -> list[Event]:
        """What the requester's page shows: the opening, the steps with a note that the
        process marks as requester-facing, and the requester's own comments."""
        ticket = self.store.load_ticket(ticket_id)
        spec = self.desk.compiled(ticket.digest).spec
        facing = {t.trigger for t in spec.transitions if t.requester}
        return [event for event in self.desk.history(ticket_id)
                if event.kind == "open"
                or (event.kind in PUBLIC_KINDS and event.trigger in facing)
                or plan.requester_of(event.actor) is not None]

    def staff_check(self, actor: Account, what: str) -> None:
        """Refuse an actor who does not work at the desk (agents, supervisors, admins)."""
        self._staff(actor, what)

    def _staff(self, actor: Account, what: str) -> datetime:
        if not set(plan.OPENER_ROLES) & set(actor.roles):
            raise Forbidden(f"{what} needs the role {' or '.join(plan.OPENER_ROLES)}")
        now = self.desk.clock.now()
        if not actor.can_act(now):
            raise Forbidden(f"{actor.username!r} cannot act now (disabled or expired)")
        return now


def actor_of(requester: Requester) -> Account:
    """The account a requester acts as."""
    if requester.id is None:
        raise BadRequest("a requester must be saved before acting")
    return plan.requester_actor(requester.id, requester.name)
