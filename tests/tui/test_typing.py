"""Fast typing: every key applied, in the order typed, while forms and the editor validate.

``type_fast`` hands the keys to the app's driver all at once, as a terminal does when an
agent types faster than the app draws (or a busy machine delays it): nothing waits between
them, unlike ``pilot.press``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from datetime import timedelta

import pytest
from textual import events
from textual.app import App, _character_to_key, _get_unicode_name_from_key  # type: ignore[attr-defined]
from textual.keys import REPLACED_KEYS
from textual.pilot import Pilot
from textual.widgets import TextArea

from engine.process.spec import FieldSpec
from tests.tui.conftest import ROOT, DeskCopy, choose, login
from tui.app import TicketflowApp
from tui.screens.editor import EditorScreen
from tui.screens.field_form import FieldFormScreen, FormField
from tui.widgets.field_input import FieldInput
from tui.widgets.yaml_editor import YamlEditor


@pytest.fixture
def busy_machine() -> Iterator[None]:
    """Every core kept busy by another process while the test types: the app falls behind."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


async def type_fast(app: App[None], keys: list[str]) -> None:
    """Post keys to the app the way the terminal driver does, without waiting between them
    (each is in the app's queue when this returns, none is handled yet)."""
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char: str | None = unicodedata.lookup(
                _get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        await app._post_message(event)


async def typed(pilot: Pilot[None], seconds: float = 60.0) -> None:
    """Wait until the app has applied every key typed (however busy the machine is)."""
    app = pilot.app
    assert isinstance(app, TicketflowApp)
    received = asyncio.Event()
    app.call_later(received.set)  # behind the keys in the app's queue
    await asyncio.wait_for(received.wait(), seconds)
    deadline = time.monotonic() + seconds
    while app.keys_pending and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await pilot.pause()
    assert not app.keys_pending


def test_a_form_typed_fast_keeps_every_key_in_its_field(desk: DeskCopy,
                                                        busy_machine: None) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("n")
        await choose(pilot, "#choice-list", "fault_escalation")
        await type_fast(app, [*"Whole top-up", "backspace", "s", "tab", "5", "backspace", "1",
                              "tab", "enter", "down", "down", "enter", "shift+tab",
                              "backspace", "2"])
        await typed(pilot)
        values = {f.field_name: f.value for f in app.screen.query(FieldInput)}
        assert (values["summary"], values["level"], values["fault_kind"]) == (
            "Whole top-us", "2", "network")

    desk.run(scenario)


def test_the_editor_typed_fast_inserts_where_the_cursor_is(desk: DeskCopy,
                                                           busy_machine: None) -> None:
    path = desk.folder / "service_desk.yaml"
    path.write_text((ROOT / "flows" / "service_desk.yaml").read_text(encoding="utf-8"))

    async def scenario(pilot, app):
        await login(pilot, "amy")
        app.push_screen(EditorScreen(path, path.read_text(encoding="utf-8")))
        await pilot.pause()
        editor = app.screen.query_one(YamlEditor)
        before = editor.text.splitlines()
        line = before.index("title: Service desk ticket")
        editor.move_cursor((line, len("title: Service")))
        await type_fast(app, [*" WW", "backspace", "W", "up", "end", *"  # a", "backspace", "b"])
        await typed(pilot)  # the check runs between keys
        after = editor.text.splitlines()
        assert after[line] == "title: Service WW desk ticket"
        assert after[line - 1] == before[line - 1] + "  # b"
        assert after[:line - 1] + after[line + 1:] == before[:line - 1] + before[line + 1:]

    desk.run(scenario)


def test_every_kind_of_field_typed_fast_keeps_its_keys(desk: DeskCopy,
                                                       busy_machine: None) -> None:
    fields = [FormField("story", FieldSpec(type="text", long=True), True),
              FormField("urgent", FieldSpec(type="boolean"), False),
              FormField("due", FieldSpec(type="timestamp"), True),
              FormField("kind", FieldSpec(type="choice", choices=["a", "b"]), True)]

    async def scenario(pilot, app):
        await login(pilot, "ann")
        app.push_screen(FieldFormScreen("Every kind", fields, note=None))
        await pilot.pause()
        assert isinstance(app.focused, TextArea)
        await type_fast(app, [*"ab", "enter", "c", "backspace", "d", "tab", "space", "tab",
                              "+", "2", "h", "backspace", "backspace", "3", "h", "tab",
                              "enter", "down", "down", "enter", "shift+tab", "shift+tab",
                              "space", "space"])
        await typed(pilot)
        values = {f.field_name: f.value for f in app.screen.query(FieldInput)}
        now = app.session.now()
        assert values == {"story": "ab\nd", "urgent": "true", "kind": "b",
                          "due": (now + timedelta(hours=3)).isoformat()}

    desk.run(scenario)
