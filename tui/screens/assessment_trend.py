"""Auditor: the assessment as a picture — each post's total score, month by month, over the
twelve months up to a period (``t`` on the assessment)."""

from __future__ import annotations

from itertools import cycle
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static
from textual_plotext import PlotextPlot

from engine.assessment.report import Assessor
from tui.i18n import _
from tui.screens.base import DeskScreen

MONTHS = 12
"""How many months the trend shows."""
COLORS = ("cyan", "orange", "magenta", "green", "yellow", "blue")
"""One colour per post, the same for its line and its dots."""


def months_up_to(period: str, count: int = MONTHS) -> list[str]:
    """The ``count`` months ending with ``period`` (a month, or a year's December), oldest
    first, as ``YYYY-MM``."""
    year, _, month = period.strip().partition("-")
    last = int(year) * 12 + (int(month) if month else 12) - 1
    return [f"{index // 12:04d}-{index % 12 + 1:02d}"
            for index in range(last - count + 1, last + 1)]


class TrendScreen(DeskScreen[None]):
    """One line per post: its total score in each of the last twelve months; a month with no
    score (n/a: nothing to count) is a gap, not a zero."""

    def __init__(self, assessor: Assessor, period: str) -> None:
        super().__init__()
        self.assessor = assessor
        self.months = months_up_to(period)
        self.series: dict[str, list[int | None]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield PlotextPlot(id="trend-plot")
        yield Static(id="trend-legend")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Assessment trend")
        self.sub_title = _("{first} to {last} · total score per post").format(
            first=self.months[0], last=self.months[-1])
        self.series = self.attempt(self.totals) or {}
        self.draw()

    def totals(self) -> dict[str, list[int | None]]:
        """Each post's total per month (None: n/a, nothing scored that month)."""
        series: dict[str, list[int | None]] = {}
        for month in self.months:
            for post in self.assessor.report(month).posts:
                series.setdefault(post.post, []).append(post.total)
        return series

    def draw(self) -> None:
        plt: Any = self.query_one(PlotextPlot).plt
        plt.clear_data()
        ticks = list(range(1, len(self.months) + 1))
        scores = [0]
        for (post, totals), color in zip(self.series.items(), cycle(COLORS), strict=False):
            points = [(x, y) for x, y in zip(ticks, totals, strict=True) if y is not None]
            if points:  # a line through the months with a score, each month a dot
                xs, ys = [x for x, _ in points], [y for _, y in points]
                plt.plot(xs, ys, label=post, marker="hd", color=color)
                plt.scatter(xs, ys, marker="●", color=color)
                scores += ys
        plt.xticks(ticks, [month[2:] for month in self.months])
        plt.xlim(0.5, len(ticks) + 0.5)
        plt.ylim(min(scores) - 1, max(scores) + 1)
        self.query_one("#trend-legend", Static).update(self.legend())

    def legend(self) -> str:
        """The figures behind the picture, as text: one row per post, n/a where no score."""
        rows = [f"{_('post'):<16}" + " ".join(f"{month[2:]:>6}" for month in self.months)]
        for post, totals in self.series.items():
            rows.append(f"{post:<16}" + " ".join(
                f"{'n/a' if total is None else total:>6}" for total in totals))
        return "\n".join(rows)
