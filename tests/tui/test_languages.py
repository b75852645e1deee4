"""Languages: the app's and the command line's messages through gettext catalogs (English,
Traditional Chinese), chosen by TICKETFLOW_LANG or the locale variables."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from textual.widgets import DataTable

from tests.assessment.world import PASSWORD, build_world
from tests.tui.conftest import ROOT, DeskCopy, login
from tui.cli import run
from tui.i18n import _, language

CATALOG = ROOT / "tui" / "locale" / "zh_TW" / "LC_MESSAGES" / "ticketflow.po"


@pytest.mark.parametrize(("environ", "chosen"), [
    ({}, "en"), ({"LANG": "zh_TW.UTF-8"}, "zh_TW"), ({"LANG": "zh_Hant"}, "zh_TW"),
    ({"LANG": "zh_CN.UTF-8"}, "en"), ({"LANG": "fr_FR.UTF-8"}, "en"),
    ({"LANG": "zh_TW.UTF-8", "LC_ALL": "C"}, "en"),
    ({"LANG": "en_US.UTF-8", "TICKETFLOW_LANG": "zh_TW"}, "zh_TW")])
def test_the_language_comes_from_the_setting_then_the_locale(environ: dict[str, str],
                                                             chosen: str) -> None:
    assert language(environ) == chosen


def test_every_marked_message_is_translated_to_traditional_chinese() -> None:
    marked = {message for _file, _line, message, *_ in extract_from_dir(
        str(ROOT / "tui"), keywords={"_": None, "N_": None})}
    with CATALOG.open("rb") as file:
        catalog = read_po(file)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    assert marked and marked <= set(translated), sorted(marked - set(translated))
    for message, translation in translated.items():  # the same placeholders on both sides
        assert sorted(_fields(str(message))) == sorted(_fields(str(translation))), message


def _fields(text: str) -> list[str]:
    return [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name]


def test_messages_follow_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETFLOW_LANG", "en")
    assert _("Assessment") == "Assessment"
    monkeypatch.setenv("TICKETFLOW_LANG", "zh_TW")
    assert _("Assessment") == "考覈" and _("not a marked message") == "not a marked message"


def test_the_assessment_speaks_chinese_under_a_chinese_locale(
        desk: DeskCopy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_TW.UTF-8")
    monkeypatch.delenv("TICKETFLOW_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)

    async def scenario(pilot, app):
        await login(pilot, "ian")
        await pilot.press("K")
        table = app.screen.query_one(DataTable)
        headers = [str(column.label) for column in table.columns.values()]
        assert headers == ["崗位", "指標", "計入", "比率", "分數", "權重"]
        assert app.screen.title == "考覈"

    desk.run(scenario)


def test_the_command_line_speaks_chinese_under_a_chinese_locale(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    build_world(url).close()
    monkeypatch.setenv("TICKETFLOW_LANG", "zh_TW")
    for name, value in {"TICKETFLOW_DB": url, "TICKETFLOW_USER": "root",
                        "TICKETFLOW_PASSWORD": PASSWORD}.items():
        monkeypatch.setenv(name, value)
    assert run(["assess", "--period", "2026-10", "--post", "vendor"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("考覈 2026-10") and "vendor：總分 n/a" in out
    assert run(["assess", "--period", "2026-10", "--post", "vendor", "--csv"]) == 0
    assert capsys.readouterr().out.startswith("period,post,indicator")  # data stays as it is
