"""The queues an account sees, and the ``/`` filter that narrows one (``state:handling``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from engine.core.model import TicketQuery
from tui.screens.session import Session

FILTER_HELP = ("state:NAME  post:NAME  process:NAME  assignee:NAME (- for nobody)  "
               "is:open|closed|all  #ID opens a ticket")


@dataclass(frozen=True)
class Queue:
    """A named queue: a base query over tickets."""

    key: str
    title: str
    query: TicketQuery


def queues_for(session: Session) -> list[Queue]:
    """My tickets, my post's, unassigned, overdue and all — scoped to the account's post."""
    account = session.account
    post = account.post
    is_open = True
    queues = []
    if session.works_tickets:
        queues.append(Queue("mine", "My tickets", TicketQuery(assignee=account.username,
                                                              is_open=is_open)))
    if post:
        queues.append(Queue("post", f"Post {post}", TicketQuery(post=post, is_open=is_open)))
    queues += [
        Queue("unassigned", "Unassigned", TicketQuery(post=post, unassigned=True,
                                                      is_open=is_open)),
        Queue("overdue", "Overdue", TicketQuery(post=post, is_open=is_open,
                                                overdue_at=session.now())),
        Queue("all", "All open", TicketQuery(is_open=is_open)),
    ]
    return queues


def parse_filter(text: str) -> tuple[dict[str, Any], int | None]:
    """Query changes for a filter text, and the ticket id if it names one (``#42``)."""
    changes: dict[str, Any] = {}
    for token in text.split():
        if token.lstrip("#").isdigit():
            return {}, int(token.lstrip("#"))
        key, sep, value = token.partition(":")
        if not sep or not value:
            raise ValueError(f"unknown filter {token!r}; use {FILTER_HELP}")
        changes.update(_one(key.lower(), value, token))
    return changes, None


def _one(key: str, value: str, token: str) -> dict[str, Any]:
    if key in ("state", "post", "process"):
        return {key: value}
    if key == "assignee":
        return {"assignee": None, "unassigned": True} if value == "-" else {
            "assignee": value, "unassigned": False}
    if key == "is" and value in ("open", "closed", "all"):
        return {"is_open": {"open": True, "closed": False, "all": None}[value]}
    raise ValueError(f"unknown filter {token!r}; use {FILTER_HELP}")


def filtered(query: TicketQuery, changes: dict[str, Any]) -> TicketQuery:
    """The query with a filter's changes applied."""
    return replace(query, **changes)
