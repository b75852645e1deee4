"""Property tests: the expression language refuses everything outside it, cleanly.

Attribute access, dunder names, subscripts, comprehensions, lambdas, powers, calls of
anything but the whitelisted functions, huge numbers and strings and deep nesting are
refused with :class:`ExpressionError` when the expression is checked; what passes the check
evaluates to a value or raises :class:`ExpressionError` — never another exception, never
slowly, whatever the fields hold.
"""

from __future__ import annotations

import ast
import re
import time
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from engine.process.expressions import (
    CONTEXT_NAMES,
    FUNCTIONS,
    MAX_LENGTH,
    Expression,
    ExpressionError,
)
from tests.reliability.fuzzing import fuzz

FIELDS = ("summary", "level", "score", "flag", "due", "names")
FORBIDDEN = [
    ("summary.__class__", "attribute access"),
    ("summary.upper()", "attribute access"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
    ("__import__('os').system('id')", "attribute access"),
    ("__import__('os')", "only the functions"),
    ("__builtins__", "unknown name"),
    ("_secret", "unknown name"),
    ("open('/etc/passwd')", "only the functions"),
    ("eval('1')", "only the functions"),
    ("getattr(summary, 'upper')", "only the functions"),
    ("type(summary)", "only the functions"),
    ("len(summary, x=1)", "only the functions"),
    ("summary[0]", "subscripts"),
    ("names[::-1]", "subscripts"),
    ("[x for x in names]", "comprehensions"),
    ("{x: 1 for x in names}", "comprehensions"),
    ("len(x for x in names)", "comprehensions"),
    ("(lambda: 1)()", "lambdas"),
    ("9 ** 9 ** 9", "powers"),
    ("(x := 1)", "assignments"),
    ("{'a': 1}", "dictionaries"),
    ("{1, 2}", "sets"),
    ("f'{summary}'", "f-strings"),
    ("len(*names)", "starred"),
    ("10 ** 100", "powers"),
    ("99999999999999999999", "too large"),
    ("1e300", "too large"),
    ("'" + "x" * 1001 + "'", "longer than 1000"),
    ("1 + " * 300 + "1", "longer than"),
    ("-" * 30 + "1", "nested deeper"),
    ("(" * 30 + "1" + ")" * 30 + " + " + "len(" * 25 + "summary" + ")" * 25, "nested"),
    ("not " * 40 + "flag", "nested deeper"),
    ("", "non-empty"),
    ("   ", "non-empty"),
    ("1 +", "syntax error"),
    ("import os", "syntax error"),
    ("summary; 1", "syntax error"),
    ("\x00", "syntax error"),
    ("Ellipsis", "unknown name"),
    ("...", "only numbers"),
    ("b'x'", "only numbers"),
    ("1j", "only numbers"),
]


@pytest.mark.parametrize("source, message", FORBIDDEN)
def test_forbidden_constructs_are_refused_when_checked(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        Expression(source, FIELDS)


RUNTIME = [
    "summary * 100000000",            # a 10 kB field repeated: simpleeval caps string size
    "summary * 999999999999999 * 999999999999999",
    "[summary] * 999999999999999",
    "str(999999999999999 * 999999999999999 * 999999999999999 * 999999999999999 "
    "* 999999999999999 * 999999999999999 * 999999999999999 * 999999999999999 "
    "* 999999999999999 * 999999999999999 * 999999999999999 * 999999999999999 "
    "* 999999999999999 * 999999999999999 * 999999999999999 * 999999999999999)",
    "level / 0", "level // 0", "level % 0",
    "int(summary)", "int('9' * 5000)", "round(score, 999999999999999)",
    "min()", "max(level)", "len(level)", "abs(summary)", "lower(names)",
    "summary + level", "level < summary", "names in level",
]


@pytest.mark.parametrize("source", RUNTIME)
def test_runtime_failures_are_expression_errors_and_fast(source: str) -> None:
    expression = Expression(source, FIELDS)
    started = time.process_time()
    try:
        value = expression.evaluate(values())
    except ExpressionError:
        value = None
    assert time.process_time() - started < 1
    assert len(str(value)) < 200_000


def values(**given: Any) -> dict[str, Any]:
    return {"summary": "x" * 10_000, "level": 3, "score": 1.5, "flag": True,
            "due": "2026-01-01T00:00:00+00:00", "names": ["a", "b"], **given}


# -- generated expressions ---------------------------------------------------------------

atoms = st.one_of(
    st.sampled_from([*FIELDS, "actor", "now", "state", "true", "false", "null", "__class__",
                     "_x", "os", "open", "Ellipsis", "__import__", "self"]),
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=False).map(repr),
    st.text(max_size=30).map(repr),
    st.sampled_from(["'x' * 99999", "...", "[]", "()", "{}", "[1, 2]", "(1,)"]),
)


def combine(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(parts, st.sampled_from(
        ["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", ">=", "and", "or", "in",
         "not in", "is", "is not", "&", "|", "^", "<<", ">>", "@"]), parts).map(" ".join)
    return st.one_of(
        binary,
        st.tuples(st.sampled_from(["not ", "-", "+", "~"]), parts).map("".join),
        st.tuples(parts, parts, parts).map(lambda p: f"{p[0]} if {p[1]} else {p[2]}"),
        st.tuples(st.sampled_from([*FUNCTIONS, "getattr", "type", "exec", "vars", "id"]),
                  st.lists(parts, max_size=3)).map(lambda p: f"{p[0]}({', '.join(p[1])})"),
        st.tuples(parts, st.sampled_from(["__class__", "upper", "__dict__", "real"])
                  ).map(lambda p: f"({p[0]}).{p[1]}"),
        st.tuples(parts, parts).map(lambda p: f"({p[0]})[{p[1]}]"),
        parts.map(lambda p: f"[x for x in ({p})]"),
        parts.map(lambda p: f"(lambda: {p})()"),
        parts.map(lambda p: f"({p})"),
        st.lists(parts, max_size=3).map(lambda p: f"[{', '.join(p)}]"),
    )


expressions = st.recursive(atoms, combine, max_leaves=12)
field_values = st.fixed_dictionaries({
    "summary": st.text(max_size=50) | st.just("x" * 10_000) | st.none(),
    "level": st.integers() | st.none(), "score": st.floats() | st.none(),
    "flag": st.booleans() | st.none(), "due": st.text(max_size=30) | st.none(),
    "names": st.lists(st.text(max_size=5), max_size=3) | st.none()})


def check_or_refuse(source: str, names: dict[str, Any]) -> None:
    try:
        expression = Expression(source, FIELDS)
    except ExpressionError as error:
        assert str(error)
        return
    started = time.process_time()
    try:
        expression.evaluate(names)
    except ExpressionError as error:
        assert str(error)
    assert time.process_time() - started < 2, source


@fuzz
@given(expressions, field_values)
@example("summary * level * level * level", values(level=10**15))
@example("str(level * level)", values(level=10**3000))
def test_generated_expressions(source: str, names: dict[str, Any]) -> None:
    check_or_refuse(source, names)


@fuzz
@given(st.text(max_size=MAX_LENGTH + 10), field_values)
def test_any_text(source: str, names: dict[str, Any]) -> None:
    check_or_refuse(source, names)


OUTSIDE = (ast.Attribute, ast.Subscript, ast.Lambda, ast.comprehension, ast.Pow,
           ast.NamedExpr, ast.Starred, ast.JoinedStr)


@fuzz
@given(expressions)
def test_no_accepted_expression_reaches_outside(source: str) -> None:
    """Whatever is accepted names only fields, context names and whitelisted functions."""
    try:
        expression = Expression(source, FIELDS)
    except ExpressionError:
        return
    assert expression.names <= {*FIELDS, *CONTEXT_NAMES}
    nodes = list(ast.walk(expression.tree))
    assert not [node for node in nodes if isinstance(node, OUTSIDE)]
    assert all(node.func.id in FUNCTIONS for node in nodes if isinstance(node, ast.Call)
               and isinstance(node.func, ast.Name))
    assert all(isinstance(node.func, ast.Name) for node in nodes if isinstance(node, ast.Call))
