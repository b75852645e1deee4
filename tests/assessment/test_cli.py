"""``ticketflow assess`` end to end: the report as text, JSON and CSV, --explain, exit codes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.assessment.indicators import REASONS as CODES
from tests.assessment.world import PASSWORD, ROOT, SHIPPED, World, build_world
from tui.cli import run
from tui.reasons import REASONS


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A desk in a SQLite file with October tickets; TICKETFLOW_DB names it."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    world = build_world(url)
    world.received_after(3)
    world.received_after(9)
    world.record(world.submit(), "complaint")
    world.close()
    monkeypatch.setenv("TICKETFLOW_DB", url)
    monkeypatch.setenv("TICKETFLOW_USER", "sue")  # the assessment is a supervisor's read
    monkeypatch.setenv("TICKETFLOW_PASSWORD", PASSWORD)
    monkeypatch.chdir(ROOT)
    yield world


def assess(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(["assess", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_the_report_as_json(desk: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = assess(capsys, "--period", "2026-10", "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["period"], report["time_zone"]) == ("2026-10", "Asia/Taipei")
    assert [post["post"] for post in report["posts"]] == [
        "service_desk", "response_group", "handling_group", "vendor"]
    desk_post = report["posts"][0]
    response = desk_post["indicators"][0]
    assert response == {"indicator": "timely_response_rate", "title": response["title"],
                        "numerator": 1, "denominator": 2, "rate": 0.5, "score": 0,
                        "weight": 5}
    complaints = next(i for i in desk_post["indicators"] if i["indicator"] == "complaint_rate")
    assert (complaints["numerator"], complaints["denominator"], complaints["score"]) == (
        1, 3, -3)
    reply = desk_post["indicators"][1]
    assert (reply["rate"], reply["score"]) == (None, None)  # nothing to count: n/a, no score
    assert desk_post["total"] == sum(i["score"] or 0 for i in desk_post["indicators"])
    assert report["posts"][3]["total"] is None  # the vendor had no ticket at all
    vendor = report["posts"][3]
    assert {i["rate"] for i in vendor["indicators"]} == {None}


def test_the_report_as_csv_and_text_for_one_post(desk: World,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = assess(capsys, "--period", "2026-10", "--post", "service_desk", "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["indicator"] for row in rows][:2] == ["timely_response_rate",
                                                        "timely_reply_rate"]
    assert rows[0]["rate"] == "0.5" and rows[1]["rate"] == rows[1]["score"] == ""
    assert rows[-1]["indicator"] == "total" and rows[-1]["post"] == "service_desk"
    code, out, _ = assess(capsys, "--period", "2026-10", "--post", "service_desk")
    assert code == 0
    assert "service_desk: total" in out and "n/a" in out and "50.00%" in out
    assert "vendor" not in out


def test_explain_lists_the_tickets_on_each_side(desk: World,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--period", "2026-10", "--explain", "timely_response_rate", "--post",
            "service_desk"]
    code, out, _ = assess(capsys, *argv, "--json")
    assert code == 0
    explained = json.loads(out)
    assert [(c["ticket"], c["measured"]) for c in explained["counted"]] == [(1, "PT3S")]
    assert [(c["ticket"], c["measured"], c["limit"]) for c in explained["others"]] == [
        (2, "PT9S", "PT5S")]
    assert explained["others"][0]["why"] == "received 9 s after opening, over 5 s"
    code, out, _ = assess(capsys, *argv)
    assert code == 0 and "1 of 2 (50.00%), score 0" in out and "not counted" in out
    code, out, _ = assess(capsys, *argv, "--csv")
    assert out.splitlines()[0] == "ticket,side,at,measured,limit,clock,why"
    code, out, _ = assess(capsys, "--period", "2026-10", "--explain", "timely_handling_rate",
                          "--post", "vendor")
    assert code == 0 and "0 of 0 (n/a), score n/a" in out


def test_the_yearly_report_and_an_assessment_file_of_ones_own(
        desk: World, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    own = tmp_path / "assessment.yaml"
    own.write_text(SHIPPED.read_text(encoding="utf-8").replace("threshold: PT5S",
                                                               "threshold: PT10S"))
    code, out, _ = assess(capsys, "--period", "2026", "--post", "service_desk", "--json",
                       "--assessment", str(own))
    assert code == 0
    response = json.loads(out)["posts"][0]["indicators"][0]
    assert (response["numerator"], response["denominator"], response["score"]) == (2, 2, 5)


@pytest.mark.parametrize(("argv", "message"), [
    (["--period", "2026-13"], "is not a month (YYYY-MM) or a year (YYYY)"),
    (["--period", "2026-10", "--post", "nowhere"], "is not assessed"),
    (["--period", "2026-10", "--explain", "speed", "--post", "vendor"], "no indicator"),
    (["--period", "2026-10", "--explain", "timely_reply_rate", "--post", "vendor"],
     "does not apply"),
    (["--period", "2026-10", "--explain", "timely_reply_rate"], "exactly one --post"),
    (["--period", "2026-10", "--json", "--csv"], "one of --json and --csv"),
    (["--post", "vendor"], "--period"),
])
def test_bad_input_exits_2_with_one_error_line(desk: World, capsys: pytest.CaptureFixture[str],
                                               argv: list[str], message: str) -> None:
    code, out, err = assess(capsys, *argv)
    assert code == 2
    assert message in err and out == ""


def test_an_invalid_assessment_file_is_reported_at_its_place(
        desk: World, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "assessment.yaml"
    broken.write_text(SHIPPED.read_text(encoding="utf-8").replace(
        "time_zone: Asia/Taipei", "time_zone: Asia/Atlantis"))
    code, _, err = assess(capsys, "--period", "2026-10", "--assessment", str(broken))
    assert code == 2
    assert err.strip() == (f"{broken}:23:12: unknown time zone 'Asia/Atlantis' "
                           "(use an IANA name such as Asia/Taipei)")


def test_every_reason_of_the_formulas_has_words() -> None:
    assert set(REASONS) == CODES
