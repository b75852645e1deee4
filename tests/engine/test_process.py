"""Loading a process: the meaning checks beyond the corpus, and the Process it gives."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.core.errors import MissingField, SpecError
from engine.process.load import parse_process

HEAD = """\
process: p
title: P
roles: [agent, supervisor]
posts: [desk, lab]
fields:
  level: {type: integer, min: 1, max: 4}
  note: {type: text}
  due: {type: timestamp}
"""


def problems(body: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_process(HEAD + body, "p.yaml")
    return [f"{p.line}:{p.column}: {p.message}" for p in caught.value.problems]


def test_every_problem_of_a_file_at_once() -> None:
    found = problems("""\
states:
  open: {kind: start, post: nowhere}
  done: {kind: end, limit: soon}
transitions:
  - {trigger: finish, from: open, to: gone, roles: [boss], when: "level >"}
""")
    assert found == [
        "10:29: post 'nowhere' is not declared",
        "11:28: 'soon' is not an ISO 8601 duration such as PT30M or P1DT4H",
        "13:39: destination state 'gone' does not exist",
        "13:53: role 'boss' is not declared",
        "13:66: syntax error in 'level >': invalid syntax"]


def test_star_means_every_state_that_is_not_an_end() -> None:
    process = parse_process(HEAD + """\
states:
  open: {kind: start}
  work: {}
  done: {kind: end}
transitions:
  - {trigger: start_work, from: open, to: work}
  - {trigger: cancel, from: "*", to: done, roles: [supervisor], posts: ["*"]}
""", "p.yaml")
    assert process.spec.transitions[1].sources == ["*"]


def test_a_trigger_from_star_clashes_with_the_same_trigger_from_a_state() -> None:
    assert problems("""\
states:
  open: {kind: start}
  done: {kind: end}
transitions:
  - {trigger: finish, from: "*", to: done}
  - {trigger: finish, from: open, to: done}
""") == ["14:15: 'finish' from 'open' is already defined (transition 1); route with 'choose'"]


def test_on_end_must_be_firable_where_the_child_leaves_the_parent_and_by_the_engine() -> None:
    body = """\
states:
  open: {kind: start}
  waiting: {kind: waiting}
  done: {kind: end}
transitions:
  - {trigger: ask, from: open, to: waiting, start: {process: p, on_end: back}}
  - {trigger: back, from: %s, to: done%s}
"""
    assert problems(body % ("open", ", roles: [system]")) == [
        "14:73: trigger 'back' cannot be fired from state 'waiting'"]
    assert problems(body % ("waiting", "")) == [
        "14:73: trigger 'back' is fired by the engine, so its roles must include 'system'"]


def test_strict_types_no_text_for_numbers_or_booleans() -> None:
    found = problems("""\
  other: {type: integer, min: "1", required: "true"}
states:
  open: {kind: start}
  done: {kind: end}
transitions:
  - {trigger: finish, from: open, to: done}
""")
    assert found == ["9:31: fields.other.min: Input should be a valid number",
                     "9:46: fields.other.required: Input should be a valid boolean"]


def test_a_bad_regular_expression_is_located() -> None:
    assert problems("""\
  code: {type: text, pattern: "[a-"}
states:
  open: {kind: start}
  done: {kind: end}
transitions:
  - {trigger: finish, from: open, to: done}
""")[0].startswith("9:31: invalid regular expression")


def test_limits_and_values_of_a_loaded_process() -> None:
    process = parse_process(HEAD + """\
states:
  open:
    kind: start
    limit: {by: level, values: {1: PT30M, 2: PT1H}, default: P1D}
  work: {limit: PT2H}
  done: {kind: end}
transitions:
  - {trigger: start_work, from: open, to: work, set: {level: "= level + 1", note: fixed}}
  - {trigger: finish, from: work, to: done}
""", "p.yaml")
    states = process.spec.states
    assert process.limit(states["open"].limit, {"level": 1}) == timedelta(minutes=30)
    assert process.limit(states["open"].limit, {"level": 3}) == timedelta(days=1)
    assert process.limit(states["work"].limit, {}) == timedelta(hours=2)
    assert process.limit(states["done"].limit, {}) is None
    values = process.spec.transitions[0].set
    assert process.value(values["level"], {"level": 2}) == 3
    assert process.value(values["note"], {}) == "fixed"
    assert process.scope({"level": 2}) == {"level": 2, "note": None, "due": None}
    with pytest.raises(MissingField, match="cannot compute a value: cannot evaluate"):
        process.value(values["level"], {})  # null + 1
    assert process.digest == parse_process(process.source, "elsewhere.yaml").digest


def test_sla_runs_except_in_waiting_and_end_states_unless_told() -> None:
    process = parse_process(HEAD + """\
states:
  open: {kind: start}
  parked: {kind: waiting}
  vendor: {kind: waiting, sla: run}
  done: {kind: end}
transitions:
  - {trigger: park, from: open, to: parked}
  - {trigger: ask, from: parked, to: vendor}
  - {trigger: finish, from: [open, vendor], to: done}
""", "p.yaml")
    runs = {name: state.sla_runs for name, state in process.spec.states.items()}
    assert runs == {"open": True, "parked": False, "vendor": True, "done": False}


def test_requester_marks_are_checked_where_they_are_written() -> None:
    assert problems("""\
states:
  open: {kind: start}
  done: {kind: end}
transitions:
  - {trigger: shout, from: open, to: done, requester: shout}
""") == ["13:55: transitions.0.requester: Input should be 'reply', 'confirm' or 'reopen'"]
    found = problems("""\
states:
  open: {kind: start}
  done: {kind: end}
transitions:
  - {trigger: confirm, from: open, to: done, requester: confirm, requires: [note]}
  - {trigger: agree, from: open, to: done, requester: confirm}
""")
    assert found == [
        "13:57: a requester's answer (confirm) cannot require fields: the requester gives "
        "none (requires: note)",
        "14:55: the requester's 'confirm' from 'open' is already transition 1; one per state"]


def test_the_requester_role_is_reserved() -> None:
    with pytest.raises(SpecError, match="role 'requester' is reserved"):
        parse_process(HEAD.replace("[agent, supervisor]", "[agent, requester]") + """\
states:
  open: {kind: start}
  done: {kind: end}
transitions:
  - {trigger: finish, from: open, to: done}
""", "p.yaml")
