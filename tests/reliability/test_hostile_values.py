"""Hostile values in tickets: stored verbatim or refused clearly, and shown safely.

SQL-looking text is data like any other; a megabyte fits where a field's ``max_length``
allows it and is refused with the field's name elsewhere (and in journal notes); values
out of range are refused; control characters and bidirectional marks are stored as given
and escaped wherever the command line or the terminal app shows them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.core.errors import BadRequest, MissingField
from engine.core.model import TicketQuery
from engine.process.fields import compile_pattern
from engine.process.load import load_process
from engine.time.clock import VirtualClock
from tests.reliability.world import PASSWORD, Setup, check_desk, prepare
from tui.cli import run
from tui.output import BIDI_MARKS

VALUES_FLOW = Path(__file__).resolve().parent / "flows" / "values.yaml"
SQL = ["'); DROP TABLE tickets; --", "1 OR 1=1", "\"; DELETE FROM events WHERE '1'='1",
       "x' UNION SELECT password_hash FROM accounts --", "%_\\%", "$$; DROP SCHEMA public$$"]
UNSAFE = "\x1b[2J\x1b]52;c;cHduZWQ=\x07\u202eevil\u200f\x08\rend"
"""Clears the screen, writes the clipboard (OSC 52), reverses text, backspaces."""
DANGEROUS = set("\x1b\x07\u202e\u200f\x08\r")
MEGABYTE = "0123456789abcdef" * 65_536


@pytest.fixture
def values_desk(store_url: str) -> Iterator[Setup]:
    setup = prepare(store_url)
    setup.workspace.desk.deploy([load_process(VALUES_FLOW)], setup.people["root"])
    yield setup
    setup.workspace.store.close()


def test_sql_looking_text_is_stored_verbatim(values_desk: Setup) -> None:
    desk, agent = values_desk.workspace.desk, values_desk.people["a1"]
    ids = [desk.open("values", agent, {"summary": text}).id for text in SQL]
    desk.record(ids[0], "comment", agent, note=SQL[2])
    assert [desk.ticket(i).data["summary"] for i in ids] == SQL
    assert desk.history(ids[0])[-1].note == SQL[2]
    assert len(desk.tickets(TicketQuery(limit=100))) == len(SQL)
    assert desk.tickets(TicketQuery(state="'; --")) == []
    assert check_desk(values_desk.workspace.store) == []  # type: ignore[arg-type]


def test_a_megabyte_fits_where_max_length_allows_and_is_refused_elsewhere(
        values_desk: Setup) -> None:
    desk, agent = values_desk.workspace.desk, values_desk.people["a1"]
    ticket = desk.open("values", agent, {"summary": "a log", "attachment": MEGABYTE})
    assert desk.ticket(ticket.id).data["attachment"] == MEGABYTE
    closed = desk.fire(ticket.id, "close", agent, data={"attachment": MEGABYTE[::-1]})
    assert desk.ticket(closed.id).data["attachment"] == MEGABYTE[::-1]
    with pytest.raises(MissingField, match="'summary' is longer than 10000 characters"):
        desk.open("values", agent, {"summary": MEGABYTE})
    with pytest.raises(MissingField, match="note is longer than 10000 characters"):
        desk.record(ticket.id, "comment", agent, note=MEGABYTE)
    other = desk.open("values", agent, {"summary": "x"})
    with pytest.raises(MissingField, match="note is longer"):
        desk.fire(other.id, "close", agent, note=MEGABYTE)
    assert desk.ticket(other.id).version == 1 and len(desk.tickets(TicketQuery())) == 2
    assert check_desk(values_desk.workspace.store) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("field, value, message", [
    ("due", "9999-12-31T23:59:59-05:00", "out of range"),
    ("due", "0001-01-01T00:00:00+05:00", "out of range"),
    ("due", "2026-02-30T00:00:00Z", "not an ISO 8601 timestamp"),
    ("due", "2026-01-01T00:00:00", "no time zone"),
    ("count", "9" * 19, "expected an integer"),
    ("count", 10**30, None),
    ("ratio", "1e999", "finite"),
    ("ratio", "nan", "finite"),
    ("summary", "", "missing"),
    ("summary", "a\x00b", "NUL"),
])
def test_values_out_of_range_are_refused_by_name(values_desk: Setup, field: str, value: Any,
                                                 message: str | None) -> None:
    desk, agent = values_desk.workspace.desk, values_desk.people["a1"]
    data = {"summary": "x", field: value}
    if message is None:  # accepted as given: JSON keeps big integers and empty text exact
        ticket = desk.open("values", agent, data)
        assert desk.ticket(ticket.id).data.get(field) == value
        assert check_desk(values_desk.workspace.store) == []  # type: ignore[arg-type]
        return
    with pytest.raises(MissingField, match=f"field {field!r} .*{message}"):
        desk.open("values", agent, data)


def test_control_characters_and_bidi_marks_are_stored_as_given_and_escaped_on_the_cli(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    setup = prepare(url)
    desk, agent, root = setup.workspace.desk, setup.people["a1"], setup.people["root"]
    ticket = desk.open("crash", agent, {"summary": UNSAFE})
    desk.record(ticket.id, "remark", agent, note=UNSAFE)
    setup.workspace.accounts.add(root, username="mallory", password=PASSWORD, roles=["agent"],
                                 post="desk", display_name=UNSAFE)
    setup.workspace.store.close()
    assert desk.ticket(ticket.id).data["summary"] == UNSAFE  # verbatim
    monkeypatch.setenv("TICKETFLOW_USER", "root")  # reads act as an account
    monkeypatch.setenv("TICKETFLOW_PASSWORD", PASSWORD)
    monkeypatch.setenv("TICKETFLOW_HOME", str(tmp_path))
    for argv in (["show", str(ticket.id)], ["history", str(ticket.id)], ["list"],
                 ["users", "list"]):
        assert run([*argv, "--db", url]) == 0
        out = capsys.readouterr().out
        assert not DANGEROUS & set(out), (argv, out)
        assert argv[0] == "users" or ("\\x1b" in out and "\\u202e" in out), (argv, out)


def test_json_output_escapes_bidi_marks_and_decodes_to_the_stored_value(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--json`` is for programs, but people read it in terminals: no raw bidi mark."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    setup = prepare(url)
    desk, agent = setup.workspace.desk, setup.people["a1"]
    every_mark = "".join(map(chr, BIDI_MARKS))
    summary = f"{UNSAFE} é中\u0645{every_mark}end"
    ticket = desk.open("crash", agent, {"summary": summary})
    desk.record(ticket.id, "remark", agent, note=summary)
    setup.workspace.store.close()
    monkeypatch.setenv("TICKETFLOW_USER", "root")  # reads act as an account
    monkeypatch.setenv("TICKETFLOW_PASSWORD", PASSWORD)
    monkeypatch.setenv("TICKETFLOW_HOME", str(tmp_path))
    for argv in (["show", str(ticket.id)], ["history", str(ticket.id)], ["list"]):
        assert run([*argv, "--db", url, "--json"]) == 0
        out = capsys.readouterr().out
        assert not set(every_mark) & set(out), (argv, out)
        assert "\\u202e" in out and "é中\u0645" in out  # other non-ASCII as is
        assert summary in _strings(json.loads(out)), argv
    shown = json.loads((run(["show", str(ticket.id), "--db", url, "--json"]),
                        capsys.readouterr().out)[1])
    assert shown["data"]["summary"] == summary  # the exact stored value


def _strings(value: Any) -> list[str]:
    """Every text in decoded JSON, keys and values."""
    if isinstance(value, dict):
        return [*value, *(text for item in value.values() for text in _strings(item))]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_a_catastrophic_pattern_runs_in_linear_time(values_desk: Setup) -> None:
    """``(a+)+$`` against 50,000 a's and a '!': Python's re backtracks for ages, RE2 is linear.

    Each pattern is compiled once, not per value.
    """
    desk, agent = values_desk.workspace.desk, values_desk.people["a1"]
    crafted, fine = "a" * 50_000 + "!", "a" * 50_000
    compile_pattern.cache_clear()
    started = time.process_time()
    with pytest.raises(MissingField, match=r"'code' does not match the pattern '\(a\+\)\+\$'"):
        desk.open("values", agent, {"summary": "crafted", "code": crafted})
    ticket = desk.open("values", agent, {"summary": "fine", "code": fine})
    closed = desk.fire(ticket.id, "close", agent, data={"code": fine[1:]})
    assert time.process_time() - started < 1
    assert desk.ticket(closed.id).data["code"] == fine[1:]
    assert compile_pattern.cache_info().misses == 1
    assert len(desk.tickets(TicketQuery())) == 1


def test_names_with_control_characters_or_bidi_marks_are_refused(values_desk: Setup) -> None:
    accounts, root = values_desk.workspace.accounts, values_desk.people["root"]
    for name in ("ro\u202eot", "a1\x1b[2J", "a\u200fb", "bob\x00", "sys tem"):
        with pytest.raises(BadRequest, match="not a valid account name"):
            accounts.add(root, username=name, password=PASSWORD, roles=["agent"], post="desk")
    with pytest.raises(BadRequest, match="no NUL character"):
        accounts.add(root, username="eve", password=PASSWORD, roles=["agent"], post="desk",
                     display_name="Eve\x00")


def test_a_nul_character_is_refused_the_same_way_on_every_backend(values_desk: Setup) -> None:
    """SQLite would store it, PostgreSQL cannot: the desk refuses it before either sees it."""
    desk, agent = values_desk.workspace.desk, values_desk.people["a1"]
    ticket = desk.open("values", agent, {"summary": "x"})
    with pytest.raises(MissingField, match="'attachment' contains a NUL character"):
        desk.fire(ticket.id, "close", agent, data={"attachment": "log\x00"})
    with pytest.raises(MissingField, match="note contains a NUL character"):
        desk.record(ticket.id, "comment", agent, note="\x00")
    assert desk.ticket(ticket.id).version == 1


MARKUP = "[/] [link=https://evil.example]click[/link] [bold]"
"""Rich/Textual markup: an unmatched closing tag used to crash the ticket view."""


@pytest.mark.slow  # the terminal app, driven through every screen
def test_the_terminal_app_shows_them_escaped(tmp_path: Path) -> None:
    """Queue, ticket view (card, journal, notifications), notices and the accounts table of
    a desk whose data carries escapes, bidi marks and markup, rendered headless."""
    from tests.tui.conftest import fill, login
    from tui.app import TicketflowApp
    from tui.screens.accounts import AccountsScreen
    from tui.screens.ticket import TicketScreen

    clock = VirtualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    setup = prepare(f"sqlite:///{tmp_path / 'desk.db'}", clock=clock)
    desk, agent = setup.workspace.desk, setup.people["a1"]
    ticket = desk.open("crash", agent, {"summary": MARKUP + UNSAFE, "remark": UNSAFE})
    desk.record(ticket.id, "remark", agent, note=MARKUP + UNSAFE)
    setup.workspace.accounts.add(setup.people["root"], username="mallory", password=PASSWORD,
                                 roles=["agent"], post="desk", display_name=MARKUP + UNSAFE)
    clock.advance(timedelta(seconds=5))
    assert desk.fire_due() == 2  # an SLA warning and breach: notifications quoting the summary
    screens: list[str] = []

    async def as_agent(pilot: Any, app: TicketflowApp) -> None:
        await login(pilot, "a1", PASSWORD)
        app.poll_desk()
        await pilot.press("5")  # all open tickets
        await pilot.pause()
        screens.append(app.export_screenshot())
        await pilot.press("N")  # the post's notices
        await pilot.pause()
        screens.append(app.export_screenshot())
        await pilot.press("escape", "5", "slash")
        await fill(pilot, "#queue-filter", f"#{ticket.id}")
        assert isinstance(app.screen, TicketScreen)
        screens.append(app.export_screenshot())

    async def as_admin(pilot: Any, app: TicketflowApp) -> None:
        await login(pilot, "root", PASSWORD)
        await pilot.press("U")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
        screens.append(app.export_screenshot())

    for scenario in (as_agent, as_admin):
        app = TicketflowApp(setup.workspace, zone=UTC, poll_seconds=0)

        async def drive(app: TicketflowApp = app, scenario: Any = scenario) -> None:
            async with app.run_test(size=(140, 40)) as pilot:
                await pilot.pause()
                await scenario(pilot, app)

        asyncio.run(drive())
    setup.workspace.store.close()
    for shown in screens:
        assert not DANGEROUS & set(shown)
        assert "[/]" in shown, screens.index(shown)  # the markup is shown as typed
    notices, ticket_view = screens[1], screens[2]  # the queue and accounts cut the text short
    assert all("\\x1b" in s and "\\u202e" in s for s in (notices, ticket_view))
