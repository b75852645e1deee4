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

from engine.assessment.indicators import Count
from engine.assessment.report import Assessor, Explanation, find_assessment
from engine.assessment.stints import Record
from tui.i18n import _
from tui.output import safe
from tui.reasons import why
from tui.screens.assessment_trend import TrendScreen
from tui.screens.base import DeskScreen
from tui.screens.ticket import TicketScreen
from tui.widgets.key_lists import KeyList, KeyTable

FOCUS_ORDER = ("#assessment-table", "#assessment-tickets", "#assessment-period")
"""Tab goes from the figures to the tickets behind them, then to the period."""
SHOWN_TICKETS = 200
"""The most tickets the drill-down lists (``ticketflow assess --explain`` lists them all)."""


class AssessmentScreen(DeskScreen[None]):
    """Figures of every assessed post for a month (YYYY-MM) or a year (YYYY)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "period", _("Period")), Binding("t", "trend", _("Trend")),
        Binding("r", "reload", _("Reload")),
        Binding("tab", "next_pane(1)", _("Next pane"), show=False),
        Binding("shift+tab", "next_pane(-1)", _("Previous pane"), show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.assessor: Any = None
        self.keys: list[tuple[str, str]] = []
        self.records: list[Record] = []
        self.period = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="assessment-bar"):
            yield Static(_("Period"), id="assessment-label")
            yield Input(placeholder=_("YYYY-MM or YYYY"), id="assessment-period")
        yield KeyTable(id="assessment-table", cursor_type="row")
        yield Static(id="assessment-detail-title")
        yield KeyList(id="assessment-tickets")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Assessment")
        store = self.session.workspace.store
        self.assessor = self.attempt(lambda: Assessor(store, find_assessment()))
        period = self.query_one("#assessment-period", Input)
        period.value = self.session.now().astimezone(self.session.zone).strftime("%Y-%m")
        table = self.query_one(DataTable)
        table.add_columns(_("post"), _("indicator"), _("counted"), _("rate"), _("score"),
                          _("weight"))
        self.action_reload()
        table.focus()

    def action_period(self) -> None:
        self.query_one("#assessment-period", Input).focus()

    def action_trend(self) -> None:
        """Each post's total over the twelve months up to the period, as a picture."""
        if self.assessor is not None and self.period:
            self.app.push_screen(TrendScreen(self.assessor, self.period))

    def action_next_pane(self, step: int) -> None:
        """Tab and Shift+Tab: figures → tickets → period, and round."""
        focused = self.focused
        ids = [self.query_one(selector) for selector in FOCUS_ORDER]
        index = ids.index(focused) if focused in ids else -step
        ids[(index + step) % len(ids)].focus()

    @on(Input.Submitted, "#assessment-period")
    def action_reload(self) -> None:
        if self.assessor is None:
            return
        period = self.query_one("#assessment-period", Input).value.strip()
        report = self.attempt(lambda: self.assessor.report(period))
        if report is None:
            return
        self.period, self.records = period, self.assessor.records(report.period)
        table = self.query_one(DataTable)
        table.clear()
        self.keys = []
        for post in report.posts:
            for figure in post.figures:
                table.add_row(post.post, Text(figure.title),
                              f"{figure.numerator}/{figure.denominator}",
                              figure.rate_text, figure.score_text, str(figure.weight))
                self.keys.append((post.post, figure.indicator))
            table.add_row(post.post, _("total"), "", "", post.total_text, "")
            self.keys.append((post.post, ""))
        self.sub_title = f"{report.period.label} · {report.time_zone}"
        table.focus()
        self.show_tickets(table.cursor_row)

    @on(DataTable.RowHighlighted, "#assessment-table")
    def follow_figure(self, event: DataTable.RowHighlighted) -> None:
        self.show_tickets(event.cursor_row)

    @on(DataTable.RowSelected, "#assessment-table")
    def drill_down(self, event: DataTable.RowSelected) -> None:
        self.show_tickets(event.cursor_row)
        self.query_one("#assessment-tickets", OptionList).focus()

    def show_tickets(self, row: int) -> None:
        """List the tickets behind the figure on this row, with why each counts or not."""
        if not 0 <= row < len(self.keys):
            return
        post, indicator = self.keys[row]
        box = self.query_one("#assessment-tickets", OptionList)
        title = self.query_one("#assessment-detail-title", Static)
        box.clear_options()
        if not indicator:
            title.update(_("{post}: the total is the sum of the scores; n/a scores are skipped")
                         .format(post=post))
            return
        explained = self.attempt(
            lambda: self.assessor.explain(self.period, indicator, post, self.records))
        if explained is None:
            return
        title.update(_("{title} · {post}: ✓ counted on the numerator, ✗ the others").format(
            title=explained.figure.title, post=post))
        box.add_options(self.ticket_options(explained)
                        or [Option(_("no tickets: nothing to count, so no score (n/a)"),
                                   disabled=True)])

    def ticket_options(self, explained: Explanation) -> list[Option]:
        counts = [*explained.counted, *explained.others]
        options = [self.ticket_option(count) for count in counts[:SHOWN_TICKETS]]
        if len(counts) > SHOWN_TICKETS:
            options.append(Option(_("… {count} more: ticketflow assess --explain lists them all")
                                  .format(count=len(counts) - SHOWN_TICKETS), disabled=True))
        return options

    def ticket_option(self, count: Count) -> Option:
        """Two lines: ✓/✗, the ticket, when and its summary; then why it is on its side."""
        ticket = self.attempt(lambda: self.desk.ticket(count.ticket_id))
        summary = safe(ticket.data.get("summary") if ticket else None, 70)
        when = self.session.local(count.at) if count.at else _("held in the period")
        prompt = Text.assemble(("✓" if count.hit else "✗", "green" if count.hit else "red"),
                               f" #{count.ticket_id}  {when}  ", (summary, "bold"),
                               "\n    ", (why(count), "italic"))
        return Option(prompt, id=str(count.ticket_id))

    @on(OptionList.OptionSelected, "#assessment-tickets")
    def open_ticket(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(TicketScreen(int(event.option.id)))
