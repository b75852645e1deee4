"""Text that looks like Textual markup is shown as typed: it never styles, nor crashes, a screen.

Ticket data, account names, process titles, filters and what is typed into forms all reach
the screen; ``[/]`` alone raises MarkupError wherever a string is read as markup.
"""

from __future__ import annotations

from textual.widgets import OptionList, Static

from tests.tui.conftest import DeskCopy, choose, fill, login, notices
from tui.screens.help import HelpScreen
from tui.widgets.field_input import FieldInput
from tui.widgets.status_line import StatusLine

HOSTILE = "[/] [bold]x[/bold"


def test_markup_in_data_and_input_is_shown_as_text(desk: DeskCopy) -> None:
    admin = desk.people["amy"]
    desk.workspace.accounts.add(admin, username="mal", password="Str0ng-pass", roles=["agent"],
                                post="service_desk", display_name=HOSTILE)
    hostile = desk.workspace.desk.open("service_desk", desk.people["ann"], {"summary": HOSTILE})

    async def scenario(pilot, app):
        await pilot.press(*"[/]", "enter", *"x", "enter")  # a login with a hostile name
        assert notices(app)[-1] == "Login failed: wrong password for '[/]'"
        await login(pilot, "ann")
        await pilot.press("5", "slash")
        await fill(pilot, "#queue-filter", "state:[/]")
        assert "search state:[/]" in app.screen.query_one(StatusLine).text
        await fill(pilot, "#queue-filter", f"#{hostile.id}")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert HOSTILE in str(app.screen.query_one("#help-title", Static).content)
        await pilot.press("escape", "a")
        box = app.screen.query_one("#choice-list", OptionList)
        labels = [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]
        assert f"mal  {HOSTILE}" in labels
        await pilot.press("escape", "escape", "n")
        await choose(pilot, "#choice-list", "fault_escalation")
        await fill(pilot, "#field-level", HOSTILE, submit=False)
        level = next(f for f in app.screen.query(FieldInput) if f.field_name == "level")
        assert not level.valid and HOSTILE in str(level.query_one(".field-problem",
                                                                  Static).content)
        assert app.is_running

    desk.run(scenario)
