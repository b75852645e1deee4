"""Parallel branches in the process language: located problems, the flat machine, drawing."""

from __future__ import annotations

import pytest

from engine.core.errors import SpecError
from engine.process.compiler import compile_process
from engine.process.diagram import mermaid
from engine.process.load import parse_process
from tui.widgets.state_graph import graph_text

SOURCE = """\
process: checks
title: Checks in parallel
roles: [agent]
posts: [desk, hardware_team, software_team]
fields:
  summary: {type: text}
  hw_result: {type: choice, choices: [ok, faulty]}
  sw_result: {type: choice, choices: [ok, faulty]}
states:
  new: {kind: start, post: desk}
  checking:
    title: Checks in parallel
    fork:
      hardware:
        post: hardware_team
        limit: PT4H
        states:
          hw_checking: {title: Checking the hardware}
          hw_done: {kind: end}
      software:
        post: software_team
        states:
          sw_checking: {limit: PT2H}
          sw_waiting: {kind: waiting}
          sw_done: {kind: end}
    join: hardware and hw_result == "faulty"
    then: deciding
  deciding: {post: desk}
  closed: {kind: end}
transitions:
  - {trigger: check, from: new, to: checking}
  - {trigger: hw_checked, from: hw_checking, to: hw_done, requires: [hw_result]}
  - {trigger: sw_wait, from: sw_checking, to: sw_waiting}
  - {trigger: sw_resume, from: sw_waiting, to: sw_checking}
  - {trigger: sw_checked, from: sw_checking, to: sw_done, requires: [sw_result]}
  - {trigger: cancel, from: checking, to: closed}
  - {trigger: close, from: "*", to: closed}
"""


def problems(source: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_process(source, "p.yaml")
    return [f"{p.line}:{p.column}: {p.message}" for p in caught.value.problems]


def test_branch_states_join_the_flat_machine_and_star_leaves_them_out() -> None:
    process = parse_process(SOURCE, "p.yaml")
    fork = process.forks.forks["checking"]
    assert {name: region.start for name, region in fork.regions.items()} == {
        "hardware": "hw_checking", "software": "sw_checking"}
    assert process.spec.states["hw_checking"].post == "hardware_team"  # the branch's post
    assert process.spec.start_state() == "new"
    compiled = compile_process(process)
    active = {"hardware": "hw_checking", "software": "sw_waiting"}
    assert compiled.branch_of(active, "sw_resume") == "software"
    assert compiled.branch_of(active, "sw_checked") is None  # not from where it is now
    assert compiled.step_for("checking", active, "cancel").to == "closed"  # type: ignore[union-attr]
    assert compiled.transition_for("hw_checking", "close") is None  # '*': no branch state
    assert [t.trigger for t in compiled.transitions_now("checking", active)] == [
        "cancel", "close", "hw_checked", "sw_resume"]
    assert process.forks.entered("checking") == {"hardware": "hw_checking",
                                                 "software": "sw_checking"}
    assert process.forks.done("checking", {"hardware": "hw_done", "software": "sw_waiting"}
                              ) == {"hardware": True, "software": False}


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("          sw_waiting: {kind: waiting}",
     "          hw_checking: {kind: waiting}",
     "24:24: 'hw_checking' is already a state of branch 'hardware'; names in a process "
     "are unique"),
    ("          sw_done: {kind: end}", "          sw_done: {}",
     "23:11: branch 'software' has no end state (kind: end); it could never be done"),
    ("    join: hardware and hw_result == \"faulty\"",
     "    join: hardware and wheels == 2",
     "26:11: unknown name 'wheels'"),
    ("    then: deciding", "    then: decided",
     "27:11: state 'decided' does not exist (a fork joins into a state outside its "
     "branches)"),
    ("    then: deciding", "    then: sw_done",
     "27:11: state 'sw_done' is inside a branch; a fork joins into a state outside its "
     "branches"),
    ("      software:", "      summary:",
     "21:9: 'summary' is already a field; names in a process are unique"),
    ("          hw_done: {kind: end}",
     "          hw_done: {kind: end}\n          hw_more: {fork: {a: {states: {x: {}}}}}",
     "20:20: forks do not nest: a branch state cannot fork"),
    ("  - {trigger: sw_wait, from: sw_checking, to: sw_waiting}",
     "  - {trigger: sw_wait, from: sw_checking, to: deciding}",
     "33:5: a step of branch 'software' cannot lead to 'deciding', outside the branch; "
     "the branch ends in an end state and its fork joins"),
    ("  - {trigger: check, from: new, to: checking}",
     "  - {trigger: check, from: new, to: hw_checking}",
     "31:5: 'hw_checking' is a state of branch 'hardware'; a ticket enters it through the "
     "fork 'checking'"),
    ("  - {trigger: sw_wait, from: sw_checking, to: sw_waiting}",
     "  - {trigger: hw_checked, from: sw_checking, to: sw_waiting}",
     "33:15: 'hw_checked' is fired in 'hardware' and in 'software' of the fork 'checking'; "
     "name each branch's triggers apart"),
    ("    then: deciding", "    then: checking", "27:11: a fork cannot join into itself"),
    ("  deciding: {post: desk}", "  deciding: {post: desk, then: closed}",
     "28:32: 'then:' is for a state that forks (give 'fork:')"),
    ("        post: software_team", "        post: software_teem",
     "21:15: post 'software_teem' is not declared"),
])
def test_problems_are_located(old: str, new: str, expected: str) -> None:
    assert old in SOURCE
    assert expected in problems(SOURCE.replace(old, new))


def test_a_fork_needs_two_branches_and_then() -> None:
    source = SOURCE.replace("    then: deciding\n", "")
    assert "12:5: a fork needs 'then:', the state its branches join into" in problems(source)
    lone = SOURCE[:SOURCE.index("      software:")] + SOURCE[SOURCE.index("    join:"):]
    assert any("a fork needs at least two branches" in p for p in problems(lone))


def test_a_timer_on_a_branch_state_is_refused() -> None:
    source = SOURCE + ("  - {trigger: nudge, from: sw_waiting, to: sw_checking, roles: [system]}\n"
                       "timers:\n  - {state: sw_waiting, after: PT1H, fire: nudge}\n")
    found = problems(source)
    assert any("'sw_waiting' is a branch state; a branch is timed by its clock" in p
               for p in found), found


def test_mermaid_draws_the_fork_its_regions_and_the_join() -> None:
    text = mermaid(parse_process(SOURCE, "p.yaml").spec)
    for line in ("    new --> checking_fork : check",
                 "    state checking_fork <<fork>>",
                 "    checking_fork --> checking",
                 "    state checking {",
                 "        [*] --> hw_checking",
                 "        hw_checking --> hw_done : hw_checked",
                 "        hw_done --> [*]",
                 "        --",
                 "        sw_waiting --> sw_checking : sw_resume",
                 "    }",
                 "    state checking_join <<join>>",
                 "    checking --> checking_join",
                 "    checking_join --> deciding : all done or "
                 '[hardware and hw_result == "faulty"]'):
        assert line in text.splitlines(), line
    assert "hw_checking --> closed" not in text  # '*' is no branch state


def test_the_terminal_graph_draws_forks_joins_and_active_branches() -> None:
    spec = parse_process(SOURCE, "p.yaml").spec
    text = graph_text(spec, ["checking", "hw_done"])
    plain = text.plain
    assert "    ⑂ hardware ──▶ hw_checking  [hardware_team]  clock PT4H" in plain
    assert ('    ⑃ join ──▶ deciding  when every branch is done, or when hardware and '
            'hw_result == "faulty"') in plain
    assert "┃ ■ hw_done  end · hardware_team · branch hardware of checking" in plain
    marked = {plain[span.start:span.end] for span in text.spans if "reverse" in str(span.style)}
    assert marked == {"● checking", "┃ ■ hw_done"}


def test_the_terminal_graph_still_draws_approvals() -> None:
    from pathlib import Path

    from engine.process.load import load_process
    flows = Path(__file__).resolve().parents[2] / "flows"
    plain = graph_text(load_process(flows / "vendor_access.yaml").spec).plain
    assert "✔" in plain and "✘" in plain
