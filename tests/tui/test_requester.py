"""The requester screen: ``u`` on a ticket shows its requester and their tickets."""

from __future__ import annotations

from engine.desk.requesters import Requesters
from tests.tui.conftest import DeskCopy, login, notices, plain
from tests.tui.test_ticket import open_ticket, options
from tui.screens.requester import RequesterScreen
from tui.screens.ticket import TicketScreen


def test_u_shows_the_requester_and_their_tickets_and_enter_opens_one(desk: DeskCopy) -> None:
    people = Requesters(desk.workspace.desk)
    ann = desk.people["ann"]
    first = people.open_for("service_desk", "mei@example.com", ann, {"summary": "No VPN"})
    second = people.open_for("service_desk", "mei@example.com", ann, {"summary": "Slow mail"})
    people.edit("mei@example.com", ann, name="Mei Lin", organisation="Telecom C")

    async def scenario(pilot, app):
        await login(pilot, "ann")
        await open_ticket(pilot, first.id)
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, RequesterScreen)
        card = plain(app, "#requester-card")
        assert "Mei Lin <mei@example.com>" in card and "organisation: Telecom C" in card
        assert options(app, "#requester-tickets") == [str(second.id), str(first.id)]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == second.id
        await pilot.press("escape", "escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await open_ticket(pilot, 1)  # a ticket for no requester
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen)
        assert notices(app)[-1] == "No requester: This ticket is not for a requester."

    desk.run(scenario)
