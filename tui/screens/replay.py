"""Auditor: replay a ticket — step through its journal with ←/→, seeing state and data
rebuilt at each step from the events' recorded changes; v runs the verifier when present."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from engine.audit.audit import Audit
from engine.core.journal import Event
from engine.desk.reading import check_read
from tui.screens.base import DeskScreen
from tui.widgets.key_lists import KeyList
from tui.widgets.ticket_card import shown
from tui.widgets.timeline import describe_changes, event_line, note_lines


@dataclass(frozen=True)
class Step:
    """The ticket as it stood right after one event."""

    event: Event
    state: str | None
    post: str | None
    assignee: str | None
    data: dict[str, Any]
    branches: dict[str, str] = field(default_factory=dict)
    """In a fork: branch → its active state (as replay rebuilds them)."""


def rebuild(events: list[Event], start_posts: dict[str, str | None]) -> list[Step]:
    """Each step's state and data, from the events' ``changes`` (``start_posts``: state → post)."""
    steps: list[Step] = []
    state = post = assignee = None
    data: dict[str, Any] = {}
    branches: dict[str, str] = {}
    for event in events:
        if event.kind == "open":
            post = start_posts.get(event.dest or "")
        for name, (_, after) in event.changes.items():
            if name == "_post":
                post = after
            elif name == "_assignee":
                assignee = after
            elif after is None:
                data.pop(name, None)
            else:
                data[name] = after
        state = event.dest or state
        if event.kind in ("fire", "timer"):
            branches = dict(event.details.get("branches", {}))
        steps.append(Step(event, state, post, assignee, dict(data), branches))
    return steps


def step_table(step: Step) -> Table:
    """The ticket at a step; the fields this event changed are highlighted."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    changed = {name.lstrip("_") for name in step.event.changes}
    branches = [(f"branch {name}", inner) for name, inner in step.branches.items()]
    for name, value in [("state", step.state), *branches, ("post", step.post),
                        ("assignee", step.assignee), *step.data.items()]:
        style = "bold yellow" if name in changed or (
            name == "state" and step.event.source != step.event.dest) or (
            name == f"branch {step.event.details.get('branch')}") else ""
        grid.add_row(Text(name, style=style), Text(shown(value, 300), style=style))
    return grid


def verdict(ticket_id: int, report: Any) -> Text:
    """A verification report as the auditor reads it: a verdict, then each violation."""
    if report.ok:
        return Text(f"✓ ticket {ticket_id}: the hash chain holds and each of its "
                    f"{report.events} events was a legal step", style="bold green")
    text = Text(f"✗ ticket {ticket_id}: {len(report.violations)} problem(s)\n",
                style="bold red")
    for violation in report.violations:
        text.append(f"  {violation}\n")
    return text


class ReplayScreen(DeskScreen[None]):
    """One ticket's journal, one step at a time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "step(-1)", "Previous"),
        Binding("right,l", "step(1)", "Next"),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("v", "verify", "Verify"),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.steps: list[Step] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="replay-body"):
            yield KeyList(id="replay-events")
            with Vertical(id="replay-side"):
                yield Static(id="replay-event")
                with VerticalScroll(id="replay-state-scroll"):
                    yield Static(id="replay-state")
        yield Static(id="replay-verify")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Replay #{self.ticket_id}"
        self.steps = self.attempt(self._rebuild) or []
        box = self.query_one("#replay-events", OptionList)
        box.add_options([Option(f"{s.event.seq:>3} {self.session.local(s.event.at)} "
                                f"{s.event.actor}: {event_line(s.event)}") for s in self.steps])
        box.border_title = f"Journal · {len(self.steps)} events"
        self.query_one("#replay-verify").display = False
        if self.steps:
            box.highlighted = 0
        box.focus()

    def _rebuild(self) -> list[Step]:
        check_read(self.session.account, self.desk.ticket(self.ticket_id))
        events = self.desk.history(self.ticket_id)
        posts: dict[str, str | None] = {}
        for digest in {e.digest for e in events}:
            states = self.desk.compiled(digest).spec.states
            posts.update({name: state.post for name, state in states.items()})
        return rebuild(events, posts)

    @on(OptionList.OptionHighlighted, "#replay-events")
    def show_step(self, event: OptionList.OptionHighlighted) -> None:
        step = self.steps[event.option_index]
        journal = step.event
        head = Text()
        head.append(f"step {journal.seq} of {len(self.steps)}  ", style="bold")
        head.append(f"{self.session.local(journal.at, seconds=True)}  {journal.actor}  "
                    f"{journal.kind}\n{event_line(journal)}\n")
        for line in describe_changes(journal.changes):
            head.append(f"  {line}\n", style="dim")
        if journal.note:
            lines = note_lines(journal.note, 300)
            head.append("note: " + "\n      ".join(lines) + "\n", style="italic")
        head.append(f"hash {journal.hash[:16]}…  previous {journal.prev_hash[:16] or '-'}",
                    style="dim")
        self.query_one("#replay-event", Static).update(head)
        self.query_one("#replay-state", Static).update(step_table(step))

    def action_step(self, delta: int) -> None:
        box = self.query_one("#replay-events", OptionList)
        if self.steps:
            box.highlighted = max(0, min((box.highlighted or 0) + delta, len(self.steps) - 1))

    def action_jump(self, index: int) -> None:
        if self.steps:
            self.query_one("#replay-events", OptionList).highlighted = index % len(self.steps)

    def action_verify(self) -> None:
        audit = Audit(self.session.workspace.store, self.desk.clock)
        report = self.attempt(lambda: audit.verify([self.ticket_id]))
        if report is None:
            return
        box = self.query_one("#replay-verify", Static)
        box.display = True
        box.update(verdict(self.ticket_id, report))

