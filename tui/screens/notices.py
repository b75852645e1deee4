"""The notifications the desk sent the agent's post since login; Enter opens the ticket."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Footer, Header, OptionList
from textual.widgets.option_list import Option

from tui.screens.base import DeskScreen
from tui.screens.session import Notice
from tui.screens.ticket import TicketScreen
from tui.widgets.key_lists import KeyList


class NoticesScreen(DeskScreen[None]):
    """Newest first."""

    shown: list[Notice]

    def compose(self) -> ComposeResult:
        yield Header()
        yield KeyList(id="notices-list")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Notifications"
        self.desk_changed()
        self.query_one(OptionList).focus()

    def desk_changed(self) -> None:
        box = self.query_one(OptionList)
        self.shown = list(reversed(self.session.notices))
        box.clear_options()
        box.add_options([Option(Content(f"{self.session.local(n.at)}  {n.title}: {n.message}"))
                         for n in self.shown]  # Content: plain text, no markup from data
                        or [Option("nothing yet", disabled=True)])

    @on(OptionList.OptionSelected)
    def open_ticket(self, event: OptionList.OptionSelected) -> None:
        ticket_id = self.shown[event.option_index].ticket_id if self.shown else None
        if ticket_id is not None:
            self.app.push_screen(TicketScreen(ticket_id))
