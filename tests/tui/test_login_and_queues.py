"""Logging in, and the queues: which tickets each one shows, filtering, opening a ticket."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Input, OptionList

from engine.core.model import TicketQuery
from tests.tui.conftest import DeskCopy, fill, login, notices, plain
from tui.screens.login import LoginScreen
from tui.screens.queues import QueueScreen
from tui.screens.ticket import TicketScreen
from tui.widgets.queue_list import QueueList


def shown(app) -> list[int]:
    """The ids of the tickets the queue list holds."""
    return [ticket.id for ticket in app.screen.query_one(QueueList).window.rows]


def status(app) -> str:
    return str(app.screen.query_one("#queue-status").render())


def test_a_wrong_password_is_refused_on_the_login_screen(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await pilot.press(*"ann", "enter", *"wrong", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#login-password", Input).value == ""
        assert notices(app) == ["Login failed: wrong password for 'ann'"]

    desk.run(scenario)


def test_an_agent_types_in_and_sees_their_own_tickets(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await pilot.press(*"ann", "enter", *"Str0ng-pass", "enter")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        assert app.session.account.username == "ann"
        assert shown(app) == [1]
        assert status(app) == "My tickets · 1 of 1 · newest first"

    desk.run(scenario)


def test_queues_switch_with_number_keys_and_flip_order(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("2")  # the post's open tickets
        assert shown(app) == [4, 1]
        await pilot.press("3")  # unassigned at the post
        assert shown(app) == []
        assert "empty" in status(app)
        await pilot.press("4")  # overdue: no SLA clock is past its limit yet
        assert shown(app) == []
        await pilot.press("5")  # all open that ann may read (#6 is hal's vendor access)
        assert shown(app) == [5, 4, 3, 2, 1]
        await pilot.press("o")  # oldest first
        assert shown(app) == [1, 2, 3, 4, 5]
        assert app.screen.query_one("#queue-nav", OptionList).highlighted == 4

    desk.run(scenario)


def test_the_overdue_queue_follows_the_clock(desk: DeskCopy) -> None:
    desk.clock.advance(__import__("datetime").timedelta(minutes=30))  # fault 3's timer is due

    async def scenario(pilot, app):
        await login(pilot, "sue")
        await pilot.press("4", "slash")
        await fill(pilot, "#queue-filter", "post:response_group")
        assert shown(app) == [3]
        assert "search post:response_group" in status(app)

    desk.run(scenario)


def test_a_breached_ticket_stays_overdue_after_its_breach_fired(desk: DeskCopy) -> None:
    desk.clock.advance(__import__("datetime").timedelta(minutes=10))  # #1's 5 minutes are over
    while desk.workspace.desk.fire_due():  # the worker fires the breach: no timer is pending
        pass
    breaches = [e.trigger for e in desk.workspace.desk.history(1) if e.kind == "sla"]
    assert "sla_breach" in breaches

    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("4")  # Overdue: a running SLA clock past its limit
        assert 1 in shown(app)

    desk.run(scenario)


def test_slash_filters_a_queue_and_a_bad_filter_is_explained(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("5", "slash", *"state:received", "enter")
        assert shown(app) == [4, 1]
        await fill(pilot, "#queue-filter", "process:fault_escalation is:all")
        assert shown(app) == [3]
        await fill(pilot, "#queue-filter", "colour:red")
        assert shown(app) == [3]  # unchanged
        assert notices(app)[-1].startswith("Search: unknown filter key 'colour'")
        await pilot.press("escape")
        assert app.screen.query_one(QueueList).has_focus

    desk.run(scenario)


def test_slash_searches_words_in_fields_and_comments_as_the_reader_may(desk: DeskCopy
                                                                       ) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("5", "slash", *"print*", "enter")  # a prefix of "Printer"
        assert shown(app) == [4]
        assert "search print*" in status(app)
        await fill(pilot, "#queue-filter", "called back")  # ben's comment on #4
        assert shown(app) == [4]
        await fill(pilot, "#queue-filter", "branch open:all")  # and #1's customer field
        assert shown(app) == [4, 1]
        await fill(pilot, "#queue-filter", "huawei open:all")  # not #6, the vendor's access:
        assert shown(app) == [5]  # it is at the vendor post, and not hers
        assert [t.id for t in desk.workspace.desk.tickets(TicketQuery(words=("huawei",)))] == [
            5, 6]
        await fill(pilot, "#queue-filter", "")
        assert shown(app) == [5, 4, 3, 2, 1]  # every open ticket she may read

    desk.run(scenario)


def test_enter_or_hash_id_opens_a_ticket_and_esc_comes_back(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("enter")
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 1
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("slash", *"#5", "enter")
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 5
        await pilot.press("escape")
        await fill(pilot, "#queue-filter", "#99")
        assert isinstance(app.screen, QueueScreen)
        assert notices(app)[-1] == "Not found: ticket 99: no such ticket"

    desk.run(scenario)


def test_claim_from_the_queue_takes_the_highlighted_ticket(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("2", "c")  # ticket 4 is ben's, at ann's post
        assert desk.workspace.desk.ticket(4).assignee == "ann"
        assert notices(app)[-1] == "Claimed: #4 is yours"

    desk.run(scenario)


def test_log_out_returns_to_the_login_screen(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen) and app.session is None

    desk.run(scenario)


def test_q_quits_from_the_queues(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0  # exit() was called: run_test then ends the app

    desk.run(scenario)


@pytest.mark.parametrize(("name", "queues"), [
    ("ann", ["My tickets", "Post service_desk", "Unassigned", "Overdue", "All open",
             "At risk"]),
    ("ian", ["Unassigned", "Overdue", "All open", "At risk"])])
def test_help_numbers_the_queues_the_account_has(desk: DeskCopy, name: str,
                                                 queues: list[str]) -> None:
    async def scenario(pilot, app):
        await login(pilot, name)
        await pilot.press("question_mark")
        keys = plain(app, "#help-box Static:last-of-type")
        for number, title in enumerate(queues, start=1):
            assert re.search(rf"^\s*{number}\s+{title}\s*$", keys, re.M), keys
        assert not re.search(rf"^\s*{len(queues) + 1}\s", keys, re.M)
        await pilot.press("escape", str(len(queues) + 1))  # a number past the last does nothing
        assert app.screen.queues[app.screen.queue_index].title == queues[0]

    desk.run(scenario)


def test_an_agent_sees_and_opens_only_the_tickets_they_may_read(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "hal")  # handling group: not #1, #3 or #4 (the desk's, ann's, ben's)
        titles = [queue.title for queue in app.screen.queues]
        await pilot.press(str(titles.index("All open") + 1))
        assert shown(app) == [6, 5, 2]
        await pilot.press("slash", *"is:all", "enter")
        assert shown(app) == [6, 5, 2]
        await fill(pilot, "#queue-filter", "#1")
        assert isinstance(app.screen, QueueScreen)
        assert notices(app)[-1].startswith("Not allowed: ticket 1: 'hal' may not read")
        app.push_screen(TicketScreen(1))  # as a notice or a requester's list would
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        await fill(pilot, "#queue-filter", "#2")
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 2

    desk.run(scenario)
