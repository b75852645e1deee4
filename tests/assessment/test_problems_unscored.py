"""Problem records change no score: the shipped scenarios that check the assessment give the
same figures when the problem process is deployed, every ticket they open is linked to a
problem, and the problem moves to a known error and closes before the figures are read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.process import yamlfile
from engine.scenarios.run import parse_scenario, run_scenario
from tests.assessment.world import ROOT
from tui.wiring import open_workspace

SCENARIOS = sorted(path for path in (ROOT / "flows" / "scenarios").glob("*.yaml")
                   if "expect_assessment" in path.read_text(encoding="utf-8")
                   and "{link:" not in path.read_text(encoding="utf-8"))
"""The scenarios that read figures (but the problem scenario, which links its own)."""
PROBLEM = "behind_everything"


def failures(text: str, path: Path) -> list[str]:
    scenario = parse_scenario(text, str(path))
    outcome = run_scenario(scenario,
                           lambda clock: open_workspace("sqlite://", clock=clock).desk)
    return [f"{failure.line}: {failure.message}" for failure in outcome.failures]


def with_problem(data: dict[str, Any]) -> dict[str, Any]:
    """The scenario with a problem opened first, every ticket linked to it as it opens,
    and the problem a known error, resolved and closed before the first figure is read."""
    steps: list[dict[str, Any]] = [
        {"open": "problem", "as": "pat", "ticket": PROBLEM, "data": {"summary": "the cause"}},
        {"fire": "investigate", "ticket": PROBLEM, "as": "pat"},
        {"fire": "record_workaround", "ticket": PROBLEM, "as": "pat",
         "data": {"workaround": "restart it"}}]
    closed = False
    for step in data["steps"]:
        if "expect_assessment" in step and not closed:
            steps += [{"fire": "find_root_cause", "ticket": PROBLEM, "as": "pat",
                       "data": {"root_cause": "a bug"}},
                      {"fire": "resolve", "ticket": PROBLEM, "as": "pat",
                       "data": {"resolution": "fixed"}},
                      {"fire": "close", "ticket": PROBLEM, "as": "pat"}]
            closed = True
        steps.append(step)
        if step.get("open") not in (None, "problem") and "fails" not in step and not closed:
            steps.append({"link": step["ticket"], "problem": PROBLEM, "as": "pat"})
    processes = data.get("processes")
    return {**data, "steps": steps,
            "accounts": {**data.get("accounts", {}),
                         "pat": {"roles": ["agent"], "post": "problem_management"}},
            **({"processes": [*processes, "flows/problem.yaml"]} if processes else {})}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_the_shipped_figures_hold_with_problems_everywhere(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert failures(text, path) == []
    linked = json.dumps(with_problem(yamlfile.parse(text, str(path))))
    assert '"link"' in linked
    assert failures(linked, path) == []
