"""The assessment file: the shipped one, tiers closed at their lower bound, located errors,
and periods in the desk's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.assessment.report import Figure
from engine.assessment.table import load_assessment, parse_assessment, parse_period
from engine.core.errors import BadRequest, SpecError
from engine.files import check_files
from tests.assessment.boundaries import SEED_TIERS, seed_score
from tests.assessment.world import SHIPPED

SPEC = load_assessment(SHIPPED).spec


def test_the_shipped_file_holds_the_seeds_table() -> None:
    assert SPEC.time_zone == "Asia/Taipei"
    assert SPEC.posts == ["service_desk", "response_group", "handling_group", "vendor"]
    tiers = {name: [(tier.at_least, tier.score) for tier in spec.tiers]
             for name, spec in SPEC.indicators.items()}
    assert tiers == SEED_TIERS
    weights = {name: spec.weight for name, spec in SPEC.indicators.items()}
    assert list(weights.values()) == [5, 5, 10, 20, -3, -3, -5]
    assert SPEC.indicators["timely_response_rate"].threshold == "PT5S"
    assert SPEC.indicators["timely_reply_rate"].threshold == "PT10M"


@pytest.mark.parametrize(("indicator", "rate", "score"), [
    ("timely_response_rate", Fraction(9, 10), 5),
    ("timely_response_rate", Fraction(8999, 10000), 4),
    ("timely_response_rate", Fraction(3, 5), 2),
    ("timely_response_rate", Fraction(5999, 10000), 0),
    ("first_time_resolution_rate", Fraction(1, 10), 1),
    ("first_time_resolution_rate", Fraction(999, 10000), 0),
    ("pending_rate", Fraction(1, 10), -3),  # the seed's gap: exactly 10% is the worst tier
    ("pending_rate", Fraction(999, 10000), -2),
    ("pending_rate", Fraction(1, 20), -2),
    ("pending_rate", Fraction(499, 10000), 0),
    ("escalated_complaint_rate", Fraction(1, 10), -5),
    ("escalated_complaint_rate", Fraction(999, 10000), -3),
    ("complaint_rate", Fraction(1, 100), -1),
    ("complaint_rate", Fraction(99, 10000), 0),
    ("complaint_rate", Fraction(1), -3),
    ("timely_handling_rate", Fraction(0), 0),
])
def test_tiers_are_closed_at_their_lower_bound(indicator: str, rate: Fraction,
                                               score: int) -> None:
    assert SPEC.indicators[indicator].score(rate) == score


@given(st.integers(min_value=1, max_value=100_000).flatmap(
    lambda total: st.tuples(st.integers(min_value=0, max_value=total), st.just(total))))
def test_every_rate_scores_as_the_seeds_table_says(counts: tuple[int, int]) -> None:
    numerator, denominator = counts
    for name, spec in SPEC.indicators.items():
        figure = Figure(name, spec.title, numerator, denominator,
                        spec.score(Fraction(numerator, denominator)), spec.weight)
        assert figure.score == seed_score(name, numerator, denominator)
        shown = float(figure.rate_text.rstrip("%"))
        assert shown <= numerator * 100 / denominator < shown + 0.01 + 1e-9


@pytest.mark.parametrize(("numerator", "denominator", "text"), [
    (9, 10, "90.00%"), (8999, 10000, "89.99%"), (89996, 100000, "89.99%"), (2, 3, "66.66%"),
    (1, 1, "100.00%"), (0, 5, "0.00%"), (0, 0, "n/a")])
def test_rates_are_shown_cut_not_rounded(numerator: int, denominator: int, text: str) -> None:
    assert Figure("x", "x", numerator, denominator, 0, 0).rate_text == text


def test_no_tickets_has_no_score_unless_the_file_gives_one() -> None:
    assert [spec.score(None) for spec in SPEC.indicators.values()] == [None] * 7
    changed = SHIPPED.read_text(encoding="utf-8").replace(
        "    threshold: PT5S\n", "    threshold: PT5S\n    when_empty: 2\n")
    assert parse_assessment(changed, "a.yaml").spec.indicators[
        "timely_response_rate"].score(None) == 2


BROKEN = [  # (old text, new text, where the problem is: "context|point", the message)
    ("time_zone: Asia/Taipei", "time_zone: Mars/Olympus", "Mars/Olympus", "unknown time zone"),
    ("    threshold: PT5S\n", "    threshold: PT5X\n", "PT5X", "not an ISO 8601 duration"),
    ("    threshold: PT5S\n", "", "title: Timely response", "needs 'threshold'"),
    ("    weight: 5\n    posts: [service_desk]\n", "    weight: 4\n    posts: [service_desk]\n",
     "4\n    posts: [service_desk]", "weight 4 does not match the tiers, whose best score is 5"),
    ("      - {at_least: 80, score: 4}\n      - {at_least: 70, score: 3}",
     "      - {at_least: 70, score: 4}\n      - {at_least: 80, score: 3}", "80, score: 3",
     "80 is not below 70"),
    ("      - {at_least: 5, score: -2}\n      - {at_least: 0, score: 0}\n\n  complaint",
     "      - {at_least: 5, score: -2}\n\n  complaint", "5, score: -2}\n\n",
     "the last tier must start at 0"),
    ("    counts: at_period_end", "    counts: forever", "forever", "counts: Input should be"),
    ("    tag: complaint\n", "    tag: complaint\n    counts: during_period\n",
     "counts: during_period", "'counts' applies to the formula pending, not complaint"),
    ("    posts: [service_desk]\n    tiers:\n      - {at_least: 90",
     "    posts: [service_desk, helpdesk]\n    tiers:\n      - {at_least: 90", "helpdesk",
     "post 'helpdesk' is not among the assessed posts"),
    ("    weight: 20\n", "    weight: 20\n    colour: red\n", "colour", "unknown key 'colour'"),
    ("    formula: pending\n", "    formula: hung\n", "formula: |hung", "formula: Input should be"),
    ("{at_least: 10, score: 1}", "{at_least: 10%, score: 1}", "{at_least: |10%",
     "a valid number"),
]


@pytest.mark.parametrize(("old", "new", "marker", "message"), BROKEN)
def test_a_broken_file_is_reported_at_its_line_and_column(
        tmp_path: Path, old: str, new: str, marker: str, message: str) -> None:
    source = SHIPPED.read_text(encoding="utf-8")
    assert old in source
    broken = source.replace(old, new, 1)
    context, _, point = marker.rpartition("|")
    before = broken[:broken.index(context + point) + len(context)]
    where = (before.count("\n") + 1, len(before) - before.rfind("\n"))
    path = tmp_path / "assessment.yaml"
    path.write_text(broken, encoding="utf-8")
    found = [((p.line, p.column), p.message) for p in check_files([path]).problems]
    assert any(at == where and message in text for at, text in found), (where, found)


def test_validate_recognises_an_assessment_file() -> None:
    report = check_files([SHIPPED])
    assert report.problems == []
    assert report.checked == [str(SHIPPED)]


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(SpecError, match="must be a mapping"):
        parse_assessment("- assessment\n", "a.yaml")


TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2026-10", datetime(2026, 9, 30, 16, tzinfo=UTC), datetime(2026, 10, 31, 16, tzinfo=UTC)),
    ("2026-12", datetime(2026, 11, 30, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC)),
    ("2026", datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC)),
])
def test_periods_are_local_calendar_months_and_years(text: str, start: datetime,
                                                      end: datetime) -> None:
    period = parse_period(text, TAIPEI)
    assert (period.start, period.end) == (start, end)
    assert start in period and end not in period


def test_a_month_with_a_daylight_saving_change_ends_at_local_midnight() -> None:
    period = parse_period("2026-03", ZoneInfo("Europe/Berlin"))
    assert period.start == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert period.end == datetime(2026, 3, 31, 22, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-00", "2026-13", "202-10", "2026/10", "x", "0000"])
def test_a_period_that_is_not_a_month_or_a_year_is_bad_input(text: str) -> None:
    with pytest.raises(BadRequest, match="YYYY-MM"):
        parse_period(text, TAIPEI)
