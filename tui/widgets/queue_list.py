"""A ticket queue as a virtual list: only the visible lines are drawn, pages are fetched
as the cursor nears either end of what is held (see :mod:`tui.widgets.queue_window`).

Unlike ``DataTable``, nothing here grows with the size of the queue: opening a queue of
100,000 tickets costs one page and a count that stops at :data:`COUNTED` ("1,000+"); the
whole queue is counted only when ``G`` jumps to its end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from engine.core.model import Ticket
from tui.widgets.queue_window import Fetch, QueueWindow

COUNTED = 1000
"""Tickets counted at most when a queue is shown: a search for a word every ticket has
would count the whole desk before its first page."""
Count = Callable[[int | None], int]
"""How many tickets the queue has, counted up to a number (None: all)."""


@dataclass(frozen=True)
class Column:
    """A column of the queue: its title and width (0: takes the rest of the line)."""

    title: str
    width: int
    sort: str | None = None
    """The sort it stands for (``TicketQuery.sort``), if any."""


Cells = Callable[[Ticket], Sequence[str]]


class QueueList(ScrollView, can_focus=True):
    """Tickets of a queue, one per line, with a cursor; fed page by page."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue-list--header", "queue-list--cursor", "queue-list--closed", "queue-list--more",
        "queue-list--selected"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor moved to a ticket (None: the queue is empty)."""

        queue_list: QueueList
        ticket: Ticket | None
        position: int
        """1-based position of the ticket in the whole queue."""

    @dataclass
    class Selected(Message):
        """The agent chose a ticket (Enter or a double click)."""

        queue_list: QueueList
        ticket: Ticket

    def __init__(self, columns: Sequence[Column], cells: Cells, *, page: int = 100,
                 capacity: int = 1000, counted: int = COUNTED, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        self.cells = cells
        self.window = QueueWindow(lambda after, limit, back: [], page=page, capacity=capacity)
        self.count: Count = lambda at_most: 0
        self.total = 0
        """How many tickets the queue has; past :data:`COUNTED` only when counted whole."""
        self.counted_all = True
        self.counted = counted
        self.cursor = 0
        self._steering = False
        """True while the list scrolls itself (so that it does not take it for the mouse)."""
        self._texts: dict[tuple[int, int, int], str] = {}
        """A held ticket's line of text, by (id, version, width): drawn once, styled each time."""
        self._styles: dict[str, Style] = {}
        self.selected: set[int] = set()
        """The ids of the tickets picked for a bulk action (Space)."""

    # -- feeding -------------------------------------------------------------------------

    def show(self, fetch: Fetch, count: Count) -> None:
        """Show another queue (or the same one filtered): count it, fetch its first page."""
        self.window.fetch, self.count = fetch, count
        self.total, self.counted_all = 0, True
        self._count()
        self.window.load_head()
        self.cursor = 0
        self._resized()
        self._scroll(0)
        self.refresh()  # the same number of rows in another order: nothing else repaints
        self._announce()

    def reload(self) -> None:
        """Fetch the held stretch again, keeping the cursor on the same ticket if it is there."""
        current = self.current
        self._count()
        self.window.reload()
        ids = [ticket.id for ticket in self.window.rows]
        if current is not None and current.id in ids:
            self.cursor = ids.index(current.id)
        self.cursor = min(self.cursor, max(len(ids) - 1, 0))
        self._resized()
        self.refresh()
        self._announce()

    @property
    def total_text(self) -> str:
        """The queue's size as people read it: "1,000+" when not counted past that."""
        return f"{self.total:,}" if self.counted_all else f"{self.counted:,}+"

    def _count(self) -> None:
        """Count the queue up to :attr:`counted` (wholly once ``G`` counted it whole)."""
        if self.counted_all and self.total > self.counted:
            self.total = self.count(None)
            return
        self.total = self.count(self.counted + 1)
        self.counted_all = self.total <= self.counted

    @property
    def current(self) -> Ticket | None:
        """The ticket under the cursor."""
        rows = self.window.rows
        return rows[self.cursor] if 0 <= self.cursor < len(rows) else None

    @property
    def position(self) -> int:
        """1-based position of the cursor in the whole queue (0 when empty)."""
        return self.window.offset + self.cursor + 1 if self.window.rows else 0

    # -- moving --------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(self._body_height() - 1, 1))

    def action_first(self) -> None:
        if not self.window.at_head:
            self.window.load_head()
            self._resized()
        self.move_to(0)

    def action_last(self) -> None:
        if not self.window.at_tail:
            self.total, self.counted_all = self.count(None), True
            self.window.load_tail(self.total)
            self._resized()
        self.move_to(len(self.window.rows) - 1)

    def toggle(self) -> None:
        """Pick or unpick the ticket under the cursor, then move down."""
        ticket = self.current
        if ticket is not None:
            self.selected.symmetric_difference_update({ticket.id})
            self.refresh_line(self.cursor + 1)
            self.move_to(self.cursor + 1)

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    def move_to(self, index: int) -> None:
        """Put the cursor on a held row, fetching more rows when it nears an end."""
        before = (self.cursor, round(self.scroll_y), len(self.window.rows), self.window.offset)
        self.cursor = max(0, min(index, len(self.window.rows) - 1))
        self._grow()
        self._follow_cursor()
        if before[1:] == (round(self.scroll_y), len(self.window.rows), self.window.offset):
            self.refresh_line(before[0] + 1)  # only the two lines the cursor left and entered
            self.refresh_line(self.cursor + 1)
        else:
            self.refresh()
        self._announce()

    def _grow(self) -> None:
        """Fetch a page at the end the cursor is near; keep the same rows on screen."""
        margin = self._body_height() + 1
        if self.cursor >= len(self.window.rows) - margin and not self.window.at_tail:
            dropped = self.window.grow_forward()
            self.cursor -= dropped
            self._resized()
            self._scroll(round(self.scroll_y) - dropped)
        elif self.cursor < margin and not self.window.at_head:
            added = self.window.grow_backward()
            self.cursor += added
            self._resized()
            self._scroll(round(self.scroll_y) + added)

    def _scroll(self, top: int) -> None:
        self._steering = True
        try:
            self.scroll_to(y=max(top, 0), animate=False)
        finally:
            self._steering = False

    def _follow_cursor(self) -> None:
        body = self._body_height()
        top = round(self.scroll_y)
        if self.cursor < top:
            self._scroll(self.cursor)
        elif self.cursor >= top + body:
            self._scroll(self.cursor - body + 1)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._steering and round(old_value) != round(new_value):
            self.call_later(self._follow_scroll)

    def _follow_scroll(self) -> None:
        """The wheel or the scrollbar moved the view: keep the cursor in it, fetch near an end."""
        top, body = round(self.scroll_y), self._body_height()
        self.cursor = max(top, min(self.cursor, top + body - 1, len(self.window.rows) - 1))
        self._grow()
        self.refresh()
        self._announce()

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        index = round(self.scroll_y) + event.y - 1
        if index == self.cursor and event.chain > 1:
            self.action_select()
        elif 0 <= index < len(self.window.rows):
            self.move_to(index)

    # -- drawing -------------------------------------------------------------------------

    def _body_height(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _resized(self) -> None:
        more = 0 if self.window.at_tail else 1
        self.virtual_size = Size(self.scrollable_content_region.width,
                                 len(self.window.rows) + 1 + more)

    def on_resize(self, event: events.Resize) -> None:
        self._resized()
        self._follow_cursor()

    def _announce(self) -> None:
        self.post_message(self.Highlighted(self, self.current, self.position))

    def notify_style_update(self) -> None:
        self._styles.clear()  # the theme, or focus (the cursor's colour), changed
        super().notify_style_update()

    def _style(self, *names: str) -> Style:
        key = " ".join(names)
        found = self._styles.get(key)
        if found is None:
            found = self.rich_style
            for name in names:
                found += self.get_component_rich_style(name)
            self._styles[key] = found
        return found

    def _widths(self, width: int) -> list[int]:
        fixed = sum(c.width + 1 for c in self.columns if c.width)
        return [c.width or max(width - fixed, 4) for c in self.columns]

    def _text(self, texts: Sequence[str], width: int) -> str:
        parts = []
        for text, size in zip(texts, self._widths(width), strict=False):
            fits = cell_len(text) <= size
            parts.append(set_cell_size(text if fits else set_cell_size(text, size - 1) + "…",
                                       size))
        return set_cell_size(" ".join(parts), width)

    def _ticket_text(self, ticket: Ticket, width: int) -> str:
        key = (ticket.id, ticket.version, width)
        text = self._texts.get(key)
        if text is None:
            if len(self._texts) > 4 * self.window.capacity:
                self._texts.clear()
            text = self._texts[key] = self._text(self.cells(ticket), width)
        return text

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            header = self._text([c.title for c in self.columns], width)
            return Strip([Segment(header, self._style("queue-list--header"))], width)
        index = round(self.scroll_y) + y - 1
        rows = self.window.rows
        if index == len(rows) and not self.window.at_tail:
            more = set_cell_size("  … more as you scroll", width)
            return Strip([Segment(more, self._style("queue-list--more"))], width)
        if not 0 <= index < len(rows):
            return Strip.blank(width, self.rich_style)
        ticket = rows[index]
        names = ([] if ticket.is_open else ["queue-list--closed"]) + (
            ["queue-list--selected"] if ticket.id in self.selected else []) + (
            ["queue-list--cursor"] if index == self.cursor else [])
        return Strip([Segment(self._ticket_text(ticket, width), self._style(*names))], width)
