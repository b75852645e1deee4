"""The safe expression language of guards, routing conditions and computed fields.

An expression is parsed once, checked against a whitelist of syntax (names, literals,
comparisons, boolean logic, arithmetic, ``x if c else y``, calls of a few functions) and
against the names in scope, then evaluated by simpleeval — never by ``eval``. Attribute
access, subscripts, comprehensions, lambdas and powers are refused when the file loads.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from simpleeval import EvalWithCompoundTypes

MAX_LENGTH = 1000
MAX_DEPTH = 24
MAX_CONSTANT = 10**15
MAX_STRING = 1000


def _lower(value: str) -> str:
    return str(value).lower()


def _upper(value: str) -> str:
    return str(value).upper()


def _local(moment: str, zone: str) -> datetime:
    return datetime.fromisoformat(str(moment)).astimezone(ZoneInfo(str(zone)))


def _local_hour(moment: str, zone: str) -> int:
    return _local(moment, zone).hour


def _local_weekday(moment: str, zone: str) -> str:
    return WEEKDAYS[_local(moment, zone).weekday()]


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len, "lower": _lower, "upper": _upper, "min": min, "max": max, "abs": abs,
    "round": round, "int": int, "str": str,
}
"""The general functions an expression may call."""
TIME_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "local_hour": _local_hour, "local_weekday": _local_weekday,
}
"""Functions of a timestamp in a time zone: the hour (0–23), the weekday (mon … sun)."""

CONTEXT_NAMES = ("actor", "actor_post", "now", "state", "true", "false", "null")
"""Names every expression may use besides the process's fields."""

_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Compare,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot,
    ast.Name, ast.Load, ast.Constant, ast.IfExp, ast.Call, ast.List, ast.Tuple,
)
_DESCRIBE = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.Pow: "powers (**)", ast.NamedExpr: "assignments",
    ast.Starred: "starred arguments", ast.Dict: "dictionaries", ast.Set: "sets",
    ast.JoinedStr: "f-strings", ast.Await: "await", ast.Yield: "yield",
}


class ExpressionError(ValueError):
    """An expression is outside the safe language or names something undeclared."""


class Expression:
    """A checked expression, parsed once, evaluated many times."""

    __slots__ = ("_evaluator", "names", "source", "tree")

    def __init__(self, source: str, allowed_names: Iterable[str],
                 decisions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.source = source
        self.tree = _parse(source)
        functions = {**FUNCTIONS, **TIME_FUNCTIONS, **(decisions or {})}
        self.names = _check(self.tree, set(allowed_names) | set(CONTEXT_NAMES), functions)
        self._evaluator = EvalWithCompoundTypes(functions=functions, names={})

    def evaluate(self, names: dict[str, Any]) -> Any:
        """Evaluate with these values for the names; raise ExpressionError on failure."""
        evaluator = self._evaluator
        evaluator.names = {"true": True, "false": False, "null": None, **names}
        try:
            return evaluator.eval(self.source, previously_parsed=self.tree.body)
        except Exception as exc:  # simpleeval raises many kinds; all mean "cannot evaluate"
            raise ExpressionError(f"cannot evaluate {_quote(self.source)}: {exc}") from None

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def _parse(source: str) -> ast.Expression:
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("an expression must be non-empty text")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters")
    try:
        return ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error in {_quote(source)}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"cannot parse {_quote(source)}") from None


def _quote(source: str) -> str:
    """The source quoted for a message, cut short when long."""
    return repr(source if len(source) <= 60 else source[:59] + "…")


def _check(tree: ast.Expression, allowed: set[str],
           functions: Mapping[str, Callable[..., Any]]) -> frozenset[str]:
    used: set[str] = set()
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested deeper than {MAX_DEPTH} levels")
        _check_node(node, allowed, used, functions)
        children = node.args if isinstance(node, ast.Call) else ast.iter_child_nodes(node)
        stack.extend((child, depth + 1) for child in children)
    return frozenset(used)


def _check_node(node: ast.AST, allowed: set[str], used: set[str],
                functions: Mapping[str, Callable[..., Any]]) -> None:
    if not isinstance(node, _ALLOWED):
        what = _DESCRIBE.get(type(node), type(node).__name__)
        raise ExpressionError(f"{what} not allowed in expressions")
    if isinstance(node, ast.Name):
        if node.id.startswith("_") or node.id not in allowed:
            raise ExpressionError(f"unknown name {node.id!r}")
        used.add(node.id)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _check_node(node.func, allowed, used, functions)  # say what is called: a lambda
        if not isinstance(node.func, ast.Name) or node.func.id not in functions or node.keywords:
            others = [name for name in functions if name not in FUNCTIONS]
            raise ExpressionError(f"only the functions {', '.join(FUNCTIONS)} may be called"
                                  f" (and {', '.join(others)})")
        _check_arity(node, functions[node.func.id])
    elif isinstance(node, ast.Constant):
        _check_constant(node.value)


def _check_arity(node: ast.Call, function: Callable[..., Any]) -> None:
    """A decision table (or a time function) takes exactly its inputs."""
    arity = getattr(function, "arity", 2 if function in TIME_FUNCTIONS.values() else None)
    if arity is not None and len(node.args) != arity:
        name = node.func.id if isinstance(node.func, ast.Name) else "?"
        raise ExpressionError(f"{name}() takes {arity} arguments, not {len(node.args)}")


def _check_constant(value: object) -> None:
    if isinstance(value, bool) or value is None:
        return
    if not isinstance(value, int | float | str):
        raise ExpressionError("only numbers, text, true/false and null are literals")
    if isinstance(value, int | float) and abs(value) > MAX_CONSTANT:
        raise ExpressionError(f"number {value!r} is too large")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise ExpressionError(f"text literal is longer than {MAX_STRING} characters")


def is_expression(value: object) -> bool:
    """Whether a value in ``set``/``data`` is an expression (written ``= expr``)."""
    return isinstance(value, str) and value.startswith("=")
