"""Running SLAs and timers of a ticket, their remaining time ticking every second."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.table import Table
from rich.text import Text
from textual.widgets import Static


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
    """A countdown as people read it: ``1d 02:03:04``, ``12:03``, ``overdue 00:41``."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{minutes:02d}:{secs:02d}"
    if hours or days:
        clock = f"{hours:02d}:{clock}"
    text = (f"{days}d " if days else "") + clock
    return f"overdue {text}" if delta < timedelta(0) else text


class SlaPanel(Static):
    """Deadlines with a live countdown read from the desk's clock."""

    def __init__(self, now: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.now = now
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
        grid = Table.grid(padding=(0, 2))
        now = self.now()
        for deadline in self.deadlines:
            left = deadline.due_at - now
            if deadline.paused and deadline.left is not None:
                left = deadline.left
            style = "bold red" if left < timedelta(0) or "breach" in deadline.kind else (
                "yellow" if "warn" in deadline.kind or left < timedelta(minutes=15)
                else "green")
            shown = remaining(left) + (" (paused)" if deadline.paused else "")
            grid.add_row(Text(deadline.label), Text(deadline.kind, style="dim"),
                         Text(shown, style=style))
        self.update(grid)
