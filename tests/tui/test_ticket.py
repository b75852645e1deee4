"""The ticket view and everything an agent or a supervisor does on a ticket."""

from __future__ import annotations

import re

from rich.text import Text
from textual.widgets import OptionList, Select, Static

from engine.core.model import TicketQuery
from tests.tui.conftest import DeskCopy, choose, fill, login, notices, plain
from tui.screens.choice import ChoiceScreen
from tui.screens.field_form import FieldFormScreen
from tui.screens.graph import GraphScreen
from tui.screens.queues import QueueScreen
from tui.screens.ticket import TicketScreen
from tui.widgets.field_input import FieldInput


def options(app, selector: str = "#ticket-actions") -> list[str]:
    box = app.screen.query_one(selector, OptionList)
    return [box.get_option_at_index(i).id for i in range(box.option_count)]


async def open_ticket(pilot, ticket_id: int) -> None:
    await pilot.press("5", "slash")
    await fill(pilot, "#queue-filter", f"#{ticket_id}")
    assert isinstance(pilot.app.screen, TicketScreen)


def test_the_ticket_view_shows_fields_journal_and_only_allowed_actions(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        card = plain(app, "#ticket-card")
        assert "Received by the desk" in card and "Core router down in Taipei" in card
        assert "Branch 12" in card and "ann" in card
        journal = plain(app, "#ticket-timeline")
        assert "opened in submitted" in journal and "receive  submitted → received" in journal
        assert options(app) == ["fire:solve_at_desk", "fire:dispatch", "assign",
                                "event:comment", "event:complaint",
                                "event:escalated_complaint", "event:customer_called"]

    desk.run(scenario)


def test_a_trigger_form_checks_fields_as_you_type_then_fires(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        await choose(pilot, "#ticket-actions", "fire:dispatch")
        assert isinstance(app.screen, FieldFormScreen)
        group, priority = app.screen.query(FieldInput)
        assert isinstance(app.focused, Select) and not group.valid  # a choice: a select
        assert priority.value == "high"  # the ticket's current value, filled in
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, FieldFormScreen)  # refused while invalid
        assert "required" in str(group.query_one(".field-problem", Static).content)
        await pilot.press("enter", "down", "enter", "ctrl+s")  # the first choice
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen)
        ticket = desk.workspace.desk.ticket(1)
        assert ticket.state == "dispatched" and ticket.data["assigned_group"] == "system_software"
        assert notices(app)[-1] == "Done: #1: dispatch"
        assert options(app) == ["event:comment", "event:complaint",
                                "event:escalated_complaint", "event:customer_called"]

    desk.run(scenario)


def test_an_article_field_offers_the_published_articles(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        await choose(pilot, "#ticket-actions", "fire:solve_at_desk")
        article = app.screen.query_one("#field-knowledge_article", Select)
        assert [value for _, value in article._options if value != Select.NULL] == ["KB-1"]
        await pilot.press("enter", "down", "enter", "tab", *"Cleared the route cache")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert desk.workspace.desk.ticket(1).state == "replying"
        event = desk.workspace.desk.history(1)[-1]
        assert event.details["articles"]["knowledge_article"] == {"id": "KB-1", "version": 1}

    desk.run(scenario)


def test_on_a_conflict_the_ticket_reloads_and_the_typed_input_is_kept(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        await choose(pilot, "#ticket-actions", "fire:dispatch")
        await pilot.press("enter", "down", "down", "enter")  # the second choice
        ben = desk.people["ben"]  # someone else changes the ticket meanwhile
        desk.workspace.desk.record(1, "comment", ben, note="Customer called again.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert notices(app)[-1].startswith("Changed by someone else: Someone else changed")
        assert isinstance(app.screen, FieldFormScreen)  # reopened with what was typed
        assert app.screen.query(FieldInput).first().value == "hardware_platform"
        assert desk.workspace.desk.ticket(1).state == "received"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert desk.workspace.desk.ticket(1).state == "dispatched"
        assert "Customer called again." in plain(app, "#ticket-timeline")

    desk.run(scenario)


def test_comment_and_complaint_need_their_note(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        await pilot.press("m", "ctrl+s")
        assert notices(app)[-1] == "Note: a note is required"
        await pilot.press(*"Spare part", "ctrl+s")
        await pilot.press("x", *"Too slow", "ctrl+s")
        await pilot.pause()
        kinds = [(e.kind, e.trigger, e.note) for e in desk.workspace.desk.history(1)][-2:]
        assert kinds == [("event", "comment", "Spare part"),
                         ("event", "complaint", "Too slow")]

    desk.run(scenario)


def test_record_event_offers_the_process_events(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        await pilot.press("e")
        assert isinstance(app.screen, ChoiceScreen)
        await choose(pilot, "#choice-list", "customer_called")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert desk.workspace.desk.history(1)[-1].trigger == "customer_called"

    desk.run(scenario)


def test_assign_offers_the_accounts_of_the_post(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        await pilot.press("a")
        assert options(app, "#choice-list") == ["ann", "ben", "sue", "-"]
        await choose(pilot, "#choice-list", "ben")
        assert desk.workspace.desk.ticket(1).assignee == "ben"
        assert notices(app)[-1] == "Assigned: #1 → ben"

    desk.run(scenario)


def test_a_handling_agent_claims_and_works_a_dispatched_ticket(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "hal")
        await open_ticket(pilot, 2)
        assert options(app)[:2] == ["fire:accept", "fire:send_back"]
        await pilot.press("c")
        assert desk.workspace.desk.ticket(2).assignee == "hal"
        await choose(pilot, "#ticket-actions", "fire:accept")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert desk.workspace.desk.ticket(2).state == "handling"

    desk.run(scenario)


def test_child_tickets_are_listed_and_open(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "hal")
        await open_ticket(pilot, 5)
        assert options(app, "#ticket-children") == ["6"]
        await choose(pilot, "#ticket-children", "6")
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 6
        assert "Vendor remote access" in plain(app, "#ticket-card")

    desk.run(scenario)


def test_the_state_graph_highlights_the_current_state(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        await pilot.press("s")
        assert isinstance(app.screen, GraphScreen) and app.screen.current == "received"
        graph = app.screen.query_one("#graph", Static).content
        assert isinstance(graph, Text)
        spans = [graph.plain[s.start:s.end] for s in graph.spans if "reverse" in str(s.style)]
        assert spans == ["● received"]
        await pilot.press("m")
        assert "stateDiagram-v2" in plain(app, "#graph-mermaid")

    desk.run(scenario)


def test_a_supervisor_withdraws_a_ticket_with_a_reason(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "sue")
        await open_ticket(pilot, 3)
        assert "fire:withdraw" not in options(app)  # the fault process has no withdraw
        await pilot.press("escape")
        await fill(pilot, "#queue-filter", "#1")
        await choose(pilot, "#ticket-actions", "fire:withdraw")
        await pilot.press(*"Duplicate", "ctrl+s")
        await pilot.pause()
        ticket = desk.workspace.desk.ticket(1)
        assert (ticket.state, ticket.is_open) == ("closed", False)

    desk.run(scenario)


def test_an_agent_opens_a_new_ticket(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("n")
        await choose(pilot, "#choice-list", "service_desk")
        assert [f.field_name for f in app.screen.query(FieldInput)] == [
            "summary", "description", "customer", "priority"]
        await pilot.press(*"Scanner offline", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 7
        assert desk.workspace.desk.ticket(7).data["summary"] == "Scanner offline"

    desk.run(scenario)


def test_a_multi_line_comment_reads_as_lines(desk: DeskCopy) -> None:
    ben = desk.people["ben"]
    desk.workspace.desk.record(1, "comment", ben, note="Called back.\nStill down.\tTabbed")

    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        journal = plain(app, "#ticket-timeline")
        assert "“Called back.\n" in journal and "Still down.\\tTabbed”" in journal
        assert "\\n" not in journal

    desk.run(scenario)


def footer_keys(app) -> set[str]:
    """The keys the footer shows now (bindings the screen's check_action allows)."""
    return {binding.key for _, binding, enabled, _ in app.active_bindings.values()
            if binding.show and enabled}


def test_the_footer_offers_only_keys_that_do_something(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 4)
        assert {"c", "a"} <= footer_keys(app)
        await pilot.press("c")
        await pilot.pause()
        assert desk.workspace.desk.ticket(4).assignee == "ann"
        assert "c" not in footer_keys(app) and "a" in footer_keys(app)  # claimed already
        await choose(pilot, "#ticket-actions", "fire:dispatch")
        await pilot.press("enter", "down", "down", "enter", "ctrl+s")
        await pilot.pause()
        assert desk.workspace.desk.ticket(4).post == "handling_group"
        assert isinstance(app.screen, QueueScreen)  # the ticket left ann's reach: back
        assert notices(app)[-1].startswith("Not allowed: ticket 4: 'ann' may not read")

    desk.run(scenario)


def test_sla_times_read_as_people_say_them(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 4)
        panel = plain(app, "#ticket-slas")
        assert re.search(r"\d+ (s|min|h)[ \d\w]* left · due \d\d:\d\d", panel), panel
        assert "PT" not in panel and not re.search(r"\b\d\d:\d\d:\d\d\b", panel)

    desk.run(scenario)


def test_a_supervisor_votes_against_an_approval_with_a_reason(desk: DeskCopy) -> None:
    waiting = [t.id for t in desk.workspace.desk.tickets(TicketQuery(is_open=True))
               if t.process == "vendor_access" and t.state == "requested"]
    assert waiting

    async def scenario(pilot, app):
        await login(pilot, "sue")
        await open_ticket(pilot, waiting[0])
        assert {"fire:approve", "reject:approve"} <= set(options(app))
        await choose(pilot, "#ticket-actions", "reject:approve")
        assert isinstance(app.screen, FieldFormScreen)
        await pilot.press(*"No contract on file", "ctrl+s")
        await pilot.pause()
        assert notices(app)[-1] == f"Rejected: #{waiting[0]}: voted against approve"

    desk.run(scenario)
    last = desk.workspace.desk.history(waiting[0])[-1]
    assert (last.actor, last.details["vote"], last.note) == ("sue", "reject",
                                                               "No contract on file")
    assert desk.workspace.desk.ticket(waiting[0]).state == "refused"


def test_a_forked_ticket_shows_its_branches_and_fires_its_branch_step(desk: DeskCopy) -> None:
    workspace, people = desk.workspace, desk.people
    rob = workspace.accounts.add(people["amy"], username="rob", password="Str0ng-pass",
                                 roles=["agent"], post="response_group")
    fault = workspace.desk.open("fault_escalation", people["ann"],
                                {"summary": "Array slow", "level": 3})
    workspace.desk.fire(fault.id, "hand_up", people["ann"])
    workspace.desk.fire(fault.id, "hand_up", rob, data={"group": "hardware_platform"})
    workspace.desk.fire(fault.id, "check_in_parallel", people["hal"])

    async def scenario(pilot, app):
        await login(pilot, "hal")
        await open_ticket(pilot, fault.id)
        card = plain(app, "#ticket-card")
        assert "branch hardware" in card and "The handling group checks the equipment" in card
        assert "branch software" in card and "response_group" in card
        assert "checks [hardware: hardware_check, software: software_check]" in app.screen.sub_title
        assert "fire:report_hardware" in options(app)
        assert "fire:report_software" not in options(app)  # the response group's branch
        await choose(pilot, "#ticket-actions", "fire:report_hardware")
        assert isinstance(app.screen, FieldFormScreen)
        await pilot.press("enter", "down", "enter", "ctrl+s")  # the first choice: sound
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen)
        assert "hardware: hardware_checked" in app.screen.sub_title
        assert "done" in plain(app, "#ticket-card")
        assert ("report_hardware  [hardware: hardware_check → hardware_checked]"
                in plain(app, "#ticket-timeline"))

    desk.run(scenario)


def footer_shown(app) -> list[tuple[str, int]]:
    """The keys the top screen's footer shows, with the column each ends at."""
    from textual.widgets import Footer

    footer = app.screen.query_one(Footer)
    return [(key.key, key.region.right) for key in footer.query("FooterKey")]


def test_the_trigger_form_footer_shows_its_own_keys_whole_at_80_columns(desk: DeskCopy
                                                                        ) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        await pilot.resize_terminal(80, 24)
        await choose(pilot, "#ticket-actions", "fire:solve_at_desk")
        assert isinstance(app.screen, FieldFormScreen)
        await pilot.pause()
        shown = footer_shown(app)
        assert [key for key, _ in shown] == ["escape", "ctrl+s"]  # not the ticket view's
        assert all(0 < end <= 80 for _, end in shown)
        assert app.screen.query_one("#form-submit").region.bottom <= 23  # above the footer
        await pilot.press("ctrl+s")  # each key shown does something: Submit checks fields
        assert notices(app)[-1].startswith("Invalid fields: ")
        await pilot.press("tab", "tab")  # the note, below the fold: scrolled into view
        note = app.screen.query_one("#form-note")
        assert note.has_focus and note.region.bottom <= 23
        await pilot.press("escape")  # and Cancel closes the form
        assert isinstance(app.screen, TicketScreen)

    desk.run(scenario)


def test_every_dialog_footer_shows_only_its_own_keys_and_each_closes_it(desk: DeskCopy
                                                                       ) -> None:
    from tui.screens.help import HelpScreen

    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        for opener, dialog in (("a", ChoiceScreen), ("question_mark", HelpScreen)):
            await pilot.press(opener)
            await pilot.pause()
            assert isinstance(app.screen, dialog)
            shown = [key for key, _ in footer_shown(app)]
            assert shown and set(shown) <= footer_keys(app)  # the dialog's, none from below
            for key in shown:  # each one does something: here, it closes the dialog
                if not isinstance(app.screen, dialog):
                    await pilot.press(opener)
                    await pilot.pause()
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(app.screen, TicketScreen), key

    desk.run(scenario)
