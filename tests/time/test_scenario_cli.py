"""``ticketflow test``: the shipped scenarios pass; broken files exit 2 at path:line:column;
failed expectations exit 1 at path:line with what was expected and what came."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.time.conftest import ROOT
from tui.cli import run

SHIPPED = sorted((ROOT / "flows" / "scenarios").glob("*.yaml"))
HEAD = """scenario: a small one
processes: [flows/fault_escalation.yaml]
start: 2026-11-02T09:00:00+08:00
accounts:
  ann: {roles: [agent], post: service_desk}
steps:
  - {open: fault_escalation, as: ann, ticket: f, data: {summary: down, level: 1}}
"""


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_passes(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["test", str(path)]) == 0, capsys.readouterr().out
    assert "1 passed, 0 failed" in capsys.readouterr().out


def scenario(tmp_path: Path, steps: str, head: str = HEAD) -> Path:
    path = ROOT / "flows" / "scenarios" / ".." / ".." / tmp_path / "case.yaml"
    path.write_text(head + steps, encoding="utf-8")
    return path


@pytest.mark.parametrize(("steps", "line", "column", "message"), [
    ("  - {fire: resolve, ticket: g, as: ann}\n", 8, 29,
     "ticket 'g' is not opened by an earlier step"),
    ("  - {fire: resolve, ticket: f, as: bob}\n", 8, 36,
     "account 'bob' is not listed under 'accounts'"),
    ("  - {wait: 5 minutes}\n", 8, 12, "'5 minutes' is not an ISO 8601 duration"),
    ("  - {until: 2026-11-01T09:00:00+08:00}\n", 8, 13, "the clock cannot go back"),
    ("  - {open: incident, as: ann, ticket: g}\n", 8, 12,
     "process 'incident' is not among the processes the scenario deploys"),
    ("  - {fire: resolve, ticket: f, as: ann, fails: refused}\n", 8, 48,
     "fails: Input should be 'forbidden', 'guard'"),
    ("  - {fire: resolve, ticket: f, as: ann, when: later}\n", 8, 41, "unknown key 'when'"),
    ("  - {sleep: PT1M}\n", 8, 5, "a step needs exactly one of open, fire, assign, wait, until"),
    ("  - {expect: {ticket: f, colour: red}}\n", 8, 26, "unknown key 'colour'"),
])
def test_a_broken_scenario_exits_2_at_path_line_column(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], steps: str, line: int,
        column: int, message: str) -> None:
    path = scenario(tmp_path, steps)
    assert run(["test", str(path)]) == 2
    problems = capsys.readouterr().err.splitlines()
    assert any(p.startswith(f"{path}:{line}:{column}: ") and message in p
               for p in problems), problems


def test_a_bad_start_and_account_are_located(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    head = HEAD.replace("2026-11-02T09:00:00+08:00", "2026-11-02 09:00").replace(
        "ann: {roles: [agent]", "ann: {roles: [agent, system]")
    path = scenario(tmp_path, "", head=head)
    assert run(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:8: '2026-11-02 09:00' has no time zone" in err
    assert f"{path}:5:8: the system role belongs to the engine alone" in err


def test_a_failed_expectation_exits_1_at_path_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, """  - wait: PT5M
  - expect: {ticket: f, state: desk_tier, data: {escalations: 0, level: 1}}
  - expect_history: {ticket: f, triggers: [sla_warning, escalate]}
  - {fire: resolve, ticket: f, as: ann, fails: guard, data: {resolution: x}}
  - {fire: confirm, ticket: f, as: ann}
  - expect: {ticket: f, state: closed}
""")
    assert run(["test", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [
        f"  {path}:9: expected state 'desk_tier', got 'response_tier'; "
        "expected data.escalations 0, got 1",
        f"  {path}:10: expected triggers ['sla_warning', 'escalate'], got ['sla_warning', "
        "'sla_breach', 'escalate']",
        f"  {path}:11: expected guard, got forbidden: ticket 1 in state 'response_tier': "
        "'resolve' is for the post response_group, not service_desk",
        "1 scenario(s): 0 passed, 1 failed"]  # the steps after a failed action are not run
    assert out[0].startswith("a small one  [FAILED]")


def test_a_step_that_should_be_refused_but_succeeds_fails(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, """  - {open: fault_escalation, as: ann, ticket: g,
     fails: missing_field, data: {summary: fine, level: 4}}
""")
    assert run(["test", str(path)]) == 1
    assert f"{path}:8: expected missing_field (missing or invalid field), got success" in \
        capsys.readouterr().out


def test_a_refused_step_that_should_succeed_stops_the_scenario(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, """  - {fire: confirm, ticket: f, as: ann}
  - expect: {ticket: f, state: closed}
""")
    assert run(["test", "--json", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] == 1 and report["passed"] == 0
    [failure] = report["scenarios"][0]["failures"]
    assert failure["line"] == 8
    assert failure["message"].startswith("expected success, got invalid_trigger: ")


def test_a_folder_runs_every_scenario_in_it(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("one", "two"):
        (tmp_path / f"{name}.yaml").write_text(HEAD.replace("a small one", name) +
                                               "  - expect: {ticket: f, open: true}\n")
    assert run(["test", str(tmp_path)]) == 0
    assert "2 scenario(s): 2 passed, 0 failed" in capsys.readouterr().out
