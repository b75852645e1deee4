"""Every tier boundary of every indicator, exactly on it and just below, for two posts each,
as scenarios: tickets are added one story at a time, and an ``expect_assessment`` step checks the
month's figure at each point of the walk (``boundaries.walk``).

The scenarios are written out as YAML (in Taipei time, from local midnight on 1 October,
which is still September in UTC) and run by the scenario runner like any admin's file;
``python -m tests.assessment.test_boundaries DIR`` writes them to DIR for reading. Month
ends are covered by flows/scenarios/assessment_month_end.yaml.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import yaml

import engine.scenarios.assessment  # noqa: F401  (registers expect_assessment and record)
from engine.scenarios.run import parse_scenario, run_scenario
from tests.assessment.boundaries import SEED_TIERS, seed_score, walk
from tests.assessment.world import ROOT
from tui.wiring import open_workspace

pytestmark = pytest.mark.slow
Steps = list[dict[str, Any]]
Story = Callable[[str], Steps]
START = "2026-10-01T00:00:00+08:00"
ACCOUNTS = {"ann": {"roles": ["agent"], "post": "service_desk"},
            "sue": {"roles": ["supervisor"], "post": "service_desk"},
            "rob": {"roles": ["agent"], "post": "response_group"},
            "hal": {"roles": ["agent"], "post": "handling_group"}}
AGENT = {"service_desk": "ann", "response_group": "rob", "handling_group": "hal"}


def _open(ticket: str, process: str = "service_desk", **data: Any) -> dict[str, Any]:
    return {"open": process, "as": "ann", "ticket": ticket,
            "data": {"summary": f"story {ticket}", **data}}


def _fire(ticket: str, trigger: str, actor: str, **data: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"fire": trigger, "ticket": ticket, "as": actor}
    return {**step, "data": data} if data else step


def received_after(wait: str) -> Story:
    return lambda t: [_open(t), {"wait": wait}, _fire(t, "receive", "ann")]


def replied_after(wait: str) -> Story:
    return lambda t: [_open(t), _fire(t, "receive", "ann"),
                      _fire(t, "solve_at_desk", "ann", knowledge_article="KB-1",
                            resolution="reset"), {"wait": wait}, _fire(t, "reply", "ann")]


def fault_at(tier: str, level: int = 1) -> Story:
    """A fault handed up by hand to a tier (no time passes: no timer fires)."""
    def steps(t: str) -> Steps:
        found = [_open(t, "fault_escalation", level=level)]
        if tier != "service_desk":
            found.append(_fire(t, "hand_up", "ann"))
        if tier == "handling_group":
            found.append(_fire(t, "hand_up", "rob", group="system_software"))
        return found
    return steps


def resolved(tier: str, *, reopened: bool) -> Story:
    agent = AGENT[tier]

    def steps(t: str) -> Steps:
        found = [*fault_at(tier)(t), _fire(t, "resolve", agent, resolution="replaced a card")]
        if reopened:
            found += [_fire(t, "reopen", "ann"), _fire(t, "resolve", agent, resolution="again")]
        return [*found, _fire(t, "confirm", "ann")]
    return steps


def desk_part(*, timely: bool) -> Story:
    """Level 1: the desk tier's limit is PT5M; missing it, the ladder's timer escalates."""
    if timely:
        return lambda t: [*fault_at("service_desk")(t), {"wait": "PT4M59S"},
                          _fire(t, "hand_up", "ann")]
    return lambda t: [*fault_at("service_desk")(t), {"wait": "PT5M1S"}]


def response_part(*, timely: bool) -> Story:
    """Level 2: the response tier's limit is PT30M."""
    if timely:
        return lambda t: [*fault_at("response_group", 2)(t), {"wait": "PT29M59S"},
                          _fire(t, "hand_up", "rob", group="hardware_platform")]
    return lambda t: [*fault_at("response_group", 2)(t), {"wait": "PT30M1S"}]


def pended(tier: str) -> Story:
    return lambda t: [*fault_at(tier)(t), _fire(t, "pend", AGENT[tier], pending_reason="parts")]


def complained(tier: str, event: str) -> Story:
    def steps(t: str) -> Steps:
        found = [_open(t)] if tier == "service_desk" else fault_at(tier)(t)
        return [*found, {"record": event, "ticket": t, "as": "ann", "note": "angry call"}]
    return steps


def held(tier: str) -> Story:
    return (lambda t: [_open(t)]) if tier == "service_desk" else fault_at(tier)


CASES: list[tuple[str, str, Story, Story]] = [
    ("timely_response_rate", "service_desk", received_after("PT5S"), received_after("PT6S")),
    ("timely_reply_rate", "service_desk", replied_after("PT10M"), replied_after("PT10M1S")),
    ("first_time_resolution_rate", "service_desk", resolved("service_desk", reopened=False),
     resolved("service_desk", reopened=True)),
    ("first_time_resolution_rate", "response_group",
     resolved("response_group", reopened=False), resolved("response_group", reopened=True)),
    ("timely_handling_rate", "service_desk", desk_part(timely=True), desk_part(timely=False)),
    ("timely_handling_rate", "response_group", response_part(timely=True),
     response_part(timely=False)),
    ("pending_rate", "service_desk", pended("service_desk"), held("service_desk")),
    ("pending_rate", "handling_group", pended("handling_group"), held("handling_group")),
    ("complaint_rate", "service_desk", complained("service_desk", "complaint"),
     held("service_desk")),
    ("complaint_rate", "response_group", complained("response_group", "complaint"),
     held("response_group")),
    ("escalated_complaint_rate", "service_desk",
     complained("service_desk", "escalated_complaint"), held("service_desk")),
    ("escalated_complaint_rate", "response_group",
     complained("response_group", "escalated_complaint"), held("response_group")),
]


def scenario(indicator: str, post: str, hit: Story, miss: Story) -> dict[str, Any]:
    """The walk over an indicator's tier bounds as a scenario with expect_assessment steps."""
    names = (f"t{number}" for number in count(1))
    steps: Steps = [{"article": "KB-1", "as": "sue", "title": "Reset a password"}]
    hits = total = 0
    for numerator, denominator in walk([bound for bound, _ in SEED_TIERS[indicator]]):
        for _ in range(numerator - hits):
            steps += hit(next(names))
        for _ in range(denominator - total - (numerator - hits)):
            steps += miss(next(names))
        hits, total = numerator, denominator
        steps.append({"expect_assessment": {
            "period": "2026-10", "post": post, "indicator": indicator,
            "numerator": numerator, "denominator": denominator,
            "rate": numerator / denominator, "score": seed_score(indicator, numerator,
                                                                 denominator)}})
    return {"scenario": f"{indicator} of {post}: every tier bound, on it and just below",
            "start": START, "accounts": ACCOUNTS, "steps": steps}


def text(case: tuple[str, str, Story, Story]) -> str:
    return yaml.safe_dump(scenario(*case), sort_keys=False, allow_unicode=True)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_every_tier_boundary_on_and_just_below(case: tuple[str, str, Story, Story]) -> None:
    indicator = case[0]
    source = text(case)
    path = ROOT / "flows" / "scenarios" / f"assessment_{indicator}-{case[1]}.yaml"
    loaded = parse_scenario(source, str(path))
    checks = [step.model.expect_assessment for step in loaded.steps
              if step.kind == "expect_assessment"]
    assert {check.score for check in checks} == {score for _, score in SEED_TIERS[indicator]}
    outcome = run_scenario(loaded, lambda clock: open_workspace("sqlite://", clock=clock).desk)
    assert [str(failure) for failure in outcome.failures] == []


def test_a_wrong_expectation_fails_at_its_line() -> None:
    case = CASES[0]
    source = text(case).replace("score: 5", "score: 4", 1)
    loaded = parse_scenario(source, str(ROOT / "flows" / "scenarios" / "wrong.yaml"))
    outcome = run_scenario(loaded, lambda clock: open_workspace("sqlite://", clock=clock).desk)
    assert len(outcome.failures) == 1
    line = source.splitlines()[outcome.failures[0].line - 1]
    assert line.strip().startswith("- expect_assessment")
    assert "expected score 4, got 5 (9 of 10)" in outcome.failures[0].message


def write(folder: Path) -> None:
    """Write the scenarios, to read them or run them with ``ticketflow test``."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        (folder / f"assessment_{case[0]}-{case[1]}.yaml").write_text(text(case), "utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]))
