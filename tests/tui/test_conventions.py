"""What every screen shares: help, the command palette, themes, refreshing on others'
changes, the post's notifications, and the timers a single-user desk fires itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.command import CommandList, CommandPalette

from engine.core.model import Notification
from tests.tui.conftest import DeskCopy, login, notices, plain, until
from tui.screens.choice import ChoiceScreen
from tui.screens.help import HelpScreen
from tui.screens.queues import QueueScreen
from tui.watch import notice
from tui.widgets.queue_list import QueueList


def test_question_mark_lists_the_keys_of_the_screen(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = plain(app, "#help-box Static:last-of-type")
        assert "Search" in keys and "New ticket" in keys and "Processes" not in keys
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)

    desk.run(scenario)


def test_the_palette_offers_the_screen_commands_and_runs_them(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Search", "New ticket", "Sort", "Theme", "Quit"} <= set(titles)  # Claim: see below
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"new tick")
        commands = app.screen.query_one(CommandList)
        await until(pilot, lambda: commands.highlighted is not None and "New ticket" in str(
            commands.get_option_at_index(commands.highlighted).prompt))  # searched meanwhile
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)

    desk.run(scenario)


def test_themes_can_be_switched(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        app.theme = "textual-light"
        await pilot.pause()
        assert app.theme == "textual-light" and not app.current_theme.dark

    desk.run(scenario)


def test_the_queue_refreshes_when_someone_else_opens_a_ticket(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("5")
        queue = app.screen.query_one(QueueList)
        assert [t.id for t in queue.window.rows] == [5, 4, 3, 2, 1]  # not #6: hal's, a vendor's
        app.poll_desk()
        assert queue.total == 5  # nothing changed, nothing reloaded
        desk.workspace.desk.open("service_desk", desk.people["ben"], {"summary": "Fax down"})
        app.poll_desk()
        await pilot.pause()
        assert [t.id for t in queue.window.rows][:2] == [7, 5] and queue.total == 6

    desk.run(scenario)


def test_the_ticket_view_shows_what_someone_else_just_recorded(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("enter")
        desk.workspace.desk.record(1, "comment", desk.people["ben"], note="On my way.")
        app.poll_desk()
        await pilot.pause()
        assert "On my way." in plain(app, "#ticket-timeline")

    desk.run(scenario)


def test_a_single_user_desk_fires_due_timers_itself(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "sue")
        desk.clock.advance(timedelta(minutes=15))  # fault 3's response tier is over
        app.poll_desk()
        await pilot.pause()
        assert desk.workspace.desk.ticket(3).state == "handling_tier"

    desk.run(scenario, fire_timers=True)


def test_the_posts_notifications_appear_without_a_restart(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "hal")
        before = len(app.session.notices)
        desk.clock.advance(timedelta(hours=2))  # ticket 2 waits at the handling group
        app.poll_desk()
        await pilot.pause()
        fresh = app.session.notices[before:]
        assert fresh and any(n.ticket_id == 2 for n in fresh)
        assert any("#2" in text or "ticket 2" in text for text in notices(app))
        await pilot.press("N")
        assert type(app.screen).__name__ == "NoticesScreen"

    desk.run(scenario, fire_timers=True)


def test_a_refusal_becomes_a_notification_never_a_traceback(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("5")
        queue = app.screen.query_one(QueueList)
        queue.move_to([t.id for t in queue.window.rows].index(4))  # ben's, at ann's post
        assert app.screen.check_action("claim", ())
        # meanwhile another agent dispatches it to the handling group (no reload yet)
        desk.workspace.desk.fire(4, "dispatch", desk.people["ben"],
                                 data={"assigned_group": "hardware_platform"})
        await pilot.press("c")
        assert app.is_running and isinstance(app.screen, QueueScreen)
        assert notices(app)[-1] == ("Not allowed: ticket 4: 'ann' may not read this ticket "
                                    "(it is not at their post, assigned to them or opened "
                                    "by them)")
        assert desk.workspace.desk.ticket(4).assignee is None  # dispatching unassigns it

    desk.run(scenario)


@pytest.mark.parametrize(("kind", "title", "severity"), [
    ("sla_warning", "SLA warning", "warning"), ("sla_breach", "SLA breach", "error"),
    ("escalation", "Escalation", "warning")])
def test_notification_titles_read_as_words(kind: str, title: str, severity: str) -> None:
    moment = datetime(2026, 10, 5, 1, 0, tzinfo=UTC)
    shown = notice(Notification("service_desk", 1, kind, "ticket 1: …", moment))
    assert (shown.title, shown.severity, shown.ticket_id) == (title, severity, 1)
