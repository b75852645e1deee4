"""SVG snapshots of the main screens (pytest-textual-snapshot): a fixed desk, a clock
stopped at a fixed moment, times in UTC, a fixed terminal size and no blinking cursor.

Update them after an intended change with ``pytest tests/tui/test_snapshots.py
--snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from engine.core.model import TicketQuery
from tests.tui.conftest import ROOT, SIZE, DeskCopy, fill, login
from tui.app import TicketflowApp
from tui.screens.editor import EditorScreen
from tui.screens.login import DemoLogin
from tui.widgets.yaml_editor import YamlEditor


def app_for(desk: DeskCopy, **options: Any) -> TicketflowApp:
    """The app on the desk, its URL fixed (the file lives in a temporary folder)."""
    workspace = replace(desk.workspace, url="sqlite:///ticketflow.db")
    return TicketflowApp(workspace, zone=__import__("datetime").UTC, poll_seconds=0, **options)


async def still(pilot: Pilot[None]) -> None:
    """Stop every cursor from blinking, so that the picture does not depend on timing.

    Focus moves after a screen mounts; a cursor stops visible only if its widget has the
    focus when blinking stops, so wait for the focus to land first.
    """
    for _ in range(50):
        await pilot.pause()
        if pilot.app.focused is not None:
            break
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()


def test_login_screen_of_the_demo(desk: DeskCopy, snap_compare: Any) -> None:
    demo = [DemoLogin("ann", "ann-demo", "agent", "service_desk"),
            DemoLogin("amy", "amy-demo", "admin", None)]
    assert snap_compare(app_for(desk, demo=demo), terminal_size=SIZE, run_before=still)


def test_queue_of_all_open_tickets(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "ann")
        await pilot.press("5", "j")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_ticket_view(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "ann")
        await pilot.press("enter")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_trigger_form_with_a_problem(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "ann")
        await pilot.press("enter", "enter")  # the first action: solve at the desk
        await pilot.press("ctrl+s")  # nothing chosen: the article and resolution are required
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_yaml_editor_marking_a_problem(desk: DeskCopy, snap_compare: Any) -> None:
    source = (ROOT / "flows" / "vendor_access.yaml").read_text(encoding="utf-8")
    broken = source.replace("    to: approved\n", "    to: aproved\n", 1)

    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "amy")
        pilot.app.push_screen(EditorScreen(Path("flows/vendor_access.yaml"), broken))
        await pilot.pause()
        editor = pilot.app.screen.query_one(YamlEditor)
        editor.move_cursor((min(editor.problems), 0), center=True)
        pilot.app.screen.query_one("#editor-graph-scroll").focus()  # no text cursor to blink
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_replay_of_a_ticket(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "ian")
        await pilot.press("3", "j", "R", "right", "right")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_process_versions_and_their_diff(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "amy")
        await pilot.press("P", "down", "d")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_accounts(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "amy")
        await pilot.press("U")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_assessment_and_the_tickets_behind_a_figure(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "ian")
        await pilot.press("K", "j", "j", "j")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_assessment_trend_per_post(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "ian")
        await pilot.press("K", "t")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_search_results(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "ann")
        await pilot.press("5", "slash")
        await fill(pilot, "#queue-filter", "branch open:all")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_queue_sorted_by_sla_due(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "sue")
        await pilot.press("5", "greater_than_sign", "greater_than_sign")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_at_risk_queue(desk: DeskCopy, snap_compare: Any) -> None:
    from datetime import datetime

    warned = min(datetime.fromisoformat(clock["warn"])
                 for ticket in desk.workspace.desk.tickets(TicketQuery(is_open=True))
                 for clock in ticket.sla.get("clocks", {}).values()
        if clock.get("warn") and clock.get("since") and not clock.get("breached"))
    desk.clock.set(warned)

    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "sue")
        await pilot.press("6")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_approvals_inbox(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "sue")
        await pilot.press("7")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_bulk_selection(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "ann")
        await pilot.press("5", "space", "j", "space")
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_typed_form_with_its_choices_open(desk: DeskCopy, snap_compare: Any) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "ann")
        await pilot.press("enter", "down", "enter")  # the second action: dispatch
        await still(pilot)
        await pilot.press("enter")  # the group's choices
        await pilot.pause()

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_yaml_editor_finding_a_word(desk: DeskCopy, snap_compare: Any) -> None:
    source = (ROOT / "flows" / "vendor_access.yaml").read_text(encoding="utf-8")

    async def before(pilot: Pilot[None]) -> None:
        await login(pilot, "amy")
        pilot.app.push_screen(EditorScreen(Path("flows/vendor_access.yaml"), source))
        await pilot.pause()
        await pilot.press("ctrl+f", *"trigger: approve", "enter", "ctrl+f")  # found, asked again
        await still(pilot)

    assert snap_compare(app_for(desk), terminal_size=SIZE, run_before=before)


def test_the_docs_screenshots_are_the_snapshots() -> None:
    from tests.tui.screenshots import IMAGES, SHOTS, source

    stale = [image for image in SHOTS
             if (IMAGES / image).read_bytes() != source(image).read_bytes()]
    assert not stale, f"run python -m tests.tui.screenshots: {stale} differ"
