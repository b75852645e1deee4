"""Decision tables: located problems, both hit policies, use in set, choose and limits."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.errors import SpecError
from engine.process.compiler import compile_process
from engine.process.decisions import Decision, decision_problems
from engine.process.load import parse_process
from engine.process.spec import DecisionSpec

SOURCE = """\
process: p
title: P
roles: [agent]
posts: [desk]
fields:
  impact: {type: choice, choices: [high, medium, low]}
  urgency: {type: choice, choices: [high, medium, low]}
  level: {type: integer, min: 1, max: 4}
  priority: {type: choice, choices: [critical, high, normal, low], default: normal}
decisions:
  priority_matrix:
    hit: HIT
    inputs:
      impact: {type: choice, choices: [high, medium, low]}
      urgency: {type: choice, choices: [high, medium, low]}
    output: {type: choice, choices: [critical, high, normal, low]}
    rules:
      - [high, high, critical]
      - [high, [medium, low], high]
      - [[medium, low], high, high]
      - ["-", "-", normal]
  limit_of:
    inputs:
      level: {type: integer, min: 1, max: 4}
      tier: {type: choice, choices: [desk, group]}
    output: {type: text}
    rules:
      - ["1..2", desk, PT5M]
      - ["3..4", desk, PT15M]
      - ["-", group, PT2H]
states:
  open: {kind: start, post: desk, limit: "= limit_of(level, 'desk')"}
  urgent: {post: desk}
  done: {kind: end}
transitions:
  - trigger: grade
    from: open
    accepts: [impact, urgency]
    set: {priority: "= priority_matrix(impact, urgency)"}
    choose:
      - {when: "priority_matrix(impact, urgency) == 'critical'", to: urgent}
      - {to: done}
  - {trigger: finish, from: urgent, to: done}
"""


def problems(source: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_process(source, "p.yaml")
    return [f"{p.line}:{p.column}: {p.message}" for p in caught.value.problems]


def test_unique_overlap_is_a_located_problem() -> None:
    assert problems(SOURCE.replace("HIT", "unique")) == [
        "21:9: rule 4 overlaps rule 1: some input matches both, and the hit policy is "
        "unique (make them disjoint, or use hit: first)"]


def test_cells_that_do_not_fit_their_input_are_located() -> None:
    source = SOURCE.replace("HIT", "first").replace("[high, high, critical]",
                                                    "[high, hgh, urgent]")
    source = source.replace('["3..4", desk, PT15M]', '["4..3", desk, PT15M, x]')
    assert problems(source) == [
        "18:16: urgency must be one of high, medium, low",
        "18:21: the output must be one of critical, high, normal, low",
        "29:9: a rule needs 3 cells (one per input, then the output), not 4"]


def test_calls_are_checked_for_their_inputs() -> None:
    source = SOURCE.replace("HIT", "first").replace("priority_matrix(impact, urgency)\"}",
                                                    "priority_matrix(impact)\"}")
    assert problems(source) == ["39:21: priority_matrix() takes 2 arguments, not 1"]


class Ticket:
    def __init__(self) -> None:
        self.state, self.id = "open", 1


def test_first_hit_decides_set_choose_and_limit() -> None:
    process = parse_process(SOURCE.replace("HIT", "first"), "p.yaml")
    compiled = compile_process(process)
    names = process.scope({"impact": "high", "urgency": "high"})
    assert compiled.fire(Ticket(), "grade", names) == "urgent"
    assert process.value("= priority_matrix(impact, urgency)", names) == "critical"
    calm = process.scope({"impact": "low", "urgency": "medium"})
    assert compiled.fire(Ticket(), "grade", calm) == "done"
    assert process.value("= priority_matrix(impact, urgency)", calm) == "normal"
    limit = process.spec.states["open"].limit
    assert process.limit(limit, {"level": 2}) == timedelta(minutes=5)
    assert process.limit(limit, {"level": 3}) == timedelta(minutes=15)
    assert process.limit(limit, {}) is None  # no rule matches a missing level: no limit


def test_no_matching_rule_refuses_unless_a_default() -> None:
    spec = DecisionSpec.model_validate({
        "inputs": {"level": {"type": "integer"}}, "output": {"type": "text"},
        "rules": [["1..2", "low"]]})
    with pytest.raises(ValueError, match="no rule of decision 'd' matches level=3"):
        Decision("d", spec)(3)
    assert Decision("d", spec.model_copy(update={"default": "other"}))(3) == "other"


LEVELS = st.one_of(st.just("-"), st.integers(1, 4),
                   st.tuples(st.integers(1, 4), st.integers(0, 3)).map(
                       lambda p: f"{p[0]}..{min(4, p[0] + p[1])}"),
                   st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=2))


def _table(rules: list[tuple[Any, Any]]) -> DecisionSpec:
    cells = [[level if not isinstance(level, list) else 1, kind, n]
             for n, (level, kind) in enumerate(rules)]
    return DecisionSpec.model_validate({
        "hit": "unique",
        "inputs": {"level": {"type": "integer", "min": 1, "max": 4},
                   "kind": {"type": "choice", "choices": ["a", "b", "c"]}},
        "output": {"type": "integer"}, "rules": cells})


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(LEVELS, st.one_of(st.just("-"), st.sampled_from(["a", "b", "c"]),
                                             st.lists(st.sampled_from(["a", "b", "c"]),
                                                      min_size=1, max_size=3))),
                min_size=1, max_size=5))
def test_unique_holds_exactly_when_no_input_matches_two_rules(
        rules: list[tuple[Any, Any]]) -> None:
    spec = _table(rules)
    reported = [m for _, m in decision_problems("d", spec) if "overlaps" in m]
    table = Decision("d", spec.model_copy(update={"hit": "first"}))
    doubled = any(
        sum(all(c.holds(v) for c, v in zip(cells, inputs, strict=True))
            for cells, _ in table.rules) > 1
        for inputs in itertools.product([1, 2, 3, 4], ["a", "b", "c"]))
    assert bool(reported) == doubled
