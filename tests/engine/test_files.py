"""``ticketflow validate``: folders, kinds of file, and checks across process files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.core.errors import Problem, SpecError
from engine.files import KINDS, check_files
from tui.cli import run

ROOT = Path(__file__).resolve().parent.parent.parent
FLOWS = ROOT / "flows"

PARENT = """\
process: parent
title: Parent
roles: [agent]
posts: [desk]
fields:
  summary: {type: text, required: true}
states:
  open: {kind: start, post: desk}
  waiting: {kind: waiting}
  done: {kind: end}
transitions:
  - trigger: ask
    from: open
    to: waiting
    start:
      process: child
      data: {DATA}
      on_end: child_done
  - {trigger: child_done, from: waiting, to: done, roles: [system]}
"""
CHILD = """\
process: child
title: Child
roles: [agent]
posts: [desk]
fields:
  summary: {type: text, required: true}
  count: {type: integer}
  kind: {type: choice, choices: [a, b], required: true, default: a}
states:
  open: {kind: start}
  done: {kind: end}
transitions:
  - {trigger: finish, from: open, to: done}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def messages(report_problems: list[Problem]) -> list[str]:
    return [f"{Path(p.path).name}:{p.line}:{p.column}: {p.message}" for p in report_problems]


def test_validate_flows_exits_0(capsys) -> None:
    assert run(["validate", str(FLOWS)]) == 0
    out = capsys.readouterr().out
    assert "file(s) valid" in out


def test_the_seed_processes_are_checked_together() -> None:
    report = check_files([FLOWS / name for name in
                          ("service_desk.yaml", "fault_escalation.yaml", "vendor_access.yaml")])
    assert report.problems == []
    assert len(report.checked) == 3


def test_a_parent_alone_names_its_missing_child() -> None:
    report = check_files([FLOWS / "service_desk.yaml"])
    assert [p.message for p in report.problems] == [
        "process 'vendor_access' is not among the files checked (validate it together with "
        "its file)"]


def test_parent_and_child_together(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", PARENT.replace("{DATA}", '{summary: "= summary", count: 3}'))
    write(tmp_path, "child.yaml", CHILD)
    assert check_files([tmp_path]).problems == []


def test_data_must_name_the_childs_fields_and_fit_them(tmp_path: Path) -> None:
    data = '{summary: "= summary", count: many, colour: red}'
    write(tmp_path, "parent.yaml", PARENT.replace("{DATA}", data))
    write(tmp_path, "child.yaml", CHILD)
    assert messages(check_files([tmp_path]).problems) == [
        "parent.yaml:17:43: child.count expected an integer, got 'many'",
        "parent.yaml:17:49: field 'colour' is not declared in process 'child'"]


def test_the_childs_required_fields_must_be_given(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", PARENT.replace("{DATA}", "{count: 1}"))
    write(tmp_path, "child.yaml", CHILD)
    assert messages(check_files([tmp_path]).problems) == [
        "parent.yaml:17:13: process 'child' requires field 'summary'; give it in 'data'"]


def test_two_files_with_one_process_name(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", CHILD)
    write(tmp_path, "b.yaml", CHILD)
    found = messages(check_files([tmp_path]).problems)
    assert found == ["b.yaml:1:10: process 'child' is also defined in " f"{tmp_path / 'a.yaml'}"]


def test_folders_are_searched_recursively_for_yaml_only(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", CHILD)
    write(tmp_path, "deeper/two.yml", CHILD.replace("process: child", "process: other"))
    write(tmp_path, "notes.txt", "not yaml")
    write(tmp_path, ".hidden/three.yaml", "broken: [")
    report = check_files([tmp_path])
    assert report.problems == []
    assert sorted(Path(p).name for p in report.checked) == ["one.yaml", "two.yml"]


def test_missing_paths_and_empty_folders_are_problems(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    report = check_files([tmp_path / "absent.yaml", tmp_path / "empty"])
    assert [p.message for p in report.problems] == [
        "no such file or folder", "no .yaml or .yml files here"]


def test_every_problem_of_every_file_is_reported(tmp_path: Path, capsys) -> None:
    write(tmp_path, "a.yaml", "process: a\n")
    write(tmp_path, "b.yaml", "kind: nothing\n")
    assert run(["validate", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert f"{tmp_path / 'a.yaml'}:1:1: title: Field required" in err
    assert any(row.startswith(f"{tmp_path / 'b.yaml'}:1:1: not a ticketflow file") for row in err)
    assert len(err) == 6  # a.yaml lacks title, roles, posts, states, transitions


def test_json_output(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "bad.yaml", CHILD.replace("kind: start", "kind: begin"))
    assert run(["validate", "--json", str(path)]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == [str(path)]
    assert report["problems"] == [{
        "path": str(path), "line": 10, "column": 16,
        "message": "states.open.kind: Input should be 'start', 'task', 'waiting' or 'end'"}]


def test_a_new_kind_of_file_is_one_entry_in_the_table(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def parse_note(source: str, path: str) -> str:
        if "empty" in source:
            raise SpecError([Problem(path, 2, 1, "a note needs text")])
        return source

    monkeypatch.setitem(KINDS, "note", parse_note)
    write(tmp_path, "good.yaml", "note: fine\n")
    write(tmp_path, "bad.yaml", "note: x\ntext: empty\n")
    assert messages(check_files([tmp_path]).problems) == ["bad.yaml:2:1: a note needs text"]
