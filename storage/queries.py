"""The ticket filters of a :class:`engine.core.model.TicketQuery`, as SQL conditions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BindParameter, Boolean, ColumnElement, Table, bindparam, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from engine.core.model import TicketQuery

_EQUAL = ("state", "post", "assignee", "process", "parent_id", "is_open")


def ticket_filters(query: TicketQuery, *, tickets: Table) -> list[ColumnElement[bool]]:
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
        conditions.append(SlaOverdue(tickets.c.sla, query.overdue_at))
    return conditions


class SlaOverdue(ColumnElement[bool]):
    """Whether one of a ticket's open SLA clocks is past its limit at a moment: breached
    already, or running with its due time passed (its breach timer not fired yet).

    Clocks live in the ticket's ``sla`` JSON (see :mod:`engine.time.sla`); due times are
    UTC ISO 8601 strings, which compare in time order as text.
    """

    type = Boolean()
    inherit_cache = False

    def __init__(self, sla: ColumnElement[Any], moment: datetime) -> None:
        self.sla = sla
        self.moment: BindParameter[str] = bindparam(
            None, moment.astimezone(UTC).isoformat(), unique=True)


@compiles(SlaOverdue, "sqlite")
def _sqlite_overdue(element: SlaOverdue, compiler: SQLCompiler, **kw: Any) -> str:
    sla, moment = compiler.process(element.sla, **kw), compiler.process(element.moment, **kw)
    return (f"EXISTS (SELECT 1 FROM json_each({sla}, '$.clocks') AS clock "
            f"WHERE json_extract(clock.value, '$.breached') = 1 "
            f"OR (json_extract(clock.value, '$.since') IS NOT NULL "
            f"AND json_extract(clock.value, '$.due') < {moment}))")


@compiles(SlaOverdue, "postgresql")
def _postgresql_overdue(element: SlaOverdue, compiler: SQLCompiler, **kw: Any) -> str:
    sla, moment = compiler.process(element.sla, **kw), compiler.process(element.moment, **kw)
    return (f"EXISTS (SELECT 1 FROM json_each({sla} -> 'clocks') AS clock "
            f"WHERE (clock.value ->> 'breached')::boolean "
            f"OR (clock.value ->> 'since' IS NOT NULL AND clock.value ->> 'due' < {moment}))")
