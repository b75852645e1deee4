"""A small dialog: pick one of a few named choices (an event to record, an account, …)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets.key_lists import KeyList


class ChoiceScreen(ModalScreen[str | None]):
    """Choices as ``(id, label)``; Enter returns the id, Esc returns None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.choice_title = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box"):
            yield Static(Content(self.choice_title), id="choice-title")
            yield KeyList(*[Option(Content(label), id=key) for key, label in self.choices],
                             id="choice-list")
        yield Footer()  # this dialog's keys, not those of the screen under it

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
