"""The state graph of a process version, a ticket's current state highlighted (m: Mermaid)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from engine.process.diagram import mermaid
from tui.screens.base import DeskScreen
from tui.widgets.state_graph import StateGraph


class GraphScreen(DeskScreen[None]):
    """One process version's graph; ``current`` is highlighted."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("m", "mermaid", "Mermaid text")]

    def __init__(self, digest: str, current: str | None = None,
                 branches: list[str] | None = None) -> None:
        super().__init__()
        self.digest = digest
        self.current = current
        self.branches = branches or []
        """The ticket's active branch states, highlighted with its state."""
        self.as_mermaid = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="graph-scroll"):
            yield StateGraph(id="graph")
            yield Static(id="graph-mermaid")
        yield Footer()

    def on_mount(self) -> None:
        compiled = self.attempt(lambda: self.desk.compiled(self.digest))
        if compiled is None:
            return
        self.title = compiled.spec.title
        self.sub_title = self.digest[:12] + (f" · at {self.current}" if self.current else "")
        current = [self.current, *self.branches] if self.current else None
        self.query_one(StateGraph).show(compiled.spec, current)
        self.query_one("#graph-mermaid", Static).update(mermaid(compiled.spec))
        self.query_one("#graph-mermaid").display = False
        self.query_one("#graph-scroll").focus()

    def action_mermaid(self) -> None:
        """Switch between the text graph and its Mermaid source."""
        self.as_mermaid = not self.as_mermaid
        self.query_one(StateGraph).display = not self.as_mermaid
        self.query_one("#graph-mermaid").display = self.as_mermaid

