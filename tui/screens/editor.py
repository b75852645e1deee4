"""Admin: edit a process file with its problems marked as you type and its graph alongside.

Ctrl+S writes the file; Ctrl+T runs the scenarios beside it that name the process;
Ctrl+D deploys after a confirmation that shows the diff against
the deployed version; nothing is deployed otherwise. Esc first leaves the text for the side
panes, then the screen (asking first when there are unsaved changes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static, TextArea

from engine.core.errors import NotFound, SpecError, TicketflowError
from engine.process.load import Process, parse_process
from tui.commands.scenarios import load_all, run_on_temporary_desk
from tui.i18n import _
from tui.screens.base import DeskScreen
from tui.screens.confirm import ConfirmScreen
from tui.widgets.diff_view import diff_text
from tui.widgets.state_graph import StateGraph
from tui.widgets.yaml_editor import YamlEditor

CHECK_DELAY = 0.25
"""Seconds of quiet typing before the file is checked again."""


def problems_by_line(error: SpecError) -> dict[int, str]:
    """0-based line → the problems reported on it."""
    found: dict[int, str] = {}
    for problem in error.problems:
        line = max(problem.line - 1, 0)
        found[line] = "; ".join(filter(None, [found.get(line), problem.message]))
    return found


class EditorScreen(DeskScreen[None]):
    """A process file in a YAML editor, checked as you type."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", _("Save")),
        Binding("ctrl+d", "deploy", _("Deploy"), priority=True),  # over the editor's delete-right
        Binding("ctrl+t", "test", _("Run scenarios")),
        Binding("f8", "next_problem", _("Next problem")),
        Binding("ctrl+f", "ask('find')", _("Find"), priority=True),  # over delete-word-right
        Binding("f3", "find_next", _("Find next"), show=False),
        Binding("ctrl+g", "ask('line')", _("Go to line"), priority=True),
        Binding("escape", "back", _("Back")),
    ]

    def __init__(self, path: Path, text: str) -> None:
        super().__init__()
        self.path = path
        self.saved_text = text
        self.process: Process | None = None
        self.problems: dict[int, str] = {}
        self.pending: Timer | None = None
        self.asking = ""
        """What the prompt under the text asks for: find, line, or nothing."""
        self.needle = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="editor-body"):
            yield YamlEditor(self.saved_text, id="editor-text")
            with Vertical(id="editor-side"):
                yield Static(id="editor-problems")
                yield Static(id="editor-scenarios")
                with VerticalScroll(id="editor-graph-scroll"):
                    yield StateGraph(id="editor-graph")
        yield Input(id="editor-prompt")
        yield Static(id="editor-status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Edit {self.path}"
        self.query_one("#editor-scenarios").display = False
        self.query_one("#editor-prompt").display = False
        self.check()
        self.query_one(YamlEditor).focus()

    @property
    def text(self) -> str:
        return self.query_one(YamlEditor).text

    @on(TextArea.Changed, "#editor-text")
    def edited(self) -> None:
        if self.pending is not None:
            self.pending.stop()
        self.pending = self.set_timer(CHECK_DELAY, self.check)

    @on(TextArea.SelectionChanged, "#editor-text")
    def moved(self) -> None:
        self._status()

    def check(self) -> None:
        """Validate the text; mark each problem at its line; redraw the graph if valid."""
        try:
            self.process = parse_process(self.text, str(self.path))
            self.problems = {}
        except SpecError as exc:
            self.problems = problems_by_line(exc)
        except TicketflowError as exc:
            self.problems = {0: str(exc)}
        self.query_one(YamlEditor).mark(self.problems)
        self._show_problems()
        graph = self.query_one(StateGraph)
        if self.process is not None:
            graph.show(self.process.spec)
            if self.problems:
                graph.border_title = f"{graph.border_title} · last valid"
        else:
            graph.update(Text("the state graph appears once the file is valid", style="dim"))
        self._status()

    def _show_problems(self) -> None:
        box = self.query_one("#editor-problems", Static)
        box.border_title = f"Problems · {len(self.problems)}"
        text = Text()
        for line, message in sorted(self.problems.items()):
            text.append(f"{line + 1:>4}  ", style="bold red")
            text.append(message + "\n")
        box.update(text if self.problems else Text("valid", style="green"))

    def _status(self) -> None:
        editor = self.query_one(YamlEditor)
        row, column = editor.cursor_location
        unsaved = " · unsaved" if self.text != self.saved_text else ""
        here = editor.problem_here
        self.query_one("#editor-status", Static).update(
            f"{row + 1}:{column + 1}{unsaved}" + (f"  ✗ {here}" if here else ""))

    def action_next_problem(self) -> None:
        editor = self.query_one(YamlEditor)
        row = editor.cursor_location[0]
        lines = sorted(self.problems)
        if lines:
            target = next((line for line in lines if line > row), lines[0])
            editor.move_cursor((target, 0))

    def action_save(self) -> bool:
        """Write the text to the file."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(self.text, encoding="utf-8")
        except OSError as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return False
        self.saved_text = self.text
        self.notify(f"{self.path} saved", title="Saved")
        self._status()
        return True

    def action_deploy(self) -> None:
        """Ask, showing the diff against the deployed version; deploy only on yes."""
        self.check()
        process = self.process
        if self.problems or process is None:
            self.notify("fix the problems first", title="Not deployed", severity="error")
            return
        try:
            deployed = self.desk.store.current_version(process.name)
            before, name = deployed.source, f"{process.name} v{deployed.number}"
        except NotFound:
            before, name = "", "(not deployed)"
        question = f"Deploy {process.name} from {self.path}? The file is saved first."
        self.app.push_screen(
            ConfirmScreen(question, diff_text(before, process.source, name, "editor"),
                          yes="Deploy"),
            lambda yes: self._deploy(process) if yes else None)

    def _deploy(self, process: Process) -> None:
        if not self.action_save():
            return
        done = self.attempt(lambda: self.desk.deploy([process], self.session.account))
        for item in done or []:
            status = "deployed" if item.new else "unchanged (already deployed)"
            self.notify(f"{item.name} v{item.number} {status}", title="Deploy")

    def scenario_files(self) -> list[Path]:
        """The scenario files beside the process file that name the process."""
        folder = self.path.parent / "scenarios"
        if self.process is None or not folder.is_dir():
            return []
        named = re.compile(rf"\b{re.escape(self.process.name)}\b")
        return [path for path in sorted(folder.glob("*.y*ml"))
                if named.search(path.read_text(encoding="utf-8"))]

    def action_test(self) -> None:
        """Run the process's scenarios (they read the saved file) on throwaway desks."""
        if self.text != self.saved_text:
            self.notify("save first (Ctrl+S): scenarios read the file", title="Scenarios",
                        severity="warning")
            return
        files = self.scenario_files()
        if not files:
            self.notify(f"no scenario in {self.path.parent / 'scenarios'} names this process",
                        title="Scenarios", severity="warning")
            return
        box = self.query_one("#editor-scenarios", Static)
        box.display = True
        box.border_title = "Scenarios"
        box.update(Text(f"running {len(files)} scenario(s)…", style="dim"))
        self.run_scenarios(files)

    @work(thread=True, exclusive=True)
    def run_scenarios(self, files: list[Path]) -> None:
        """Each scenario on its own temporary desk (as ``ticketflow test``), away from the
        screen's thread."""
        try:
            outcomes = [run_on_temporary_desk(scenario) for scenario in load_all(files)]
        except TicketflowError as exc:
            self.app.call_from_thread(self.report, exc)
            return
        self.app.call_from_thread(self.show_outcomes, outcomes)

    def show_outcomes(self, outcomes: list[Any]) -> None:
        """✓ or ✗ per scenario, and each failed expectation under it."""
        text = Text()
        for outcome in outcomes:
            passed = outcome.passed
            text.append(("✓ " if passed else "✗ ") + outcome.scenario.name + "\n",
                        style="green" if passed else "bold red")
            for failure in outcome.failures:
                text.append(f"    {failure}\n")
        failed = sum(not o.passed for o in outcomes)
        box = self.query_one("#editor-scenarios", Static)
        box.border_title = f"Scenarios · {len(outcomes) - failed} passed, {failed} failed"
        box.update(text)


    def action_ask(self, what: str) -> None:
        """Open the prompt under the text: a word to find, or a line to go to."""
        prompt = self.query_one("#editor-prompt", Input)
        self.asking = what
        prompt.placeholder = (_("find (Enter: next match, F3 again later)") if what == "find"
                              else _("go to LINE or LINE:COLUMN"))
        prompt.value = self.needle if what == "find" else ""
        prompt.display = True
        prompt.focus()

    @on(Input.Submitted, "#editor-prompt")
    def answered(self, event: Input.Submitted) -> None:
        asking, editor = self.asking, self.query_one(YamlEditor)
        self.close_prompt()
        if asking == "find":
            self.needle = event.value
            self.action_find_next()
        elif not editor.go_to(event.value):
            self.notify(_("{place!r} is not a line (LINE or LINE:COLUMN)").format(
                place=event.value), title=_("Go to line"), severity="warning")

    def action_find_next(self) -> None:
        if self.needle and not self.query_one(YamlEditor).find(self.needle):
            self.notify(_("{needle!r} is not in the file").format(needle=self.needle),
                        title=_("Find"), severity="warning")

    def close_prompt(self) -> None:
        self.asking = ""
        self.query_one("#editor-prompt").display = False
        self.query_one(YamlEditor).focus()

    def action_back(self) -> None:
        if self.asking:
            self.close_prompt()
            return
        if self.text == self.saved_text:
            self.dismiss()
            return
        self.app.push_screen(ConfirmScreen("Leave the editor and lose the unsaved changes?",
                                           yes="Discard"),
                             lambda yes: self.dismiss() if yes else None)
