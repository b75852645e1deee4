"""The safe expression language: what it evaluates, and everything it refuses cleanly."""

from __future__ import annotations

import time

import pytest

from engine.process.expressions import FUNCTIONS, MAX_DEPTH, Expression, ExpressionError

FIELDS = ("level", "summary", "priority")


def evaluate(source: str, **names: object) -> object:
    return Expression(source, FIELDS).evaluate(names)


def refusal(source: str) -> str:
    with pytest.raises(ExpressionError) as caught:
        Expression(source, FIELDS)
    return str(caught.value)


@pytest.mark.parametrize(("source", "names", "expected"), [
    ("level > 2 and priority == 'high'", {"level": 3, "priority": "high"}, True),
    ("not (level >= 2 or summary == null)", {"level": 1, "summary": "x"}, True),
    ("level + 1 if level < 4 else level", {"level": 4}, 4),
    ("level * 2 - 1 // 1 % 3", {"level": 2}, 3),
    ("priority in ['high', 'critical']", {"priority": "critical"}, True),
    ("priority not in ('low',)", {"priority": "low"}, False),
    ("'disk' in lower(summary)", {"summary": "Disk full"}, True),
    ("len(summary) + max(level, 3) + abs(-1) + round(2.4) + int('2')",
     {"summary": "ab", "level": 1}, 10),
    ("upper(summary) + str(level)", {"summary": "x", "level": 4}, "X4"),
    ("actor == 'ann' and actor_post == 'vendor' and state == 'open'",
     {"actor": "ann", "actor_post": "vendor", "state": "open"}, True),
    ("now >= '2025-01-01'", {"now": "2025-03-01T00:00:00+00:00"}, True),
    ("true and not false and null == null", {}, True),
])
def test_evaluates(source: str, names: dict[str, object], expected: object) -> None:
    assert evaluate(source, **names) == expected


def test_names_used_are_recorded() -> None:
    assert Expression("level > 1 and actor == 'x'", FIELDS).names == {"level", "actor"}


@pytest.mark.parametrize(("source", "message"), [
    ("summary.__class__", "attribute access not allowed"),
    ("summary.upper()", "attribute access not allowed"),
    ("len.__globals__", "attribute access not allowed"),
    ("__import__('os')", "may be called"),
    ("__builtins__", "unknown name '__builtins__'"),
    ("_private", "unknown name '_private'"),
    ("undeclared > 1", "unknown name 'undeclared'"),
    ("[x for x in [1, 2]]", "comprehensions not allowed"),
    ("{x: 1 for x in [1]}", "comprehensions not allowed"),
    ("(x for x in [1])", "comprehensions not allowed"),
    ("(lambda: 1)()", "lambdas not allowed"),
    ("(lambda x: x)(level)", "lambdas not allowed"),
    ("level ** 2", "powers (**) not allowed"),
    ("9 ** 9 ** 9", "powers (**) not allowed"),
    ("level << 64", "LShift not allowed"),
    ("level[0]", "subscripts not allowed"),
    ("{1: 2}", "dictionaries not allowed"),
    ("{1, 2}", "sets not allowed"),
    ("f'{summary}'", "f-strings not allowed"),
    ("(y := 1)", "assignments not allowed"),
    ("open('/etc/passwd')", "only the functions len, lower"),
    ("dict(a=1)", "may be called"),
    ("set([1])", "may be called"),
    ("len(summary, key=1)", "may be called"),
    ("max(*[1, 2])", "starred arguments not allowed"),
    ("10 ** 100", "powers"),
    ("99999999999999999999", "number 99999999999999999999 is too large"),
    ("1e308", "too large"),
    ("b'bytes'", "only numbers, text, true/false and null are literals"),
    ("2j", "only numbers, text"),
    ("...", "only numbers, text"),
    ("'" + "x" * 2000 + "'", "longer than 1000 characters"),
    ("-" * 100 + "1", f"nested deeper than {MAX_DEPTH} levels"),
    ("level >", "syntax error"),
    ("level; level", "syntax error"),
    ("import os", "syntax error"),
    ("", "non-empty text"),
    ("   ", "non-empty text"),
])
def test_refused_when_the_file_loads(source: str, message: str) -> None:
    assert message in refusal(source)


def test_very_deep_nesting_is_refused_quickly() -> None:
    started = time.process_time()
    for source in ("not " * 240 + "level", "-" * 900 + "1", "[" * 300 + "]" * 300,
                   "+".join(["(level"] * 150) + ")" * 150):
        message = refusal(source)
        assert any(why in message for why in ("nested deeper", "too many nested", "longer"))
    assert time.process_time() - started < 1


def test_non_text_source_is_refused() -> None:
    with pytest.raises(ExpressionError, match="non-empty text"):
        Expression(42, FIELDS)  # type: ignore[arg-type]


@pytest.mark.parametrize(("source", "names", "message"), [
    ("summary * 100000000", {"summary": "ab"}, "that long"),
    ("summary + summary", {"summary": "x" * 60000}, "too long"),
    ("['x'] * 100000000", {}, "that long"),
    ("level / 0", {"level": 1}, "division by zero"),
    ("int(summary)", {"summary": "9" * 5000}, "cannot evaluate"),
    ("level > 1", {"level": None}, "cannot evaluate"),
    ("level > 1", {}, "cannot evaluate"),
    ("min()", {}, "cannot evaluate"),
])
def test_evaluation_failures_are_expression_errors(source: str, names: dict[str, object],
                                                   message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(source, **names)


def test_evaluating_never_widens_the_functions_allowed() -> None:
    before = dict(FUNCTIONS)
    assert evaluate("len([1, 2])") == 2
    assert before == FUNCTIONS
    assert "may be called" in refusal("list([1])")
