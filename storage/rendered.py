"""SQL rendered once from the SQLModel tables for one dialect, and the values it is sent.

SQLAlchemy's execution path costs ~90 µs per state change; the driver call costs a few
(PERFORMANCE.md). So the hot statements are compiled once per dialect and sent on the
pool's own driver connection, with parameters in the order the compiler chose
(``positiontup``), generated bound parameters (literals) filled from the compiled
statement, and JSON and timestamps converted here, by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql import ClauseElement


@dataclass(frozen=True)
class Rendered:
    """One statement's SQL text for a dialect, and how to lay out its parameters."""

    sql: str
    order: tuple[str, ...] | None
    """Parameter names in placeholder order (positional paramstyles); None when named."""
    literals: Mapping[str, Any]
    """Generated bound parameters: the statement's literal values."""

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...] | Mapping[str, Any]:
        """The parameters to send for ``values`` (a mapping of names to values)."""
        if self.literals:
            values = {**self.literals, **values}
        if self.order is None:
            return values
        return tuple([values[name] for name in self.order])


def render(statement: ClauseElement, dialect: Dialect) -> Rendered:
    """Compile ``statement`` once for ``dialect``."""
    compiled: Any = statement.compile(dialect=dialect)  # a SQLCompiler
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    literals = {name: value for name, value in compiled.params.items() if value is not None}
    return Rendered(str(compiled), order, literals)


def rows_getter(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A fast ``mapping → tuple`` in the given order (for executemany)."""
    getter = itemgetter(*names)
    return (lambda values: (getter(values),)) if len(names) == 1 else getter
