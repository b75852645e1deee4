"""Decision tables: typed inputs, one typed output, rules and a hit policy.

A decision is called in an expression like a function, with its inputs in order:
``priority_matrix(impact, urgency)``. Each rule has one cell per input — a value, a list of
values, an inclusive range ``"a..b"`` (numbers), or ``"-"`` for any value — then the output.
With the hit policy ``first`` the first matching rule wins; with ``unique`` no two rules may
both match any input, which loading the file checks (the overlap is a located problem).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from engine.process.fields import coerce
from engine.process.spec import DecisionSpec, FieldSpec

ANY_VALUE = "-"
Span = tuple[Any, Any]
"""One value (low == high) or an inclusive range of a cell."""
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Cell:
    """What one rule accepts of one input: None for any value, else spans."""

    spans: tuple[Span, ...] | None

    def holds(self, value: Any) -> bool:
        if self.spans is None:
            return True
        return value is not None and any(low <= value <= high if low != high else
                                         value == low for low, high in self.spans)

    def meets(self, other: Cell) -> bool:
        """Whether some value satisfies both cells."""
        if self.spans is None or other.spans is None:
            return True
        return any(_overlap(a, b) for a in self.spans for b in other.spans)


def _overlap(a: Span, b: Span) -> bool:
    if a[0] == a[1] and b[0] == b[1]:
        return bool(a[0] == b[0])
    try:
        return bool(a[0] <= b[1] and b[0] <= a[1])
    except TypeError:
        return False


def parse_cell(field: FieldSpec, raw: Any) -> Cell:
    """A rule's cell for an input of this type; ValueError saying why it does not fit."""
    if raw == ANY_VALUE:
        return Cell(None)
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ValueError("an empty list matches nothing (write \"-\" for any value)")
    return Cell(tuple(_span(field, item) for item in items))


def _span(field: FieldSpec, item: Any) -> Span:
    if isinstance(item, str) and ".." in item and field.type in ("integer", "number"):
        low, _, high = item.partition("..")
        bounds = coerce(field, low.strip()), coerce(field, high.strip())
        if bounds[0] > bounds[1]:
            raise ValueError(f"range {item!r} is empty")
        return bounds
    value = coerce(field, item)
    return value, value


class Decision:
    """A checked decision table, callable from expressions with its inputs in order."""

    def __init__(self, name: str, spec: DecisionSpec) -> None:
        self.name, self.spec = name, spec
        self.arity = len(spec.inputs)
        fields = list(spec.inputs.values())
        self.rules = [([parse_cell(f, c) for f, c in zip(fields, rule, strict=False)],
                       coerce(spec.output, rule[-1])) for rule in spec.rules]

    def __call__(self, *values: Any) -> Any:
        if len(values) != self.arity:
            raise ValueError(f"decision {self.name!r} takes {self.arity} inputs")
        given = [None if v is None else coerce(f, v)
                 for f, v in zip(self.spec.inputs.values(), values, strict=True)]
        for cells, output in self.rules:
            if all(cell.holds(value) for cell, value in zip(cells, given, strict=True)):
                return output
        if self.spec.default is not None:
            return coerce(self.spec.output, self.spec.default)
        shown = ", ".join(f"{k}={v!r}" for k, v in zip(self.spec.inputs, given, strict=True))
        raise ValueError(f"no rule of decision {self.name!r} matches {shown}")


class Unusable:
    """A decision table with problems: calls of it are still checked (the file is refused)."""

    def __init__(self, arity: int) -> None:
        self.arity = arity

    def __call__(self, *values: Any) -> Any:
        raise ValueError("this decision table has problems")


def decision_problems(name: str, spec: DecisionSpec) -> Iterator[tuple[Loc, str]]:
    """Every problem of one decision table, located under ``decisions.NAME``."""
    loc: Loc = ("decisions", name)
    width = len(spec.inputs) + 1
    parsed: list[tuple[int, list[Cell]]] = []
    for index, rule in enumerate(spec.rules):
        if len(rule) != width:
            yield (*loc, "rules", index), (f"a rule needs {width} cells (one per input, then "
                                           f"the output), not {len(rule)}")
            continue
        cells = yield from _rule_cells(spec, (*loc, "rules", index), rule)
        if cells is not None:
            parsed.append((index, cells))
    if not spec.rules:
        yield (*loc, "rules"), "a decision needs at least one rule"
    if spec.default is not None:
        yield from _fits(spec.output, (*loc, "default"), spec.default, "default")
    if spec.hit == "unique":
        yield from _overlaps(spec, loc, parsed)


def _rule_cells(spec: DecisionSpec, loc: Loc, rule: list[Any]
                ) -> Generator[tuple[Loc, str], None, list[Cell] | None]:
    cells: list[Cell] = []
    fine = True
    for column, (input_name, field) in enumerate(spec.inputs.items()):
        try:
            cells.append(parse_cell(field, rule[column]))
        except ValueError as exc:
            fine = False
            yield (*loc, column), f"{input_name} {exc}"
    problems = list(_fits(spec.output, (*loc, len(rule) - 1), rule[-1], "the output"))
    yield from problems
    return cells if fine and not problems else None


def _fits(field: FieldSpec, loc: Loc, value: Any, what: str) -> Iterator[tuple[Loc, str]]:
    try:
        coerce(field, value)
    except ValueError as exc:
        yield loc, f"{what} {exc}"


def _overlaps(spec: DecisionSpec, loc: Loc, rules: list[tuple[int, list[Cell]]]
              ) -> Iterator[tuple[Loc, str]]:
    for later, (index, cells) in enumerate(rules):
        for other, earlier in rules[:later]:
            if all(a.meets(b) for a, b in zip(cells, earlier, strict=True)):
                yield (*loc, "rules", index), (
                    f"rule {index + 1} overlaps rule {other + 1}: some input matches both, "
                    "and the hit policy is unique (make them disjoint, or use hit: first)")
                break
