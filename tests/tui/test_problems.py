"""The problems screen (``p`` on the queues): every problem, its card and linked tickets;
a linked ticket's view shows its problem and, while it is a known error, the workaround."""

from __future__ import annotations

from engine.desk.problems import Problems
from engine.process.load import load_process
from tests.tui.conftest import ROOT, DeskCopy, choose, login, plain
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
