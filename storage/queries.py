"""The ticket filters of a :class:`engine.core.model.TicketQuery`, as SQL conditions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    FromClause,
    Table,
    bindparam,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from engine.core.model import TicketQuery
from storage.models import metadata
from storage.search import index_table, matches, words

REQUESTERS, LINKS = metadata.tables["requesters"], metadata.tables["ticket_requesters"]

_EQUAL = ("state", "post", "assignee", "process", "parent_id", "is_open")


def ticket_source(query: TicketQuery, *, tickets: Table, dialect: str
                  ) -> tuple[FromClause, ColumnElement[int]]:
    """What to select the query's tickets from, and the ticket id column to order and page
    on: with words, the search index joined to the tickets, ordered by the index's own key
    (FTS5 then hands rows over in id order and the first page stops early)."""
    if not query.words:
        return tickets, tickets.c.id
    index = index_table("ticket", dialect)
    key = next(iter(index.c))
    return index.join(tickets, tickets.c.id == key), key


def ticket_filters(query: TicketQuery, *, tickets: Table, dialect: str
                   ) -> list[ColumnElement[bool]]:
    """Every filter the query sets (paging aside), ANDed by the caller; with words, on the
    source :func:`ticket_source` gives."""
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
    if query.requester is not None:
        conditions.append(tickets.c.id.in_(_of_requester(query.requester)))
    if query.words:
        tokens = words(" ".join(query.words))
        conditions.append(matches("ticket", tokens, dialect) if tokens else false())
    return conditions


def _of_requester(start: str) -> Any:
    """The ids of the tickets of the requesters whose address or name starts with this."""
    pattern = start.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    people = select(REQUESTERS.c.id).where(or_(
        func.lower(REQUESTERS.c.email).like(pattern, escape="\\"),
        func.lower(REQUESTERS.c.name).like(pattern, escape="\\")))
    return select(LINKS.c.ticket_id).where(LINKS.c.requester_id.in_(people))


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
