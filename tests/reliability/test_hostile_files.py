"""A corpus of hostile files (``hostile/``) and generated monsters, each refused clearly.

Every file is refused by ``ticketflow validate`` and ``ticketflow deploy`` with exit code 2,
each problem on its own ``path:line:column: message`` line, fast, and nothing deployed.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from engine.core.errors import SpecError
from engine.process.load import load_process, parse_process
from engine.process.yamlfile import MAX_BYTES
from tests.reliability.world import PASSWORD, prepare
from tui.cli import run

HOSTILE = Path(__file__).resolve().parent / "hostile"
LOCATED = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<column>\d+): (?P<message>\S.*)$")

EXPECTED = {
    "billion_laughs.yaml": ["6:5: document expands to more than 100000 nodes"],
    "recursive_alias.yaml": ["1:10: recursive alias"],
    "python_tags.yaml": ["1:10: tag tag:yaml.org,2002:python/object/apply:os.system is not",
                         "2:8: tag tag:yaml.org,2002:python/name:os.system is not allowed"],
    "merge_keys.yaml": ["5:5: merge keys (<<) are not allowed"],
    "binary.yaml": ["2:1: binary file (contains a NUL byte)"],
    "invalid_utf8.yaml": ["2:11: not valid UTF-8 text"],
    "utf16.yaml": ["1:1: binary file"],
    "escape_sequences.yaml": ["2:9: control character U+001B is not allowed"],
    "deep_nesting.yaml": ["nest"],
    "expression_escape.yaml": ["14:11: attribute access not allowed",
                               "18:11: attribute access not allowed",
                               "22:11: comprehensions not allowed",
                               "26:11: lambdas not allowed",
                               "30:11: powers (**) not allowed",
                               "34:11: number 99999999999999999999 is too large",
                               "38:20: only the functions"],
    "absurd_numbers.yaml": ["7:34: default expected a finite number",
                            "9:41: 'P99999999999999D' is longer than 100 years",
                            "17:12: 'PT99999999999999999999S' is longer than 100 years"],
    "hostile_names.yaml": ["1:10: process: must be a lower-case name",
                           "3:16: roles.1: must be a lower-case name",
                           "8:3: states: 'new\\x07' must be a lower-case name",
                           "11:14: transitions.0.trigger: must be a lower-case name"],
    "bad_patterns.yaml": ["6:50: invalid regular expression: missing ]",
                          "8:32: invalid regular expression: invalid perl operator: (?P",
                          "9:32: invalid regular expression: invalid perl operator: (?!",
                          "10:32: invalid regular expression: invalid escape sequence: \\1"],
}


def test_every_corpus_file_has_its_expectations() -> None:
    assert sorted(p.name for p in HOSTILE.glob("*.yaml")) == sorted(EXPECTED)


def _refused(path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    """Run ``ticketflow ARGV PATH``; its stderr lines, after checking the contract."""
    started = time.process_time()
    assert run([*argv, str(path)]) == 2
    assert time.process_time() - started < 5
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines and "Traceback" not in err
    for line in lines:
        located = LOCATED.match(line)
        assert located and located["path"] == str(path), line
        assert int(located["line"]) >= 1 and int(located["column"]) >= 1
    return lines


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_refuses_each_at_its_place(name: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = HOSTILE / name
    lines = _refused(path, capsys, "validate")
    for expected in EXPECTED[name]:
        assert any(expected in line for line in lines), (expected, lines)


def test_deploy_refuses_them_all_and_deploys_nothing(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    setup = prepare(url)
    before = setup.workspace.desk.versions()
    monkeypatch.setenv("TICKETFLOW_PASSWORD", PASSWORD)
    monkeypatch.setenv("TICKETFLOW_HOME", str(tmp_path))
    for name in sorted(EXPECTED):
        _refused(HOSTILE / name, capsys, "deploy", "--db", url, "--as", "root")
    assert setup.workspace.desk.versions() == before


def test_a_100_mb_file_is_refused_by_its_size_without_reading_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: 100 MB that takes no disk space
        handle.write(b"process: huge\n")
        handle.truncate(100 * 1024 * 1024)
    started = time.process_time()
    with pytest.raises(SpecError, match=f"larger than {MAX_BYTES} bytes"):
        load_process(path)
    assert time.process_time() - started < 1
    [line] = _refused(path, capsys, "validate")
    assert line == f"{path}:1:1: file is larger than {MAX_BYTES} bytes"


def test_the_largest_allowed_file_is_handled_in_reasonable_time(tmp_path: Path) -> None:
    """Just under the limit: one huge scalar, then many keys; both refused, both fast."""
    sources = ["process: " + "x" * (MAX_BYTES - 20) + "\n",
               "".join(f"k{n}: {n}\n" for n in range(MAX_BYTES // 14))]
    for source in sources:
        assert len(source.encode()) <= MAX_BYTES
        started = time.process_time()
        with pytest.raises(SpecError) as refused:
            parse_process(source, "big.yaml")
        assert time.process_time() - started < 10
        assert all(p.line >= 1 and p.column >= 1 for p in refused.value.problems)


def test_thousands_of_unknown_keys_are_reported_in_linear_time() -> None:
    """5,000 unknown top-level keys (60 KB): each one reported, fast (it took 22 s)."""
    source = "".join(f"k{n}: {n}\n" for n in range(5000))
    started = time.process_time()
    with pytest.raises(SpecError) as refused:
        parse_process(source, "keys.yaml")
    assert time.process_time() - started < 3
    unknown = [p for p in refused.value.problems if p.message.startswith("unknown key")]
    assert len(unknown) == 5000 and unknown[-1].line == 5000


def test_a_fifo_a_device_a_folder_and_a_missing_file(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # opening it for reading used to wait for a writer forever
    for path, message in [(fifo, "not a regular file"), (Path("/dev/zero"), "not a regular "
                          "file"), (tmp_path / "missing.yaml", "no such file or folder")]:
        [line] = _refused(path, capsys, "validate")
        assert line.endswith(message)
    assert run(["validate", str(tmp_path)]) == 2  # a folder without YAML files in it
    assert "no .yaml or .yml files here" in capsys.readouterr().err


@pytest.mark.parametrize("pattern, reason", [
    ("(?=admin).+", "invalid perl operator: (?="),
    ("(?<!x)y", "invalid perl operator: (?<!"),
    ("(a)\\1", "invalid escape sequence: \\1"),
    ("(?P<x>a)(?P=x)", "invalid perl operator: (?P"),
    ("a\\Z", "invalid escape sequence: \\Z"),
])
def test_a_pattern_re2_cannot_run_is_refused_at_its_place_saying_why(pattern: str,
                                                                    reason: str) -> None:
    """Lookarounds and backreferences need backtracking: refused when the file loads."""
    source = HEADER + f"  code: {{type: text, pattern: '{pattern}'}}\n" + BODY
    with pytest.raises(SpecError) as refused:
        parse_process(source, "p.yaml")
    [problem] = refused.value.problems
    assert (problem.line, problem.column) == (7, 31)
    assert problem.message == (f"invalid regular expression: {reason} (patterns are RE2 "
                               "syntax, without backreferences or lookarounds, so that "
                               "matching takes time linear in the value)")
    assert str(refused.value).startswith("p.yaml:7:31: invalid regular expression")


HEADER = """process: patterns
title: One pattern
roles: [agent]
posts: [desk]
fields:
  summary: {type: text}
"""
BODY = """states:
  new: {kind: start, post: desk}
  done: {kind: end}
transitions:
  - trigger: go
    from: new
    to: done
"""
