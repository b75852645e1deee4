"""Auditor: the assessment per post and period, and the tickets behind each figure."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from engine.assessment.report import Assessor, find_assessment
from tui.screens.base import DeskScreen
from tui.screens.ticket import TicketScreen
from tui.widgets.key_lists import KeyList, KeyTable


class AssessmentScreen(DeskScreen[None]):
    """Figures of every assessed post for a month (YYYY-MM) or a year (YYYY)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "period", "Period"), Binding("r", "reload", "Reload")]

    def __init__(self) -> None:
        super().__init__()
        self.assessor: Any = None
        self.keys: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="assessment-bar"):
            yield Static("Period", id="assessment-label")
            yield Input(placeholder="YYYY-MM or YYYY", id="assessment-period")
        yield KeyTable(id="assessment-table", cursor_type="row")
        yield Static(id="assessment-detail-title")
        yield KeyList(id="assessment-tickets")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Assessment"
        store = self.session.workspace.store
        self.assessor = self.attempt(lambda: Assessor(store, find_assessment()))
        period = self.query_one("#assessment-period", Input)
        period.value = self.session.now().astimezone(self.session.zone).strftime("%Y-%m")
        table = self.query_one(DataTable)
        table.add_columns("post", "indicator", "counted", "rate", "score", "weight")
        self.action_reload()
        table.focus()

    def action_period(self) -> None:
        self.query_one("#assessment-period", Input).focus()

    @on(Input.Submitted, "#assessment-period")
    def action_reload(self) -> None:
        if self.assessor is None:
            return
        period = self.query_one("#assessment-period", Input).value.strip()
        report = self.attempt(lambda: self.assessor.report(period))
        if report is None:
            return
        table = self.query_one(DataTable)
        table.clear()
        self.keys = []
        for post in report.posts:
            for figure in post.figures:
                table.add_row(post.post, Text(figure.title),
                              f"{figure.numerator}/{figure.denominator}",
                              figure.rate_text, figure.score_text, str(figure.weight))
                self.keys.append((post.post, figure.indicator))
            table.add_row(post.post, "total", "", "", post.total_text, "")
            self.keys.append((post.post, ""))
        self.sub_title = f"{report.period.label} · {report.time_zone}"
        table.focus()

    @on(DataTable.RowSelected, "#assessment-table")
    def drill_down(self, event: DataTable.RowSelected) -> None:
        post, indicator = self.keys[event.cursor_row]
        if not indicator:
            return
        period = self.query_one("#assessment-period", Input).value.strip()
        explained = self.attempt(lambda: self.assessor.explain(period, indicator, post))
        if explained is None:
            return
        self.query_one("#assessment-detail-title", Static).update(
            f"{explained.figure.title} · {post}: ✓ counted on the numerator, ✗ the others")
        box = self.query_one("#assessment-tickets", OptionList)
        box.clear_options()
        box.add_options([Option(f"{'✓' if c.hit else '✗'} #{c.ticket_id}"
                                + (f"  {self.session.local(c.at)}" if c.at else ""),
                                id=str(c.ticket_id))
                         for c in [*explained.counted, *explained.others]]
                        or [Option("no tickets", disabled=True)])
        box.focus()

    @on(OptionList.OptionSelected, "#assessment-tickets")
    def open_ticket(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(TicketScreen(int(event.option.id)))
