"""The ticket filters of a :class:`engine.core.model.TicketQuery`, as SQL conditions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, exists, or_

from engine.core.model import TicketQuery

_EQUAL = ("state", "post", "assignee", "process", "parent_id", "is_open")


def ticket_filters(query: TicketQuery, *, tickets: Table, timers: Table
                   ) -> list[ColumnElement[bool]]:
    """Every filter the query sets (paging aside), ANDed by the caller."""
    conditions: list[ColumnElement[bool]] = []
    for name in _EQUAL:
        value: Any = getattr(query, name)
        if value is not None:
            conditions.append(tickets.c[name] == value)
    if query.unassigned:
        conditions.append(tickets.c.assignee.is_(None))
    if query.readable_by is not None:
        username, post = query.readable_by
        readable = [tickets.c.assignee == username, tickets.c.opened_by == username]
        if post is not None:
            readable.append(tickets.c.post == post)
        conditions.append(or_(*readable))
    if query.overdue_at is not None:
        conditions.append(exists().where(
            timers.c.ticket_id == tickets.c.id, timers.c.status == "pending",
            timers.c.due_at < query.overdue_at))
    return conditions
