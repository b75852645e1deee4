"""The ticket filters of a :class:`engine.core.model.TicketQuery`, as SQL conditions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    FromClause,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    tuple_,
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


PRIORITIES = ("critical", "high", "normal", "low")
"""How the ``priority`` sort ranks a ticket's ``priority`` field: most urgent first, any
other value (or none) after these."""


def ordered(statement: Select[Any], query: TicketQuery, *, tickets: Table, key: Any,
            dialect: str) -> Select[Any]:
    """The statement in the query's order (its sort, then the id ``key``), from the ticket
    after ``query.after`` — whose own sort value is looked up, so paging needs only ids."""
    down = query.descending
    if query.sort == "id":
        if query.after is not None:
            statement = statement.where(key < query.after if down else key > query.after)
        return statement.order_by(key.desc() if down else key)
    value = sort_value(query.sort, tickets, dialect)
    if query.after is not None:
        boundary = tickets.alias("boundary")
        seen = select(sort_value(query.sort, boundary, dialect)).where(
            boundary.c.id == query.after).scalar_subquery()
        pair, last = tuple_(value, key), tuple_(seen, query.after)
        statement = statement.where(pair < last if down else pair > last)
    return statement.order_by(*((value.desc(), key.desc()) if down else (value, key)))


def sort_value(sort: str, tickets: Any, dialect: str) -> Any:
    """What a sort orders tickets by (never NULL, so that pairs compare)."""
    if sort in ("sla_due", "state"):
        return tickets.c[sort]
    if sort == "assignee":
        return func.coalesce(tickets.c.assignee, "")
    if sort == "priority":
        field = (func.json_extract(tickets.c.data, "$.priority") if dialect == "sqlite"
                 else tickets.c.data.op("->>")("priority"))
        return case({name: rank for rank, name in enumerate(PRIORITIES)}, value=field,
                    else_=len(PRIORITIES))
    if sort == "requester":
        name = (select(func.lower(REQUESTERS.c.name))
                .join(LINKS, LINKS.c.requester_id == REQUESTERS.c.id)
                .where(LINKS.c.ticket_id == tickets.c.id).scalar_subquery())
        return func.coalesce(name, "")
    raise ValueError(f"no sort {sort!r}")


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
    if query.at_risk_at is not None:
        conditions.append(SlaAtRisk(tickets.c.sla, query.at_risk_at))
    if query.states:
        conditions.append(tickets.c.state.in_(query.states))
    if query.requester is not None:
        conditions.append(tickets.c.id.in_(_of_requester(query.requester)))
    if query.words:
        tokens = words(query.words)
        conditions.append(matches("ticket", tokens, dialect) if tokens else false())
    if query.group is not None:
        conditions.append(or_(false(), *(
            and_(tickets.c.post == post, DataText(tickets.c.data, field) == query.group)
            for post, field in query.group_fields)))
    if query.item is not None:
        conditions.append(or_(false(), *(DataText(tickets.c.data, field) == query.item
                                         for field in query.item_fields)))
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
    UTC ISO 8601 strings, which compare in time order as text. ``WHERE`` holds the
    condition on one clock per dialect (``{moment}`` is the moment's parameter).
    """

    type = Boolean()
    inherit_cache = False
    WHERE: ClassVar[dict[str, str]] = {
        "sqlite": "json_extract(clock.value, '$.breached') = 1 "
                  "OR (json_extract(clock.value, '$.since') IS NOT NULL "
                  "AND json_extract(clock.value, '$.due') < {moment})",
        "postgresql": "(clock.value ->> 'breached')::boolean "
                      "OR (clock.value ->> 'since' IS NOT NULL "
                      "AND clock.value ->> 'due' < {moment})",
    }

    def __init__(self, sla: ColumnElement[Any], moment: datetime) -> None:
        self.sla = sla
        self.moment: BindParameter[str] = bindparam(
            None, moment.astimezone(UTC).isoformat(), unique=True)


class SlaAtRisk(SlaOverdue):
    """Whether one of a ticket's SLA clocks runs past its warning point at a moment, not yet
    past its limit (nor breached)."""

    inherit_cache = False
    WHERE: ClassVar[dict[str, str]] = {
        "sqlite": "json_extract(clock.value, '$.since') IS NOT NULL "
                  "AND NOT json_extract(clock.value, '$.breached') "
                  "AND json_extract(clock.value, '$.warn') <= {moment} "
                  "AND json_extract(clock.value, '$.due') > {moment}",
        "postgresql": "clock.value ->> 'since' IS NOT NULL "
                      "AND NOT (clock.value ->> 'breached')::boolean "
                      "AND clock.value ->> 'warn' <= {moment} "
                      "AND clock.value ->> 'due' > {moment}",
    }


@compiles(SlaOverdue, "sqlite")
def _sqlite_clocks(element: SlaOverdue, compiler: SQLCompiler, **kw: Any) -> str:
    sla, moment = compiler.process(element.sla, **kw), compiler.process(element.moment, **kw)
    where = element.WHERE["sqlite"].format(moment=moment)
    return f"EXISTS (SELECT 1 FROM json_each({sla}, '$.clocks') AS clock WHERE {where})"


@compiles(SlaOverdue, "postgresql")
def _postgresql_clocks(element: SlaOverdue, compiler: SQLCompiler, **kw: Any) -> str:
    sla, moment = compiler.process(element.sla, **kw), compiler.process(element.moment, **kw)
    where = element.WHERE["postgresql"].format(moment=moment)
    return f"EXISTS (SELECT 1 FROM json_each({sla} -> 'clocks') AS clock WHERE {where})"


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
