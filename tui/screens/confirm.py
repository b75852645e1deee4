"""Asking before anything destructive or irreversible: y confirms, n or Esc declines."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static


class ConfirmScreen(ModalScreen[bool]):
    """A question, an optional body (a diff, a list), and yes/no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str, body: RenderableType | None = None, *,
                 yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.body = body
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(Content(self.question), id="confirm-question")
            if self.body is not None:
                with VerticalScroll(id="confirm-body"):
                    yield Static(self.body)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes}  y", variant="warning", id="confirm-yes")
                yield Button("No  n", id="confirm-no")
        yield Footer()  # this dialog's keys, not those of the screen under it

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
