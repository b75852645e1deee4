"""Auditor screens: replaying a ticket step by step, verifying it, and the assessment."""

from __future__ import annotations

from textual.widgets import DataTable, Input, OptionList

from tests.tui.conftest import DeskCopy, choose, login, plain
from tui.screens.assessment import AssessmentScreen
from tui.screens.assessment_trend import TrendScreen, months_up_to
from tui.screens.replay import ReplayScreen
from tui.screens.ticket import TicketScreen
from tui.widgets.queue_list import QueueList


def test_an_auditor_has_no_personal_queues_and_cannot_act(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ian")
        nav = app.screen.query_one("#queue-nav", OptionList)
        assert [nav.get_option_at_index(i).id for i in range(nav.option_count)] == [
            "unassigned", "overdue", "all", "at_risk"]
        await pilot.press("3", "enter")
        assert isinstance(app.screen, TicketScreen)
        actions = app.screen.query_one("#ticket-actions", OptionList)
        assert actions.option_count == 1 and actions.get_option_at_index(0).disabled

    desk.run(scenario)


def test_replay_steps_through_the_journal_and_rebuilds_the_ticket(desk: DeskCopy) -> None:
    stored = desk.workspace.desk.ticket(5)
    journal = desk.workspace.desk.history(5)

    async def scenario(pilot, app):
        await login(pilot, "ian")
        await pilot.press("3")
        app.screen.query_one(QueueList).move_to(1)  # ticket 5
        await pilot.press("R")
        assert isinstance(app.screen, ReplayScreen)
        steps = app.screen.steps
        assert [s.event.seq for s in steps] == [e.seq for e in journal]
        last = steps[-1]
        assert (last.state, last.post, last.assignee, last.data) == (
            stored.state, stored.post, stored.assignee, stored.data)
        assert "step 1 of" in plain(app, "#replay-event")
        await pilot.press("right", "right")
        assert f"step 3 of {len(steps)}" in plain(app, "#replay-event")
        assert "dispatched" in plain(app, "#replay-state")
        await pilot.press("left")
        state = plain(app, "#replay-state")
        assert "received" in state and "dispatched" not in state
        await pilot.press("end")
        assert "awaiting_vendor" in plain(app, "#replay-state")

    desk.run(scenario)


def test_verify_reports_a_sound_journal(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ian")
        app.push_screen(ReplayScreen(1))
        await pilot.pause()
        await pilot.press("v")
        assert "✓ ticket 1: the hash chain holds" in plain(app, "#replay-verify")

    desk.run(scenario)


def test_the_assessment_drills_down_to_the_tickets_behind_a_figure(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ian")
        await pilot.press("K")
        assert isinstance(app.screen, AssessmentScreen)
        table = app.screen.query_one(DataTable)
        posts = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert "service_desk" in posts
        response = next(i for i, key in enumerate(app.screen.keys)
                        if key == ("service_desk", "timely_response_rate"))
        table.move_cursor(row=response)
        await pilot.press("enter")
        tickets = app.screen.query_one("#assessment-tickets", OptionList)
        ids = [tickets.get_option_at_index(i).id for i in range(tickets.option_count)]
        assert ids and all(i and i.isdigit() for i in ids)
        first = str(tickets.get_option_at_index(0).prompt)
        summary = app.session.workspace.desk.ticket(int(ids[0] or 0)).data["summary"]
        assert summary in first and "after opening" in first  # what it is, and why it counts
        assert first.startswith(("✓", "✗")) and ("within 5 s" in first or "over 5 s" in first)
        await choose(pilot, "#assessment-tickets", str(ids[0]))
        assert isinstance(app.screen, TicketScreen)

    desk.run(scenario)


def test_a_period_without_tickets_scores_nothing(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ian")
        await pilot.press("K", "p")
        period = app.screen.query_one("#assessment-period", Input)
        period.value = "2020-01"
        await pilot.press("enter")
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows and {row[3] for row in rows if row[1] != "total"} == {"n/a"}
        assert {row[4] for row in rows} == {"n/a"}  # no score, no total: not full marks

    desk.run(scenario)


def test_tab_goes_from_the_figures_to_the_tickets_behind_them(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ian")
        await pilot.press("K")
        focused = []
        for key in ("tab", "tab", "tab", "shift+tab"):
            await pilot.press(key)
            focused.append(app.focused.id if app.focused else None)
        assert focused == ["assessment-tickets", "assessment-period", "assessment-table",
                           "assessment-period"]
        await pilot.press("tab", "j")  # moving in the figures shows their tickets at once
        assert app.screen.keys[app.screen.query_one(DataTable).cursor_row] == (
            "service_desk", "timely_reply_rate")
        assert plain(app, "#assessment-detail-title").startswith("Timely reply rate")

    desk.run(scenario)


def test_the_trend_shows_each_posts_total_over_twelve_months(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ian")
        await pilot.press("K", "t")
        assert isinstance(app.screen, TrendScreen)
        assert app.screen.months == [f"2025-{m:02d}" for m in range(11, 13)] + [
            f"2026-{m:02d}" for m in range(1, 11)]
        series = app.screen.series
        assert list(series) == ["service_desk", "response_group", "handling_group", "vendor"]
        assert series["service_desk"][:-1] == [None] * 11  # no tickets: n/a, not full marks
        assert series["service_desk"][-1] == 20  # October, as the report says
        legend = plain(app, "#trend-legend")
        assert "n/a" in legend and "26-10" in legend
        await pilot.press("escape")
        assert isinstance(app.screen, AssessmentScreen)

    desk.run(scenario)


def test_months_up_to_a_month_or_a_year() -> None:
    assert months_up_to("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert months_up_to("2026", 2) == ["2026-11", "2026-12"]
