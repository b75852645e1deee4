"""The queue's columns — what each shows of a ticket and which sort it stands for — and the
order ``>`` and ``<`` walk the sorts in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from engine.core.model import NO_DUE, Ticket, sla_due
from engine.process.durations import spoken
from tui.output import safe
from tui.widgets.queue_list import Column

SORTS = ["id", "priority", "sla_due", "assignee", "requester", "state"]
"""The sorts ``>`` goes through, left to right as the columns stand (``id``: the opening
order, which is also the age)."""
LABELS = {"id": "age", "priority": "priority", "sla_due": "SLA due", "assignee": "assignee",
          "requester": "requester", "state": "state"}
COLUMNS = [Column("#", 7, "id"), Column("state", 14, "state"),
           Column("priority", 8, "priority"), Column("SLA left", 12, "sla_due"),
           Column("due", 11), Column("age", 4), Column("assignee", 9, "assignee"),
           Column("requester", 10, "requester"), Column("summary", 0)]


def headed(sort: str, descending: bool) -> list[Column]:
    """The columns, the one sorted on marked ▲ (ascending) or ▼."""
    mark = " ▼" if descending else " ▲"
    return [Column(c.title + mark, c.width, c.sort) if c.sort == sort else c for c in COLUMNS]


def next_sort(sort: str, step: int) -> str:
    return SORTS[(SORTS.index(sort) + step) % len(SORTS)]


def age(delta: timedelta) -> str:
    """``42s``, ``5m``, ``3h``, ``12d``: how long a ticket has been open, in one unit."""
    seconds = max(int(delta.total_seconds()), 0)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def sla_cells(ticket: Ticket, now: datetime, due: Callable[[datetime], str]) -> list[str]:
    """The SLA's time left (``22 min``, ``9 min 05 s``, ``over 4 min``) and due time (``14:05``,
    the date too when not today), or blanks."""
    moment = sla_due(ticket.sla)
    if moment == NO_DUE or not ticket.is_open:
        return ["", ""]
    left = moment - now
    return [f"over {spoken(left)}" if left < timedelta(0) else spoken(left), due(moment)]


def cells(ticket: Ticket, *, now: datetime, due: Callable[[datetime], str],
          requester: str | None) -> list[str]:
    """One ticket's cells, as :data:`COLUMNS` show them."""
    summary = ticket.data.get("summary") or ticket.data.get("title") or ""
    return [f"#{ticket.id}", ticket.state, safe(ticket.data.get("priority") or ""),
            *sla_cells(ticket, now, due), age(now - ticket.opened_at), safe(ticket.assignee),
            safe(requester or ""), safe(summary, 200)]
