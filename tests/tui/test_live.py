"""Live: another agent's change shows in the open app at once — PostgreSQL's LISTEN/NOTIFY,
SQLite's data version — with no poll running (``poll_seconds=0``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from engine.core.model import TicketQuery
from engine.time.clock import VirtualClock
from tests.conftest import PG_ENV, PG_SKIP, pg_schema_url
from tests.tui.conftest import NOW, START, DeskCopy, _populate, login, plain, until
from tui.app import TicketflowApp
from tui.screens.queues import QueueScreen
from tui.screens.ticket import TicketScreen
from tui.widgets.queue_list import QueueList
from tui.wiring import open_workspace


@pytest.fixture
def pg_desk(tmp_path: Path) -> Iterator[DeskCopy]:
    """The tests' fixed desk, built in a schema of its own on PostgreSQL."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    with pg_schema_url(base) as url:
        clock = VirtualClock(START)
        workspace = open_workspace(url, clock=clock)
        _populate(workspace, clock)
        people = {account.username: account for account in workspace.store.list_accounts()}
        yield DeskCopy(workspace, clock, people, tmp_path)
        workspace.store.close()


def shown_ids(app: TicketflowApp) -> list[int]:
    return [ticket.id for ticket in app.screen.query_one(QueueList).window.rows]


def another_agent_changes_tickets(desk: DeskCopy) -> None:
    """Another connection (another agent's app) opens a ticket, then comments on one the
    open app shows; the open app hears of each without polling."""
    other = open_workspace(desk.workspace.url, clock=VirtualClock(NOW))
    ann = desk.people["ann"]
    first = desk.workspace.desk.tickets(TicketQuery(limit=1))[0]

    async def scenario(pilot: Pilot[None], app: TicketflowApp) -> None:
        await login(pilot, "ann")
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("2")  # the post's queue
        await until(pilot, lambda: getattr(app.screen, "queue_index", 0) == 1)
        before = shown_ids(app)
        new = other.desk.open("service_desk", ann, {"summary": "Heard at once"})
        await until(pilot, lambda: new.id in shown_ids(app), seconds=20)
        assert set(before) < set(shown_ids(app))
        app.push_screen(TicketScreen(first.id))
        await until(pilot, lambda: getattr(app.screen, "ticket", None) is not None)
        other.desk.record(first.id, "comment", desk.people["ben"], note="Seen live.")
        await until(pilot, lambda: "Seen live." in plain(app, "#ticket-timeline"), seconds=20)
        if desk.workspace.url.startswith("sqlite"):
            return  # SQLite says that something changed, not what: every screen reloads
        screen, reloads = app.screen, []
        assert isinstance(screen, TicketScreen)
        screen.reload = lambda: reloads.append(1)  # type: ignore[method-assign]
        other.desk.record(new.id, "comment", ann, note="Elsewhere.")
        watch = app.desk_watch
        assert watch is not None
        await until(pilot, lambda: watch.marker == other.store.last_change(),
                    seconds=20)  # the news was heard and handled
        assert reloads == []  # PostgreSQL names the ticket: a view of another one stays

    try:
        desk.run(scenario, live=True)
    finally:
        other.store.close()


def test_sqlite_another_connections_change_shows_at_once(desk: DeskCopy) -> None:
    another_agent_changes_tickets(desk)


@pytest.mark.pg
def test_postgresql_another_connections_change_shows_at_once(pg_desk: DeskCopy) -> None:
    another_agent_changes_tickets(pg_desk)
