"""A configuration item: its details, its impact and its open tickets (``i`` on a ticket);
``p`` changes its criticality, ``o`` its owner group. Enter opens a ticket."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, OptionList, Static

from engine.core.model import TicketQuery
from engine.desk.items import CRITICALITIES, Impact, Item, Items
from engine.desk.reading import readable
from tui.output import safe
from tui.screens.base import DeskScreen
from tui.screens.choice import ChoiceScreen
from tui.screens.requester import ticket_option
from tui.widgets.key_lists import KeyList


def item_lines(item: Item, impact: list[Impact]) -> str:
    """The item's details and impact, one per line (plain text: no markup from data)."""
    lines = [f"{safe(item.name)} · {safe(item.kind)} · {item.criticality}",
             f"owner group: {safe(item.owner_group)}   vendor: {safe(item.vendor)}",
             f"runs on: {', '.join(item.runs_on) or '-'}   depends on: "
             f"{', '.join(item.depends_on) or '-'}"]
    lines.append("impact: " + ("; ".join(f"{safe(i.item.name)} ({i.item.criticality})"
                                         for i in impact) if impact else "none"))
    return "\n".join(lines)


class ItemScreen(DeskScreen[None]):
    """One configuration item and the open tickets linked to it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "criticality", "Criticality"),
        Binding("o", "owner", "Owner group"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.item_name = name

    @property
    def items(self) -> Items:
        return Items(self.desk.store, self.desk.clock)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="item-card", classes="pane")
        yield KeyList(id="item-tickets", classes="pane")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Item {self.item_name}"
        self.reload()
        self.query_one("#item-tickets", OptionList).focus()

    def desk_changed(self) -> None:
        self.reload()

    def reload(self) -> None:
        item = self.attempt(lambda: self.items.get(self.item_name))
        if item is None:
            return
        card = self.query_one("#item-card", Static)
        card.update(item_lines(item, self.attempt(lambda: self.items.impact(item.name)) or []))
        card.border_title = "Configuration item"
        query = TicketQuery(item=item.name, item_fields=self.desk.item_fields(), is_open=True,
                            limit=100, descending=True)
        tickets = self.attempt(lambda: self.desk.tickets(readable(self.session.account,
                                                                  query))) or []
        box = self.query_one("#item-tickets", OptionList)
        box.border_title = f"Open tickets · {len(tickets)}"
        box.clear_options()
        box.add_options([ticket_option(t) for t in tickets])
        if tickets:
            box.highlighted = 0

    def action_criticality(self) -> None:
        self.app.push_screen(ChoiceScreen(f"Criticality of {self.item_name}",
                                          [(c, c) for c in CRITICALITIES]),
                             lambda value: self.change(criticality=value))

    def action_owner(self) -> None:
        groups = sorted({name for spec in self.desk.specs() for groups in spec.groups.values()
                         for name in groups.names or []})
        self.app.push_screen(ChoiceScreen(f"Owner group of {self.item_name}",
                                          [(g, g) for g in groups]),
                             lambda value: self.change(owner_group=value))

    def change(self, *, criticality: str | None = None, owner_group: str | None = None
               ) -> None:
        """Save the item with what was chosen changed (journaled, admins only)."""
        item = self.attempt(lambda: self.items.get(self.item_name))
        if item is None or (criticality, owner_group) == (None, None):
            return
        changed = replace(item, criticality=criticality or item.criticality,
                          owner_group=owner_group or item.owner_group)
        saved = self.attempt(lambda: self.items.load([changed], self.session.account))
        if saved:
            self.notify(f"{self.item_name} saved", title="Item changed")
        self.reload()

    @on(OptionList.OptionSelected, "#item-tickets")
    def open_ticket(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            from tui.screens.ticket import TicketScreen

            self.app.push_screen(TicketScreen(int(event.option.id)))
