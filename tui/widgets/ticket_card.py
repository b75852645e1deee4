"""A ticket's fields at a glance: where it is, who holds it, and its data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from engine.core.model import Ticket
from engine.process.spec import ProcessSpec
from tui.output import safe

Local = Callable[[datetime | None], str]


def shown(value: Any, limit: int = 500) -> str:
    """A field value as the process file writes it: true/false, numbers, text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe(value, limit)


def _branch_text(spec: ProcessSpec, inner: str) -> str:
    """An active branch: its state's title, post, and whether it is done."""
    state = spec.states.get(inner)
    title = state.title if state and state.title else inner
    done = " · done" if state is not None and state.kind == "end" else ""
    return f"{title} · {safe(state.post if state else None)}{done}"


def card(ticket: Ticket, spec: ProcessSpec, version: int, local: Local) -> Table:
    """The ticket as a two-column grid: label, value."""
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column(style="bold", no_wrap=True, overflow="ellipsis", max_width=24)
    grid.add_column(ratio=1)
    state = spec.states.get(ticket.state)
    status = "open" if ticket.is_open else "closed"
    rows = [
        ("process", f"{spec.title} ({ticket.process} v{version})"),
        ("state", f"{(state.title if state and state.title else ticket.state)} · {status}"),
        ("post", safe(ticket.post)),
        ("assignee", safe(ticket.assignee)),
        ("opened", f"{local(ticket.opened_at)} by {ticket.opened_by}"),
        ("in state since", local(ticket.state_since)),
        ("updated", local(ticket.updated_at)),
    ]
    if ticket.parent_id is not None:
        rows.append(("parent", f"#{ticket.parent_id}"))
    rows[2:2] = [(f"branch {branch}", _branch_text(spec, inner))
                 for branch, inner in ticket.branches.items()]
    for label, value in rows:
        grid.add_row(label, Text(value))
    grid.add_row("", "")
    for name, field in spec.fields.items():
        if name in ticket.data:
            grid.add_row(field.title or name, Text(shown(ticket.data[name])))
    return grid


class TicketCard(Static):
    """Shows one ticket's card; the screen gives it the ticket and its process."""

    def show(self, ticket: Ticket, spec: ProcessSpec, version: int, local: Local) -> None:
        self.border_title = f"#{ticket.id}"
        self.update(card(ticket, spec, version, local))
