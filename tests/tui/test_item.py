"""The item screen: a ticket's configuration item, its impact and open tickets; an admin
changes its criticality from there (journaled)."""

from __future__ import annotations

from engine.desk.items import Item, Items
from tests.tui.conftest import DeskCopy, choose, login, notices, plain
from tests.tui.test_ticket import open_ticket, options
from tui.screens.item import ItemScreen
from tui.screens.ticket import TicketScreen

ITEMS = [Item("san-1", "storage", "hardware_platform", "StoreCo", "critical"),
         Item("db-1", "database", "system_software", "DBCo", "high", ("san-1",))]


def linked(desk: DeskCopy) -> tuple[int, int]:
    """The items loaded, and two tickets on san-1; their ids."""
    workspace = desk.workspace
    Items(workspace.store, workspace.desk.clock).load(ITEMS, desk.people["amy"])
    first, second = (workspace.desk.open("service_desk", desk.people["ann"], {
        "summary": summary, "item": "san-1"}).id for summary in ("array degraded", "slow io"))
    return first, second


async def open_item(pilot, name: str, ticket: int) -> None:
    """Log in as ``name``, open the ticket and its item with ``i``."""
    await login(pilot, name)
    await open_ticket(pilot, ticket)
    await pilot.press("i")
    await pilot.pause()


def test_the_item_of_a_ticket_with_impact_and_open_tickets(desk: DeskCopy) -> None:
    first, second = linked(desk)

    async def scenario(pilot, app):
        await open_item(pilot, "ann", first)
        assert isinstance(app.screen, ItemScreen)
        card = plain(app, "#item-card")
        assert "san-1 · storage · critical" in card and "owner group: hardware_platform" in card
        assert "impact: db-1 (high)" in card
        assert options(app, "#item-tickets") == [str(second), str(first)]
        await choose(pilot, "#item-tickets", str(second))
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == second

    desk.run(scenario)


def test_an_admin_changes_the_criticality(desk: DeskCopy) -> None:
    first, _ = linked(desk)

    async def scenario(pilot, app):
        await open_item(pilot, "amy", first)
        await pilot.press("p")
        await pilot.pause()
        await choose(pilot, "#choice-list", "medium")
        assert notices(app)[-1] == "Item changed: san-1 saved"
        assert "san-1 · storage · medium" in plain(app, "#item-card")

    desk.run(scenario)
    items = Items(desk.workspace.store, desk.workspace.desk.clock)
    assert items.get("san-1").criticality == "medium"
    assert items.get("san-1").owner_group == "hardware_platform"
