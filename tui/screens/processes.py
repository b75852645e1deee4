"""Admin: deployed processes and their versions, a version's source, and what changed."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from engine.core.model import ProcessVersion
from tui.screens.base import DeskScreen
from tui.screens.editor import EditorScreen
from tui.screens.graph import GraphScreen
from tui.widgets.diff_view import DiffView
from tui.widgets.key_lists import KeyList


def label(version: ProcessVersion, current: bool, marked: bool) -> str:
    """One line of the version list."""
    flags = ("● " if marked else "  ") + ("current " if current else "")
    return (f"{flags}{version.name} v{version.number}  {version.digest[:10]}  "
            f"{version.deployed_by}")


class ProcessesScreen(DeskScreen[None]):
    """Versions on the left; the source (or a diff) of the highlighted one on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "Mark for diff"),
        Binding("d", "diff", "Diff"),
        Binding("s", "graph", "State graph"),
        Binding("e", "edit", "Edit"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.versions: list[ProcessVersion] = []
        self.marked: ProcessVersion | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="processes-body"):
            yield KeyList(id="processes-list")
            with VerticalScroll(id="processes-detail"):
                yield Static(id="processes-source")
                yield DiffView(id="processes-diff")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Processes"
        self.action_reload()
        self.query_one("#processes-list").focus()

    def action_reload(self) -> None:
        found = self.attempt(self.desk.versions) or []
        self.versions = sorted(found, key=lambda v: (v.name, -v.number))
        self._list()

    def _list(self) -> None:
        box = self.query_one("#processes-list", OptionList)
        highlighted = box.highlighted
        current = {v.name: v.digest for v in sorted(self.versions, key=lambda v: v.number)}
        box.clear_options()
        box.add_options([Option(label(v, current[v.name] == v.digest, v is self.marked),
                                id=v.digest) for v in self.versions])
        box.border_title = f"{len(current)} processes · {len(self.versions)} versions"
        if self.versions:
            box.highlighted = min(highlighted or 0, len(self.versions) - 1)

    @property
    def selected(self) -> ProcessVersion | None:
        index = self.query_one("#processes-list", OptionList).highlighted
        return self.versions[index] if index is not None and self.versions else None

    @on(OptionList.OptionHighlighted, "#processes-list")
    def show_source(self) -> None:
        version = self.selected
        if version is None:
            return
        source = self.query_one("#processes-source", Static)
        deployed = self.session.local(version.deployed_at)
        source.border_title = f"{version.path} · v{version.number} · {deployed}"
        source.update(Syntax(version.source, "yaml", line_numbers=True, word_wrap=True))
        source.display = True
        self.query_one(DiffView).display = False

    def action_mark(self) -> None:
        version = self.selected
        self.marked = None if version is self.marked else version
        self._list()

    def action_diff(self) -> None:
        """Diff the marked version (or the one before) against the highlighted one."""
        version = self.selected
        if version is None:
            return
        before = self.marked if self.marked is not version else None
        before = before or next((v for v in self.versions if v.name == version.name
                                 and v.number == version.number - 1), None)
        if before is None:
            self.notify("mark a version with space, or pick one with a version before it",
                        title="Diff", severity="warning")
            return
        self.query_one(DiffView).show(before.source, version.source,
                                      f"{before.name} v{before.number}",
                                      f"{version.name} v{version.number}")
        self.query_one(DiffView).display = True
        self.query_one("#processes-source").display = False

    def action_graph(self) -> None:
        if self.selected is not None:
            self.app.push_screen(GraphScreen(self.selected.digest))

    def action_edit(self) -> None:
        """Edit the version's file (its deployed source when the file is gone)."""
        version = self.selected
        if version is not None:
            path = Path(version.path)
            text = path.read_text(encoding="utf-8") if path.is_file() else version.source
            self.app.push_screen(EditorScreen(path, text), lambda _: self.action_reload())
