"""The problems screen (``p`` on the queues): every problem, its card and linked tickets;
a linked ticket's view shows its problem and, while it is a known error, the workaround."""

from __future__ import annotations

from engine.desk.problems import Problems
from engine.process.load import load_process
from tests.tui.conftest import ROOT, DeskCopy, choose, login, notices, plain
from tests.tui.test_ticket import open_ticket, options
from tui.screens.problems import ProblemsScreen
from tui.screens.ticket import TicketScreen


def known_error(desk: DeskCopy) -> int:
    """A problem with tickets 1 and 2 linked, documented as a known error; its id."""
    world, ann, hal = desk.workspace.desk, desk.people["ann"], desk.people["hal"]
    world.deploy([load_process(ROOT / "flows" / "problem.yaml")], desk.people["amy"])
    problem = world.open("problem", ann, {"summary": "Core switch firmware leaks memory"})
    for ticket in (1, 2):
        Problems(world).link(ticket, problem.id, ann, "same switch")
    world.fire(problem.id, "investigate", hal)
    world.fire(problem.id, "record_workaround", hal,
               data={"workaround": "Reboot the core switch at night"})
    return problem.id


def test_the_problems_screen_lists_problems_with_their_linked_tickets(desk: DeskCopy) -> None:
    problem = known_error(desk)

    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ProblemsScreen)
        assert options(app, "#problems-list") == [str(problem)]
        card = plain(app, "#problem-card")
        assert f"#{problem} · known_error · Core switch firmware leaks memory" in card
        assert "workaround (known error): Reboot the core switch at night" in card
        assert "linked tickets: 2" in card
        assert options(app, "#problem-tickets") == ["1", "2"]
        app.screen.query_one("#problem-tickets").focus()
        await choose(pilot, "#problem-tickets", "1")
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 1

    desk.run(scenario)


def test_the_ticket_view_shows_its_problem_and_the_workaround(desk: DeskCopy) -> None:
    problem = known_error(desk)

    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 1)
        shown = plain(app, "#ticket-problem")
        assert f"#{problem} · known_error · Core switch firmware leaks memory" in shown
        assert "Workaround (known error): Reboot the core switch at night" in shown
        await pilot.press("escape")
        await pilot.pause()
        await open_ticket(pilot, 3)
        assert not app.screen.query_one("#ticket-problem").display

    desk.run(scenario)


def test_an_agent_links_a_ticket_from_its_actions_and_unlinks_it(desk: DeskCopy) -> None:
    problem = known_error(desk)

    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, 3)
        assert "link" in options(app) and "unlink" not in options(app)
        await choose(pilot, "#ticket-actions", "link")
        await choose(pilot, "#choice-list", str(problem))
        assert notices(app)[-1] == f"Problem: #3 linked to problem #{problem}"
        assert "Reboot the core switch at night" in plain(app, "#ticket-problem")
        await choose(pilot, "#ticket-actions", "unlink")
        assert notices(app)[-1] == f"Problem: #3 unlinked from problem #{problem}"
        assert not app.screen.query_one("#ticket-problem").display

    desk.run(scenario)
    triggers = [e.trigger for e in desk.workspace.desk.history(problem) if e.kind == "link"]
    assert triggers == ["ticket_linked", "ticket_linked", "ticket_linked", "ticket_unlinked"]
