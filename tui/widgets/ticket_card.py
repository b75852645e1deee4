"""A ticket's fields at a glance: where it is, who holds it, and its data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from engine.model import Ticket
from engine.spec import ProcessSpec
from tui.output import safe

Local = Callable[[datetime | None], str]


def card(ticket: Ticket, spec: ProcessSpec, version: int, local: Local) -> Table:
    """The ticket as a two-column grid: label, value."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
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
    for label, value in rows:
        grid.add_row(label, Text(value))
    grid.add_row("", "")
    for name, field in spec.fields.items():
        if name in ticket.data:
            grid.add_row(field.title or name, Text(safe(ticket.data[name], 500)))
    return grid


class TicketCard(Static):
    """Shows one ticket's card; the screen gives it the ticket and its process."""

    def show(self, ticket: Ticket, spec: ProcessSpec, version: int, local: Local) -> None:
        self.border_title = f"#{ticket.id}"
        self.update(card(ticket, spec, version, local))
