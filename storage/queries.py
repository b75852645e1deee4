"""The ticket filters of a :class:`engine.core.model.TicketQuery`, as SQL conditions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    String,
    Table,
    and_,
    bindparam,
    false,
    or_,
)
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
    if query.group is not None:
        conditions.append(or_(false(), *(
            and_(tickets.c.post == post, DataText(tickets.c.data, field) == query.group)
            for post, field in query.group_fields)))
    if query.item is not None:
        conditions.append(or_(false(), *(DataText(tickets.c.data, field) == query.item
                                         for field in query.item_fields)))
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


class DataText(ColumnElement[str]):
    """A field of a ticket's ``data`` JSON as text (NULL when absent). The field is a
    process field name (``[a-z][a-z0-9_]*``), checked again here since it is put in the SQL."""

    type = String()
    inherit_cache = False

    def __init__(self, data: ColumnElement[Any], field: str) -> None:
        if not _FIELD.match(field):
            raise ValueError(f"not a field name: {field!r}")
        self.data, self.field = data, field


_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@compiles(DataText, "sqlite")
def _sqlite_text(element: DataText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_extract({compiler.process(element.data, **kw)}, '$.{element.field}')"


@compiles(DataText, "postgresql")
def _postgresql_text(element: DataText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.data, **kw)} ->> '{element.field}')"
