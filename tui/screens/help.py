"""? — the keys of the screen below, and the conventions every screen shares."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

CONVENTIONS = [
    ("↑ ↓ / j k", "move"), ("g G / Home End", "first / last"), ("PgUp PgDn", "page"),
    ("Enter", "open or choose"), ("Tab / Shift+Tab", "next / previous pane"),
    ("Esc", "back, or cancel a dialog"), ("/", "filter a queue"),
    ("Ctrl+P", "command palette: this screen's commands, themes, quit"),
    ("Ctrl+S", "submit a form, save a file"), ("Ctrl+Q", "quit"),
]


def keys_table(screen: Screen[Any]) -> Table:
    """The screen's active keys, then the shared conventions."""
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("key", no_wrap=True)
    table.add_column("does")
    seen = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        own = active.node in (screen, screen.app)
        if own and binding.description and active.enabled and binding.action not in seen:
            seen.add(binding.action)
            describe = getattr(screen, "describe", None)
            table.add_row(binding.key_display or key,
                          describe(binding) if describe else binding.description)
    table.add_row("", "")
    for key, does in CONVENTIONS:
        table.add_row(key, does, style="dim")
    return table


class HelpScreen(ModalScreen[None]):
    """Keys of the screen it was opened from."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.below = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            title = self.below.title or self.below.__class__.__name__
            yield Static(Content(f"Keys — {title}"), id="help-title")
            yield Static(keys_table(self.below))
        yield Footer()  # this dialog's keys, not those of the screen under it

    def action_close(self) -> None:
        self.dismiss(None)
