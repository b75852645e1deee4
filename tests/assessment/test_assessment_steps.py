"""The expect_assessment and record scenario steps: located problems before a run, and checks."""

from __future__ import annotations

import pytest

from engine.core.errors import SpecError
from engine.scenarios.run import parse_scenario, run_scenario
from tests.assessment.world import ROOT
from tui.wiring import open_workspace

PATH = str(ROOT / "flows" / "scenarios" / "assessment_steps_test.yaml")
HEAD = """scenario: a test of the assessment's steps
start: 2026-10-05T09:00:00+08:00
accounts:
  ann: {roles: [agent], post: service_desk}
steps:
  - {open: service_desk, as: ann, ticket: t, data: {summary: printer jam}}
"""


def run(steps: str) -> list[str]:
    scenario = parse_scenario(HEAD + steps, PATH)
    outcome = run_scenario(scenario, lambda clock: open_workspace("sqlite://", clock=clock).desk)
    return [f"{failure.line}: {failure.message}" for failure in outcome.failures]


def test_problems_are_located_before_anything_runs() -> None:
    steps = """  - expect_assessment: {period: 2026-13, post: service_desk,
                        indicator: complaint_rate, score: 0}
  - expect_assessment: {period: 2026-10, post: service_desk, indicator: speed, score: 0}
  - expect_assessment: {period: 2026-10, post: vendor, indicator: timely_reply_rate, score: 5}
  - expect_assessment: {period: 2026-10, post: vendor, indicator: complaint_rate}
  - {record: complaint, ticket: nobody, as: ann}
  - expect_assessment: {period: 2026-10, post: vendor, indicator: complaint_rate, rate: 1 in 2}
"""
    with pytest.raises(SpecError) as caught:
        parse_scenario(HEAD + steps, PATH)
    lines = (HEAD + steps).splitlines()

    def at(line: int, value: str) -> tuple[int, int]:
        return line, lines[line - 1].index(value) + 1

    found = [((p.line, p.column), p.message) for p in caught.value.problems]
    assert found == [
        (at(7, "2026-13"), "period '2026-13' is not a month (YYYY-MM) or a year (YYYY)"),
        (at(9, "speed"), found[1][1]),
        (at(10, "vendor"), "indicator 'timely_reply_rate' does not apply to the post 'vendor'"),
        (at(11, "{period"), "expect_assessment needs rate, score, numerator or denominator"),
        (at(12, "nobody"), "ticket 'nobody' is not opened by an earlier step"),
        (at(13, "1 in 2"), found[5][1])]
    assert found[1][1].startswith("no indicator 'speed' (known: timely_response_rate")
    assert "rate" in found[5][1]


def test_a_figure_that_differs_is_reported_with_both_values() -> None:
    steps = """  - {record: complaint, ticket: t, as: ann, note: twice}
  - expect_assessment: {period: 2026-10, post: service_desk, indicator: complaint_rate,
                        rate: 0.5, score: -3, numerator: 1, denominator: 1}
  - expect_assessment: {period: 2026-10, post: vendor, indicator: complaint_rate, rate: n/a}
  - expect_assessment: {period: 2026-10, post: service_desk, indicator: complaint_rate, rate: n/a}
  - expect_assessment: {period: 2026-10, post: vendor, indicator: complaint_rate, score: n/a}
  - expect_assessment: {period: 2026-10, post: vendor, indicator: complaint_rate, score: 0}
  - expect_assessment: {period: 2026-10, post: service_desk, indicator: complaint_rate, score: n/a}
"""
    assert run(steps) == [
        "8: complaint_rate of service_desk in 2026-10: expected rate 0.5, got 1.0 (1 of 1)",
        "11: complaint_rate of service_desk in 2026-10: expected rate n/a, got 1.0 (1 of 1)",
        "13: complaint_rate of vendor in 2026-10: expected score 0, got n/a (0 of 0)",
        "14: complaint_rate of service_desk in 2026-10: expected score n/a, got -3 (1 of 1)"]


def test_a_record_step_refused_as_expected_or_not() -> None:
    steps = """  - {record: praise, ticket: t, as: ann, fails: not_found}
  - {record: complaint, ticket: t, as: ann, fails: forbidden}
"""
    assert run(steps) == ["8: expected forbidden, got success"]
