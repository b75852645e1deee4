"""A requester and their tickets, newest first; Enter opens one (``u`` on a ticket)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from engine.core.model import Requester, Ticket
from engine.desk.reading import may_read
from engine.desk.requesters import Requesters
from tui.output import safe
from tui.screens.base import DeskScreen
from tui.widgets.key_lists import KeyList


def requester_lines(requester: Requester) -> str:
    """The requester's details, one per line (plain text: no markup from data)."""
    return "\n".join([f"{safe(requester.name)} <{safe(requester.email)}>",
                      f"phone: {safe(requester.phone)}",
                      f"organisation: {safe(requester.organisation)}"])


def ticket_option(ticket: Ticket) -> Option:
    closed = "" if ticket.is_open else " (closed)"
    return Option(f"#{ticket.id} {ticket.process} · {ticket.state}{closed} · "
                  f"{safe(ticket.data.get('summary'), 60)}", id=str(ticket.id))


class RequesterScreen(DeskScreen[None]):
    """The requester of a ticket, and every ticket of theirs."""

    def __init__(self, requester: Requester) -> None:
        super().__init__()
        self.requester = requester

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="requester-card", classes="pane")
        yield KeyList(id="requester-tickets", classes="pane")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Requester {self.requester.id}"
        self.sub_title = safe(self.requester.email)
        self.reload()
        self.query_one("#requester-tickets", OptionList).focus()

    def desk_changed(self) -> None:
        self.reload()

    def reload(self) -> None:
        card = self.query_one("#requester-card", Static)
        card.update(requester_lines(self.requester))
        card.border_title = "Requester"
        tickets = [t for t in self.attempt(
            lambda: Requesters(self.desk).tickets(self.requester.id or 0)) or []
                   if may_read(self.session.account, t)]
        box = self.query_one("#requester-tickets", OptionList)
        box.border_title = f"Tickets · {len(tickets or [])}"
        box.clear_options()
        box.add_options([ticket_option(t) for t in tickets or []])
        if tickets:
            box.highlighted = 0

    @on(OptionList.OptionSelected, "#requester-tickets")
    def open_ticket(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            from tui.screens.ticket import TicketScreen

            self.app.push_screen(TicketScreen(int(event.option.id)))
