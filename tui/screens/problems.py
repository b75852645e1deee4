"""Problem records (``p`` on the queues): every problem, and for the highlighted one its
card (state, item, workaround, root cause) and the tickets linked to it. Enter on a problem
or a linked ticket opens it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from engine.core.model import Ticket
from engine.desk.problems import Problems, workaround
from engine.desk.reading import may_read
from tui.output import safe
from tui.screens.base import DeskScreen
from tui.screens.requester import ticket_option
from tui.widgets.key_lists import KeyList


def problem_lines(problem: Ticket, linked: int) -> str:
    """A problem's card, one fact a line (plain text: no markup from data)."""
    data = problem.data
    lines = [f"#{problem.id} · {problem.state}" + ("" if problem.is_open else " (closed)")
             + f" · {safe(data.get('summary'), 80)}",
             f"assignee: {safe(problem.assignee)}   item: {safe(data.get('item'))}   "
             f"linked tickets: {linked}"]
    shown = workaround(problem)
    if shown:
        lines.append(f"workaround (known error): {safe(shown, 400)}")
    for key in ("root_cause", "resolution", "close_reason"):
        if data.get(key):
            lines.append(f"{key.replace('_', ' ')}: {safe(data[key], 400)}")
    return "\n".join(lines)


class ProblemsScreen(DeskScreen[None]):
    """Every problem; the highlighted one's card and linked tickets."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[Ticket] = []
        self.counts: dict[int, int] = {}

    @property
    def service(self) -> Problems:
        return Problems(self.desk)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="problems-body"):
            yield KeyList(id="problems-list", classes="pane")
            with Vertical(id="problems-right"):
                yield Static(id="problem-card", classes="pane")
                yield KeyList(id="problem-tickets", classes="pane")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Problems"
        self.reload()
        self.query_one("#problems-list", OptionList).focus()

    def desk_changed(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.problems = self.attempt(lambda: self.service.all()) or []
        self.counts = self.attempt(self.service.counts) or {}
        box = self.query_one("#problems-list", OptionList)
        kept = box.highlighted
        box.border_title = f"Problems · {len(self.problems)}"
        box.clear_options()
        box.add_options([Option(f"#{p.id} {p.state}" + ("" if p.is_open else " (closed)")
                                + f" · {self.counts.get(p.id, 0)} linked · "
                                + safe(p.data.get("summary"), 50), id=str(p.id))
                         for p in self.problems])
        if self.problems:
            box.highlighted = min(kept or 0, len(self.problems) - 1)
        self.show_problem()

    @on(OptionList.OptionHighlighted, "#problems-list")
    def highlighted(self) -> None:
        self.show_problem()

    def current(self) -> Ticket | None:
        at = self.query_one("#problems-list", OptionList).highlighted
        return self.problems[at] if at is not None and at < len(self.problems) else None

    def show_problem(self) -> None:
        problem = self.current()
        card = self.query_one("#problem-card", Static)
        card.border_title = "Problem"
        box = self.query_one("#problem-tickets", OptionList)
        box.clear_options()
        if problem is None:
            card.update(Content("No problem recorded yet: open a ticket of the process "
                                "'problem'."))
            box.border_title = "Linked tickets"
            return
        linked = self.attempt(lambda: self.service.linked(problem.id)) or []
        card.update(Content(problem_lines(problem, len(linked))))  # plain: no markup
        readable = [t for t in linked if may_read(self.session.account, t)]
        box.border_title = f"Linked tickets · {len(readable)}" + (
            f" of {len(linked)}" if len(readable) != len(linked) else "")
        box.add_options([ticket_option(t) for t in readable])

    @on(OptionList.OptionSelected, "#problems-list")
    @on(OptionList.OptionSelected, "#problem-tickets")
    def open_ticket(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            from tui.screens.ticket import TicketScreen

            self.app.push_screen(TicketScreen(int(event.option.id)))
