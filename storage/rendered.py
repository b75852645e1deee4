"""SQL rendered once from the SQLModel tables for one dialect, and the values it is sent.

SQLAlchemy's execution path costs ~90 µs per state change; the driver call costs a few
(PERFORMANCE.md). So the hot statements are compiled once per dialect and sent on the
pool's own driver connection, with parameters in the order the compiler chose
(``positiontup``), generated bound parameters (literals) filled from the compiled
statement, and JSON and timestamps converted here, by hand.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql import ClauseElement

from storage.database import encode_json


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


@dataclass(frozen=True)
class Codec:
    """How one dialect's driver takes and gives timestamps, JSON and booleans."""

    sqlite: bool
    _sent: list[tuple[datetime | None, Any]] = field(
        default_factory=lambda: [(None, None)], compare=False, repr=False)
    """The last timestamp sent and its text: a step writes the same moment up to four
    times (updated, state since, the event's time). Datetimes are immutable, and the pair
    is replaced as one tuple, so threads sharing the codec never see a mismatched pair."""
    _read: list[tuple[Any, datetime | None]] = field(
        default_factory=lambda: [(None, None)], compare=False, repr=False)
    """The last timestamp text read and its value (updated and state-since often match)."""

    def time(self, moment: datetime | None) -> Any:
        """A timestamp to send: SQLite gets SQLAlchemy's naive-UTC text, others aware UTC."""
        if moment is None:
            return None
        last, text = self._sent[0]
        if last is moment:
            return text
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment.isoformat()} (ticketflow stores UTC)")
        if self.sqlite:  # "YYYY-MM-DD HH:MM:SS.ffffff", the text SQLAlchemy writes
            utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
            text = utc.isoformat(" ", "microseconds")[:26]
            self._sent[0] = (moment, text)
            return text
        return moment

    def read_time(self, value: Any) -> datetime:
        """A timestamp read back, aware UTC."""
        if self.sqlite:
            last, moment = self._read[0]
            if last == value and moment is not None:
                return moment
            moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
            self._read[0] = (value, moment)
            return moment
        aware: datetime = value.astimezone(UTC)
        return aware

    @staticmethod
    def json(value: Any) -> str:
        return "{}" if value == {} else encode_json(value)

    def read_json(self, value: Any) -> Any:
        if not self.sqlite:
            return value
        return {} if value == "{}" else json.loads(value)
