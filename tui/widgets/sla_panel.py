"""Running SLAs and timers of a ticket, their remaining time ticking every second."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from engine.process.durations import spoken


@dataclass(frozen=True)
class Deadline:
    """Something due on a ticket: an SLA's warning or breach, or a process timer."""

    label: str
    due_at: datetime
    kind: str = "timer"
    """sla, sla warned, sla breached, or a timer's kind (timer, sla_warning, sla_breach)."""
    paused: bool = False
    left: timedelta | None = None
    """The working time left, shown while the clock is paused."""


def remaining(delta: timedelta) -> str:
    """Time left as people read it: ``22 min left``, ``9 min 05 s left``, ``overdue 4 min``."""
    return f"overdue {spoken(delta)}" if delta < timedelta(0) else f"{spoken(delta)} left"


class SlaPanel(Static):
    """Deadlines with a live countdown read from the desk's clock."""

    def __init__(self, now: Callable[[], datetime], local: Callable[[datetime], str], *,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.now = now
        self.local = local
        """How a due time reads: the desk's local time."""
        self.deadlines: list[Deadline] = []

    def on_mount(self) -> None:
        self.border_title = "SLAs and timers"
        self.set_interval(1.0, self.tick)

    def show(self, deadlines: list[Deadline]) -> None:
        self.deadlines = sorted(deadlines, key=lambda d: d.due_at)
        self.tick()

    def tick(self) -> None:
        """Redraw the countdowns."""
        if not self.deadlines:
            self.update(Text("nothing running", style="dim"))
            return
        grid = Table.grid(padding=(0, 1))
        grid.add_column(ratio=1)  # the label wraps; the kind and the time never do
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        now = self.now()
        for deadline in self.deadlines:
            left = deadline.due_at - now
            if deadline.paused and deadline.left is not None:
                left = deadline.left
            style = "bold red" if left < timedelta(0) or "breach" in deadline.kind else (
                "yellow" if "warn" in deadline.kind or left < timedelta(minutes=15)
                else "green")
            shown = remaining(left) + (" (paused)" if deadline.paused else
                                       f" · due {self.local(deadline.due_at)}")
            grid.add_row(Text(deadline.label), Text(deadline.kind, style="dim"),
                         Text(shown, style=style))
        self.update(grid)
