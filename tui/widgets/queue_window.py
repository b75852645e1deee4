"""A contiguous slice of a queue, grown page by page at either end (keyset pagination).

The queue's order is fixed by its query (newest first or oldest first). The window holds
at most ``capacity`` tickets: growing one end drops rows from the other, so scrolling
through 100,000 tickets never keeps more than a few pages in memory. ``offset`` is the
position of the first held ticket in the whole queue, for the "rows a–b of n" line.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.core.model import Ticket

Fetch = Callable[[int | None, int, bool], list[Ticket]]
"""``fetch(after_id, limit, backwards)``: the next tickets after ``after_id`` in queue order
(``backwards``: in reverse order, i.e. the ones before it, nearest first)."""


class QueueWindow:
    """The tickets of a queue currently held, and whether either end of the queue is reached."""

    def __init__(self, fetch: Fetch, *, page: int = 100, capacity: int = 1000) -> None:
        self.fetch = fetch
        self.page = page
        self.capacity = max(capacity, 2 * page)
        self.rows: list[Ticket] = []
        self.at_head = True
        self.at_tail = True
        self.offset = 0

    def load_head(self) -> None:
        """Hold the first page of the queue."""
        self.rows = self.fetch(None, self.page, False)
        self.offset, self.at_head = 0, True
        self.at_tail = len(self.rows) < self.page

    def load_tail(self, total: int) -> None:
        """Hold the last page of the queue (``total``: how many tickets it has)."""
        self.rows = list(reversed(self.fetch(None, self.page, True)))
        self.at_tail = True
        self.at_head = len(self.rows) < self.page
        self.offset = 0 if self.at_head else max(total - len(self.rows), 0)

    def grow_forward(self) -> int:
        """Fetch the page after the last held ticket; how many rows were dropped at the top."""
        if self.at_tail or not self.rows:
            return 0
        more = self.fetch(self.rows[-1].id, self.page, False)
        self.at_tail = len(more) < self.page
        self.rows.extend(more)
        dropped = max(len(self.rows) - self.capacity, 0)
        if dropped:
            del self.rows[:dropped]
            self.offset += dropped
            self.at_head = False
        return dropped

    def grow_backward(self) -> int:
        """Fetch the page before the first held ticket; how many rows were added at the top."""
        if self.at_head or not self.rows:
            return 0
        more = list(reversed(self.fetch(self.rows[0].id, self.page, True)))
        self.at_head = len(more) < self.page
        self.rows[:0] = more
        self.offset = 0 if self.at_head else max(self.offset - len(more), 0)
        excess = max(len(self.rows) - self.capacity, 0)
        if excess:
            del self.rows[-excess:]
            self.at_tail = False
        return len(more)

    def replace(self, ticket: Ticket) -> bool:
        """Swap in a newer copy of a held ticket; whether it was held."""
        for index, held in enumerate(self.rows):
            if held.id == ticket.id:
                self.rows[index] = ticket
                return True
        return False

    def reload(self) -> None:
        """Fetch the held stretch again from the same place (others changed tickets)."""
        if self.at_head or not self.rows:
            size = max(len(self.rows), self.page)
            self.rows = self.fetch(None, size, False)
            self.at_head, self.offset = True, 0
            self.at_tail = len(self.rows) < size
            return
        before = self.fetch(self.rows[0].id, 1, True)
        size = len(self.rows)
        self.rows = self.fetch(before[0].id if before else None, size, False)
        self.at_head = not before
        self.at_tail = len(self.rows) < size
