"""The queue's columns, its sorts (``>``, ``<``, ``o``), the views an account saves, the
At risk and Approvals queues, and bulk actions on the selected tickets."""

from __future__ import annotations

from textual.widgets import OptionList

from engine.core.model import Ticket, TicketQuery, sla_due
from engine.desk.reading import readable
from tests.tui.conftest import DeskCopy, choose, login, notices
from tests.tui.test_login_and_queues import shown, status
from tui.widgets.queue_list import QueueList


def open_tickets(desk: DeskCopy, reader: str) -> list[Ticket]:
    """The open tickets ``reader`` may read, as All open lists them."""
    account = desk.workspace.desk.store.get_account(reader)
    return desk.workspace.desk.tickets(readable(account, TicketQuery(is_open=True, limit=100)))


def test_sorts_walk_the_columns_and_order_flips(desk: DeskCopy) -> None:
    tickets = open_tickets(desk, "ann")
    by_due = [t.id for t in sorted(tickets, key=lambda t: (sla_due(t.sla), t.id))]
    ranks = {"critical": 0, "high": 1, "normal": 2, "low": 3}
    by_priority = [t.id for t in sorted(tickets, key=lambda t: (
        ranks.get(str(t.data.get("priority")), 4), t.id))]

    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("5", "greater_than_sign")
        assert shown(app) == by_priority
        assert "by priority ▲" in status(app)
        await pilot.press("greater_than_sign")
        assert shown(app) == by_due
        queue_list = app.screen.query_one(QueueList)
        assert [c.title for c in queue_list.columns][3] == "SLA left ▲"
        soonest = queue_list.window.rows[0]
        left, due = queue_list.cells(soonest)[3:5]
        assert left[0].isdigit() or left.startswith("over ")
        assert due == app.session.due(sla_due(soonest.sla))
        await pilot.press("o")
        assert shown(app) == by_due[::-1]
        await pilot.press("less_than_sign", "less_than_sign")  # back to the opening order
        assert shown(app) == sorted(by_due, reverse=True)
        assert "newest first" in status(app)

    desk.run(scenario)


def test_a_saved_view_is_the_accounts_and_brings_back_search_and_sort(desk: DeskCopy
                                                                     ) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("5", "slash", *"open:all", "enter", "greater_than_sign",
                          "greater_than_sign", "v")
        name = "All open · open:all · by SLA due"
        assert notices(app)[-1] == f"View saved: {name}"
        expected = shown(app)
        nav = app.screen.query_one("#queue-nav", OptionList)
        assert str(nav.get_option_at_index(nav.option_count - 1).prompt) == f"★ {name}"
        await pilot.press("1")
        assert shown(app) != expected
        nav.focus()
        nav.highlighted = nav.option_count - 1
        await pilot.press("enter")
        assert shown(app) == expected
        assert "by SLA due ▲" in status(app) and "search open:all" in status(app)

    desk.run(scenario)
    views = desk.workspace.store.saved_views("ann")
    assert [(v.queue, v.search, v.sort, v.descending) for v in views] == [
        ("all", "open:all", "sla_due", False)]
    assert desk.workspace.store.saved_views("ben") == []


def test_d_on_a_saved_view_deletes_it_and_is_offered_only_there(desk: DeskCopy) -> None:
    from tests.tui.test_ticket import footer_keys

    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("5", "v", "1", "v")
        assert [v.name for v in desk.workspace.store.saved_views("ann")] == [
            "All open · by age", "My tickets · by age"]
        assert "d" not in footer_keys(app)  # on the list of tickets: nothing to delete
        nav = app.screen.query_one("#queue-nav", OptionList)
        nav.focus()
        nav.highlighted = 0
        await pilot.pause()
        assert "d" not in footer_keys(app)  # on a queue: queues stay
        nav.highlighted = nav.option_count - 2
        await pilot.pause()
        assert "d" in footer_keys(app)
        await pilot.press("d")
        assert notices(app)[-1] == "View deleted: All open · by age"
        assert [str(nav.get_option_at_index(at).prompt) for at in range(nav.option_count)
                ][-1:] == ["★ My tickets · by age"]

    desk.run(scenario)
    assert [v.name for v in desk.workspace.store.saved_views("ann")] == [
        "My tickets · by age"]


def test_at_risk_and_the_supervisors_approvals_inbox(desk: DeskCopy) -> None:
    from datetime import datetime

    from engine.accounts.vendor import AWAITING_APPROVAL

    tickets = open_tickets(desk, "sue")
    warned = sorted((datetime.fromisoformat(c["warn"]), t.id) for t in tickets
                    for c in t.sla.get("clocks", {}).values()
                    if c.get("warn") and c.get("since") and not c.get("breached"))
    moment, _ = warned[0]
    desk.clock.set(moment)
    at_risk = [t.id for t in desk.workspace.desk.tickets(TicketQuery(
        post="service_desk", is_open=True, at_risk_at=moment, descending=True))]
    assert at_risk
    approvals = [t.id for t in tickets if t.process == "vendor_access"
                 and t.state in AWAITING_APPROVAL]
    assert approvals

    async def scenario(pilot, app):
        await login(pilot, "sue")
        await pilot.press("6")
        assert "At risk" in status(app) and shown(app) == at_risk
        await pilot.press("7")
        assert "Approvals" in status(app) and shown(app) == approvals[::-1]

    desk.run(scenario)


def test_space_selects_and_claim_acts_on_each_with_a_summary_of_refusals(desk: DeskCopy
                                                                         ) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("5", "down")  # #4 (ben's, at her post; #6 is not hers to read)
        assert not app.screen.check_action("assign", ())  # nothing selected: not offered
        await pilot.press("space", "space", "space")  # #4, #3 (another post), #2
        assert app.screen.query_one(QueueList).selected == {4, 3, 2}
        await pilot.press("c")
        message = notices(app)[-1]
        assert message.startswith("Some refused: claimed #4; refused #2 (")
        assert "#3 (" in message
        assert app.screen.query_one(QueueList).selected == set()

    desk.run(scenario)
    journal = desk.workspace.desk.history(4)
    assert (journal[-1].kind, journal[-1].actor) == ("assign", "ann")
    assert desk.workspace.desk.ticket(4).assignee == "ann"
    assert desk.workspace.desk.ticket(2).assignee is None


def test_assign_and_fire_act_on_each_selected_ticket(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("5", "down", "space", "down", "down", "space")  # #4, #1
        await pilot.press("a")
        await choose(pilot, "#choice-list", "ben")
        assert notices(app)[-1] == "Done: assigned to ben #1 #4"
        await pilot.press("home", "down", "space", "down", "down", "space", "f")
        await choose(pilot, "#choice-list", "dispatch")  # needs a group: refused for each
        message = notices(app)[-1]
        assert message.startswith("Some refused: dispatch fired on none; refused #1 (")
        assert "assigned_group" in message and "#4 (" in message

    desk.run(scenario)
    for ticket_id in (1, 4):
        ticket = desk.workspace.desk.ticket(ticket_id)
        assert (ticket.assignee, ticket.state) == ("ben", "received")
