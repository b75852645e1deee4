"""Property tests: the YAML loader, the process validator, ``validate`` and scenario files
never raise anything but located errors, whatever the file.

Three kinds of input: arbitrary text; real process files (the seeds, mini, crash) mutated
line by line and token by token, which reaches deep into the validator; and data trees built
from the process language's own vocabulary, dumped as YAML. Scenario files are mutated the
same way. A process file that loads must compile; a scenario that loads must run to an
outcome. Scenarios to run are generated valid, not filtered: a seed scenario's steps are
edited (deleted, duplicated, moved, inserted, a value replaced) and the steps the checker
then refuses are dropped until the file loads (most text mutations of a scenario do not
load: filtering them away failed Hypothesis's ``filter_too_much`` health check).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.core.errors import SpecError
from engine.files import check_files
from engine.process import yamlfile
from engine.process.compiler import compile_process
from engine.process.load import parse_process
from engine.process.yamlfile import decode
from engine.scenarios.run import Scenario, parse_scenario, run_scenario
from tests.reliability.fuzzing import EXAMPLES, fuzz
from tui.wiring import open_workspace

ROOT = Path(__file__).resolve().parents[2]
SEEDS = {path.name: path.read_text(encoding="utf-8") for path in
         [*sorted((ROOT / "flows").glob("*.yaml")), ROOT / "tests/flows/mini.yaml",
          ROOT / "tests/reliability/flows/crash.yaml"]}
NAME = "fuzz.yaml"
WORDS = ["process", "title", "roles", "posts", "fields", "states", "transitions", "timers",
         "events", "trigger", "from", "to", "choose", "when", "requires", "accepts", "set",
         "assign", "tags", "start", "data", "on_end", "kind", "post", "limit", "sla",
         "type", "text", "integer", "number", "boolean", "choice", "timestamp", "account",
         "required", "default", "min", "max", "max_length", "pattern", "choices", "after",
         "at", "fire", "by", "values", "calendar", "escalation", "do", "note", "system",
         "agent", "end", "waiting", "task", "*", "actor", "nobody", "run", "pause"]
ODD = ["", "~", "null", "true", "-1", "0", "1e999", "-1e999", ".nan", "99999999999999999999",
       "P99999D", "PT0S", "P", "= 1/0", "= summary.upper()", "= __import__('os')",
       "= [x for x in 'ab']", "= 9**9**9", "= 'a' * 10**15", "[", "]", "{", "}", "&a", "*a",
       "!!python/object:os.system", "<<", "'", '"', "|", ">", "- ", ": ", "#", "\t", "\u202e",
       "\u200f", "\x85", "\ufeff", "é", "Ⅻ", "(a+)+$", "[", "x" * 300]
LOCATED = re.compile(r"^fuzz\.yaml:\d+:\d+: \S")


def assert_located(error: SpecError, source: str) -> None:
    """Every problem names the file and a real line and column."""
    assert error.problems
    lines = len(re.split(r"\r\n|\r|\n", source)) + 1  # line breaks as editors count them
    for problem in error.problems:
        assert LOCATED.match(str(problem)), problem
        assert 1 <= problem.line <= lines and problem.column >= 1, problem


def load_or_refuse(source: str) -> None:
    """Parse a process; it compiles, or it is refused with located problems only."""
    try:
        process = parse_process(source, NAME)
    except SpecError as error:
        assert_located(error, source)
        return
    compile_process(process)


@fuzz
@given(st.text(max_size=400))
@example("process: x\nstates: {a: {kind: start}}\n" * 2)
@example("\ufeffprocess: x")
@example("process: '\x85'\ntitle: x\nroles: process\n")
@example("[" * 70 + "]" * 70)
def test_any_text(source: str) -> None:
    load_or_refuse(source)


@fuzz
@given(st.binary(max_size=300))
def test_any_bytes(raw: bytes) -> None:
    try:
        text = decode(raw, NAME)
    except SpecError as error:
        assert_located(error, raw.decode("utf-8", "replace"))
        return
    load_or_refuse(text)


Mutation = tuple[str, int, int, str]
mutations = st.tuples(st.sampled_from(["delete", "duplicate", "swap", "indent", "token",
                                       "truncate", "insert"]),
                      st.integers(0, 10_000), st.integers(0, 10_000),
                      st.sampled_from(WORDS + ODD) | st.text(max_size=12))


def mutate(source: str, mutation: Mutation) -> str:
    kind, first, second, text = mutation
    lines = source.split("\n")
    i, j = first % len(lines), second % len(lines)
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "indent":
        lines[i] = " " * (second % 5) + lines[i].lstrip() if second % 2 else lines[i][2:]
    elif kind == "token":
        tokens = re.split(r"([\s:,\[\]{}]+)", lines[i])
        words = [k for k, token in enumerate(tokens) if token.strip(" :,[]{}")]
        if words:
            tokens[words[second % len(words)]] = text
        lines[i] = "".join(tokens)
    elif kind == "truncate":
        return source[: second % (len(source) + 1)]
    else:
        lines.insert(i, text)
    return "\n".join(lines)


@fuzz
@given(st.sampled_from(sorted(SEEDS)), st.lists(mutations, min_size=1, max_size=4))
def test_mutated_process_files(seed: str, changes: list[Mutation]) -> None:
    source = SEEDS[seed]
    for change in changes:
        source = mutate(source, change)
    load_or_refuse(source)


names = st.sampled_from(WORDS) | st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
scalars = (st.sampled_from(WORDS + ODD) | st.integers(-2**70, 2**70) | st.booleans()
           | st.none() | st.floats(allow_nan=False) | st.text(max_size=20))
trees = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                     | st.dictionaries(names, children, max_size=5), max_leaves=40)


@fuzz
@given(st.dictionaries(st.sampled_from(WORDS[:9]), trees, min_size=1, max_size=9))
def test_documents_in_the_language_s_vocabulary(document: dict[str, object]) -> None:
    load_or_refuse(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


@fuzz
@given(st.sampled_from(sorted(SEEDS)), st.lists(mutations, min_size=1, max_size=3),
       st.sampled_from(sorted(SEEDS)))
def test_validate_checks_files_together(tmp_path_factory: object, seed: str,
                                        changes: list[Mutation], other: str) -> None:
    """check_files (``ticketflow validate``) with a mutated file next to a real one."""
    folder = Path(str(tmp_path_factory.mktemp("files")))  # type: ignore[attr-defined]
    source = SEEDS[seed]
    for change in changes:
        source = mutate(source, change)
    (folder / "a.yaml").write_text(source, encoding="utf-8")
    (folder / "b.yaml").write_text(SEEDS[other], encoding="utf-8")
    report = check_files([folder])
    assert report.checked
    for problem in report.problems:
        assert problem.path.startswith(str(folder)) and problem.line >= 1, problem


SCENARIOS = {path.name: path.read_text(encoding="utf-8")
             for path in sorted((ROOT / "flows/scenarios").glob("*.yaml"))}
SCENARIO_PATH = str(ROOT / "flows/scenarios/fuzz.yaml")  # where its processes resolve from
SCENARIO_WORDS = ["open", "fire", "record", "expect", "expect_history", "wait", "as",
                  "ticket", "fails", "state", "data", "timers", "triggers", "post",
                  "assignee", "start", "accounts", "processes", "steps", "roles"]


def scenario_or_refusal(source: str) -> Scenario | None:
    try:
        return parse_scenario(source, SCENARIO_PATH)
    except SpecError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.path == SCENARIO_PATH and problem.line >= 1, problem
            assert problem.column >= 1, problem
        return None


scenario_mutations = st.tuples(
    st.sampled_from(["delete", "duplicate", "swap", "indent", "token", "truncate", "insert"]),
    st.integers(0, 10_000), st.integers(0, 10_000),
    st.sampled_from(SCENARIO_WORDS + ODD) | st.text(max_size=12))


@fuzz
@given(st.sampled_from(sorted(SCENARIOS)), st.lists(scenario_mutations, min_size=1,
                                                     max_size=4))
def test_mutated_scenario_files(seed: str, changes: list[Mutation]) -> None:
    source = SCENARIOS[seed]
    for change in changes:
        source = mutate(source, change)
    scenario_or_refusal(source)


def _parts(source: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A scenario file as its top-level keys but ``steps``, and its steps (plain data)."""
    data = json.loads(json.dumps(yamlfile.parse(source, SCENARIO_PATH)))
    steps = data.pop("steps")
    return data, steps


def _leaves(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """The paths to the values inside a step, nested ones too."""
    found = [path] if path else []
    if isinstance(node, dict):
        found += [leaf for key, value in node.items() for leaf in _leaves(value, (*path, key))]
    elif isinstance(node, list):
        found += [leaf for i, value in enumerate(node) for leaf in _leaves(value, (*path, i))]
    return found


def _at(node: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


SEED_PARTS = {name: _parts(source) for name, source in SCENARIOS.items()}
ALL_STEPS = [step for _, steps in SEED_PARTS.values() for step in steps]
SEED_VALUES: dict[str, list[Any]] = {}
"""Every value a key has somewhere in the seeds' steps: names, states, durations, data."""
for _step in ALL_STEPS:
    for _path in _leaves(_step):
        if isinstance(_path[-1], str) and _at(_step, _path) not in SEED_VALUES.get(_path[-1], []):
            SEED_VALUES.setdefault(_path[-1], []).append(_at(_step, _path))
odd_values = (st.sampled_from(SCENARIO_WORDS + ODD) | st.text(max_size=12) | st.none()
              | st.integers(-2**70, 2**70) | st.booleans()
              | st.floats(allow_nan=False, allow_infinity=False))


def _edit(draw: st.DrawFn, steps: list[dict[str, Any]], own: list[dict[str, Any]]) -> None:
    """One edit of a scenario's steps, in place."""
    kind = draw(st.sampled_from(["delete", "duplicate", "move", "insert", "value", "value"]))
    if kind == "insert" or not steps:
        steps.insert(draw(st.integers(0, len(steps))),
                     draw(st.sampled_from(own) | st.sampled_from(ALL_STEPS)))
        return
    i = draw(st.integers(0, len(steps) - 1))
    if kind == "delete":
        del steps[i]
    elif kind == "duplicate":
        steps.insert(i, steps[i])
    elif kind == "move":
        steps.insert(draw(st.integers(0, len(steps) - 1)), steps.pop(i))
    else:
        step = json.loads(json.dumps(steps[i]))
        *into, last = draw(st.sampled_from(_leaves(step)))
        parent = _at(step, tuple(into))
        known = SEED_VALUES.get(last, []) if isinstance(last, str) else []
        parent[last] = draw(st.sampled_from(known) | odd_values if known else odd_values)
        steps[i] = step


def scenario_text(header: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    """The scenario as YAML, each top-level value and each step on a line of its own."""
    lines = [f"{key}: {json.dumps(value)}" for key, value in header.items()]
    items = [f"  - {json.dumps(step)}" for step in steps]
    return "\n".join([*lines, "steps:" if items else "steps: []", *items, ""])


@st.composite
def runnable_scenarios(draw: st.DrawFn) -> tuple[Scenario, str]:
    """A seed scenario with 1-3 edits to its steps, then without the steps the checker
    refuses (each on a line of its own: a problem's line names it), so that it loads."""
    header, seed_steps = SEED_PARTS[draw(st.sampled_from(sorted(SEED_PARTS)))]
    steps = list(seed_steps)
    for _ in range(draw(st.integers(1, 3))):
        _edit(draw, steps, seed_steps)
    first = len(header) + 2  # the line of the first step
    while True:
        source = scenario_text(header, steps)
        try:
            return parse_scenario(source, SCENARIO_PATH), source
        except SpecError as error:
            refused = {problem.line - first for problem in error.problems}
            assert refused and refused <= set(range(len(steps))), error  # only steps are wrong
            steps = [step for i, step in enumerate(steps) if i not in refused]


def test_the_seed_scenarios_rebuilt_from_their_steps_load() -> None:
    """The generator's starting point: every seed, written back as ``scenario_text``, loads
    with as many steps as it had."""
    for name, (header, steps) in SEED_PARTS.items():
        assert len(parse_scenario(scenario_text(header, steps), SCENARIO_PATH).steps) == \
            len(steps), name


def test_a_refused_fire_names_no_child() -> None:
    """Found by the test below: a fire expected to fail ('fails: missing_field') still named
    the child its transition would start, so a later step on it loaded and the run died of
    a KeyError. Now the checker refuses that step."""
    header, steps = SEED_PARTS["service_desk_vendor.yaml"]
    assert steps[4].get("fails") and "fails" not in steps[5]  # the refused fire, the real one
    source = scenario_text(header, steps[:5] + steps[6:])
    with pytest.raises(SpecError, match="ticket 't/vendor_access' is not opened by an earlier"):
        parse_scenario(source, SCENARIO_PATH)


@pytest.mark.slow
@settings(fuzz, max_examples=max(EXAMPLES // 5, 1))  # each runs a whole scenario
@given(runnable_scenarios())
def test_mutated_scenarios_that_load_also_run(generated: tuple[Scenario, str]) -> None:
    """A scenario that passes its checks runs to an outcome: passed or failures, no crash."""
    scenario, source = generated
    outcome = run_scenario(scenario, lambda clock: open_workspace("sqlite://", clock=clock).desk)
    lines = source.count("\n")
    assert all(1 <= failure.line <= lines for failure in outcome.failures), outcome.failures
