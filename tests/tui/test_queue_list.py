"""The virtual queue list on a real database: pages fetched as the cursor moves, a bounded
window, first and last without walking the queue, the cursor's position in the whole queue."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from textual.app import App, ComposeResult

from engine.core.model import Ticket, TicketQuery
from tests.tui.conftest import DeskCopy
from tui.widgets.queue_list import Column, QueueList

QUERY = TicketQuery(process="service_desk", is_open=True, descending=True)


class Host(App[None]):
    """Just a queue list, fed by a desk."""

    def __init__(self, desk: DeskCopy, counted: int = 1000) -> None:
        super().__init__()
        self.counted = counted
        self.counts: list[int | None] = []
        self.desk = desk.workspace.desk
        self.fetches: list[tuple[int | None, int, bool]] = []

    def compose(self) -> ComposeResult:
        yield QueueList([Column("#", 6), Column("summary", 0)],
                        lambda t: [f"#{t.id}", str(t.data["summary"])], page=20, capacity=60,
                        counted=self.counted)

    def fetch(self, after: int | None, limit: int, backwards: bool) -> list[Ticket]:
        self.fetches.append((after, limit, backwards))
        return self.desk.tickets(replace(QUERY, after=after, limit=limit,
                                         descending=not backwards))

    def count(self, at_most: int | None) -> int:
        self.counts.append(at_most)
        return self.desk.store.count_tickets(QUERY, at_most=at_most)

    def on_mount(self) -> None:
        self.query_one(QueueList).show(self.fetch, self.count)
        self.query_one(QueueList).focus()


def test_scrolling_a_long_queue_fetches_pages_and_holds_a_bounded_window(desk: DeskCopy
                                                                         ) -> None:
    for number in range(200):
        desk.workspace.desk.open("service_desk", desk.people["ann"], {"summary": f"n{number}"})
    every = [t.id for t in desk.workspace.desk.tickets(replace(QUERY, limit=1000))]
    app = Host(desk)

    async def scenario() -> None:
        async with app.run_test(size=(60, 24)) as pilot:
            queue = app.query_one(QueueList)
            assert queue.total == len(every) == 204 and len(queue.window.rows) == 20
            for _ in range(12):
                await pilot.press("pagedown")
            held = [t.id for t in queue.window.rows]
            assert len(held) <= 60 and held == every[queue.window.offset:][:len(held)]
            assert queue.current is not None and queue.current.id == every[queue.position - 1]
            await pilot.press("G")
            assert queue.current.id == every[-1] and queue.position == len(every)
            assert len(app.fetches) < 20  # the end was fetched directly, not walked to
            for _ in range(45):
                await pilot.press("k")
            held = [t.id for t in queue.window.rows]
            assert held == every[queue.window.offset:][:len(held)] and len(held) <= 60
            assert queue.current.id == every[len(every) - 46]
            await pilot.press("g")
            assert queue.current.id == every[0] and queue.position == 1
            queue.scroll_to(y=15, animate=False)  # the wheel or the scrollbar, not the keys
            await pilot.pause()
            assert 15 <= queue.cursor < 15 + 22 and len(queue.window.rows) == 40

    asyncio.run(scenario())


def test_a_long_queue_is_counted_up_to_a_bound_and_whole_only_at_its_end(desk: DeskCopy
                                                                        ) -> None:
    for number in range(120):
        desk.workspace.desk.open("service_desk", desk.people["ann"], {"summary": f"n{number}"})
    app = Host(desk, counted=100)

    async def scenario() -> None:
        async with app.run_test(size=(60, 24)) as pilot:
            queue = app.query_one(QueueList)
            assert (queue.total, queue.total_text, app.counts) == (101, "100+", [101])
            queue.reload()
            assert queue.total_text == "100+" and app.counts == [101, 101]
            await pilot.press("G")
            assert (queue.total, queue.total_text) == (124, "124") and app.counts[-1] is None
            assert queue.position == 124  # the last ticket's place, from the whole count

    asyncio.run(scenario())
