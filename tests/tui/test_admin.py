"""Admin screens: processes and versions with their diff, the YAML editor, accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList

from engine.core.errors import AuthenticationFailed
from tests.tui.conftest import ROOT, DeskCopy, fill, login, notices, plain, until
from tui.screens.accounts import AccountsScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.editor import EditorScreen
from tui.screens.field_form import FieldFormScreen
from tui.screens.graph import GraphScreen
from tui.screens.processes import ProcessesScreen
from tui.widgets.field_input import FieldInput
from tui.widgets.yaml_editor import YamlEditor


def test_admin_lists_versions_and_diffs_two_of_them(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "amy")
        await pilot.press("P")
        assert isinstance(app.screen, ProcessesScreen)
        box = app.screen.query_one("#processes-list", OptionList)
        labels = [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]
        assert [label.split()[:2] for label in labels] == [
            ["current", "fault_escalation"], ["current", "service_desk"], ["service_desk", "v1"],
            ["current", "vendor_access"]]
        box.highlighted = 1
        await pilot.press("d")  # v2 against v1
        diff = plain(app, "#processes-diff")
        assert "-title: Service desk ticket" in diff and "+title: Service desk request" in diff
        box.highlighted = 0
        await pilot.press("space")
        box.highlighted = 3
        await pilot.press("d")  # a marked version against the highlighted one
        assert "--- fault_escalation v1" in plain(app, "#processes-diff")
        await pilot.press("s")
        assert isinstance(app.screen, GraphScreen)

    desk.run(scenario)


def test_agents_see_no_admin_keys(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("P", "U")
        assert type(app.screen).__name__ == "QueueScreen"
        assert "processes" not in {b.binding.action for b in app.screen.active_bindings.values()
                                   if app.screen.check_action(b.binding.action, ())}

    desk.run(scenario)


def test_the_editor_marks_problems_at_their_line_as_you_type(desk: DeskCopy) -> None:
    path = desk.folder / "service_desk.yaml"
    path.write_text((ROOT / "flows" / "service_desk.yaml").read_text(encoding="utf-8"))

    async def scenario(pilot, app):
        await login(pilot, "amy")
        app.push_screen(EditorScreen(path, path.read_text(encoding="utf-8")))
        await pilot.pause()
        editor = app.screen.query_one(YamlEditor)
        assert editor.problems == {} and "valid" in plain(app, "#editor-problems")
        line = editor.text.splitlines().index("  received:")
        editor.move_cursor((line, 2))
        await pilot.press(*"x")  # "  xreceived:" — the transitions now name a missing state
        await until(pilot, lambda: editor.problems)  # checked CHECK_DELAY after the key
        assert editor.problems and all(isinstance(n, int) for n in editor.problems)
        problems = plain(app, "#editor-problems")
        assert "state 'received' does not exist" in problems or "received" in problems
        editor.move_cursor((0, 0))
        await pilot.press("f8")
        assert editor.cursor_location[0] == min(editor.problems)
        await pilot.press("ctrl+z")
        await until(pilot, lambda: editor.problems == {})

    desk.run(scenario)


def test_the_editor_saves_and_deploys_only_after_confirming_the_diff(desk: DeskCopy) -> None:
    path = desk.folder / "service_desk.yaml"
    source = (ROOT / "flows" / "service_desk.yaml").read_text(encoding="utf-8")
    path.write_text(source)

    async def scenario(pilot, app):
        await login(pilot, "amy")
        app.push_screen(EditorScreen(path, source))
        await pilot.pause()
        editor = app.screen.query_one(YamlEditor)
        editor.move_cursor((editor.text.splitlines().index("title: Service desk ticket"), 26))
        await pilot.press(*" (v3)", "ctrl+d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "+title: Service desk ticket (v3)" in plain(app, "#confirm-body Static")
        await pilot.press("n")
        assert len(desk.workspace.desk.versions("service_desk")) == 2
        assert path.read_text() == source  # declining saves nothing either
        await pilot.press("ctrl+d", "y")
        await pilot.pause()
        versions = desk.workspace.desk.versions("service_desk")
        assert [v.number for v in versions] == [1, 2, 3]
        assert "title: Service desk ticket (v3)" in path.read_text()
        assert notices(app)[-1] == "Deploy: service_desk v3 deployed"

    desk.run(scenario)


def test_leaving_the_editor_with_unsaved_changes_asks_first(desk: DeskCopy,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.chdir(desk.folder)  # the deployed path flows/… does not exist here

    async def scenario(pilot, app):
        await login(pilot, "amy")
        await pilot.press("P")
        app.screen.query_one("#processes-list", OptionList).highlighted = 1
        await pilot.press("e")
        assert isinstance(app.screen, EditorScreen)
        assert app.screen.text.startswith("# ───")  # the deployed source
        await pilot.press("x", "escape", "escape")  # out of the text, then out of the screen
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("ctrl+s", "escape")
        assert isinstance(app.screen, ProcessesScreen)
        assert (desk.folder / "flows" / "service_desk.yaml").read_text().startswith("x# ───")

    desk.run(scenario)


def test_admin_adds_disables_and_resets_accounts(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "amy")
        await pilot.press("U")
        assert isinstance(app.screen, AccountsScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 6
        await pilot.press("a")
        assert isinstance(app.screen, FieldFormScreen)
        await fill(pilot, "#field-username", "zoe", submit=False)
        await fill(pilot, "#field-roles", "agent, boss", submit=False)
        roles = next(f for f in app.screen.query(FieldInput) if f.field_name == "roles")
        assert not roles.valid
        await fill(pilot, "#field-roles", "agent", submit=False)
        await fill(pilot, "#field-post", "service_desk", submit=False)
        await fill(pilot, "#field-password", "abc", submit=False)
        password = next(f for f in app.screen.query(FieldInput) if f.field_name == "password")
        assert not password.valid
        await fill(pilot, "#field-password", "Zoe-2026!", submit=False)
        await pilot.press("ctrl+s")
        assert table.row_count == 7
        zoe = desk.workspace.store.get_account("zoe")
        assert (zoe.roles, zoe.post) == (["agent"], "service_desk")
        table.move_cursor(row=table.get_row_index("zoe"))
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert desk.workspace.store.get_account("zoe").disabled
        with pytest.raises(AuthenticationFailed):
            desk.workspace.accounts.login("zoe", "Zoe-2026!")
        table.move_cursor(row=table.get_row_index("ben"))
        await pilot.press("p")
        new_password = app.screen.query_one(FieldInput).value
        await pilot.press("ctrl+s")
        assert desk.workspace.accounts.login("ben", new_password).username == "ben"
        await pilot.press("e")
        await fill(pilot, "#field-roles", "agent, supervisor", submit=False)
        await pilot.press("ctrl+s")
        assert desk.workspace.store.get_account("ben").roles == ["agent", "supervisor"]

    desk.run(scenario)


def test_a_demo_login_list_fills_and_logs_in(desk: DeskCopy) -> None:
    from tui.screens.login import DemoLogin

    logins = [DemoLogin("ann", "Str0ng-pass", "agent", "service_desk")]

    async def scenario(pilot, app):
        box = app.screen.query_one("#login-demo", OptionList)
        assert "Str0ng-pass" in str(box.get_option_at_index(0).prompt)
        box.focus()
        box.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.session is not None and app.session.account.username == "ann"

    desk.run(scenario, demo=logins)


def test_a_file_that_cannot_be_written_is_reported_not_raised(desk: DeskCopy,
                                                              tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    async def scenario(pilot, app):
        await login(pilot, "amy")
        app.push_screen(EditorScreen(blocker / "p.yaml", "process: x\n"))
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, EditorScreen)
        assert notices(app)[-1].startswith("Not saved:")

    desk.run(scenario)


def test_the_editor_runs_the_scenarios_that_name_the_process(desk: DeskCopy) -> None:
    flows = desk.folder / "flows"
    (flows / "scenarios").mkdir(parents=True)
    path = flows / "vendor_access.yaml"
    path.write_text((ROOT / "flows" / "vendor_access.yaml").read_text(encoding="utf-8"))
    scenario = (ROOT / "flows" / "scenarios" / "vendor_access.yaml").read_text(encoding="utf-8")
    (flows / "scenarios" / "vendor_access.yaml").write_text(scenario)

    async def scenario_run(pilot, app):
        await login(pilot, "amy")
        app.push_screen(EditorScreen(path, path.read_text(encoding="utf-8")))
        await pilot.pause()
        await pilot.press("x")
        await pilot.press("ctrl+t")  # unsaved: the scenarios would read the old file
        assert notices(app)[-1].startswith("Scenarios: save first")
        await pilot.press("ctrl+z", "ctrl+s", "ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "✓ vendor remote access" in plain(app, "#editor-scenarios")

    desk.run(scenario_run)


def test_the_editor_highlights_with_tree_sitter_finds_and_goes_to_a_line(desk: DeskCopy) -> None:
    path = desk.folder / "service_desk.yaml"
    source = (ROOT / "flows" / "service_desk.yaml").read_text(encoding="utf-8")
    path.write_text(source)
    lines = source.splitlines()

    async def scenario(pilot, app):
        await login(pilot, "amy")
        app.push_screen(EditorScreen(path, source))
        await pilot.pause()
        editor = app.screen.query_one(YamlEditor)
        assert editor.language == "yaml" and editor.is_syntax_aware  # tree-sitter's grammar
        title = lines.index("title: Service desk ticket")
        assert any(name for _, _, name in editor._highlights[title])
        await pilot.press("ctrl+f", *"DISPATCH", "enter")
        first = editor.cursor_location
        assert editor.selected_text.lower() == "dispatch"
        assert "dispatch" in lines[first[0]].lower()
        await pilot.press("f3")
        assert editor.cursor_location > first and editor.selected_text.lower() == "dispatch"
        await pilot.press("ctrl+g", *"12:5", "enter")
        assert editor.cursor_location == (11, 4) and app.focused is editor
        await pilot.press("ctrl+g", *"soon", "enter")
        assert notices(app)[-1].startswith("Go to line:")
        await pilot.press("ctrl+f", *"no such words", "enter")
        assert notices(app)[-1].startswith("Find:") and editor.text == source
        await pilot.press("ctrl+g", "escape")  # Esc closes the prompt, not the editor
        assert isinstance(app.screen, EditorScreen) and app.focused is editor

    desk.run(scenario)
