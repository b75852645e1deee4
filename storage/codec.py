"""How timestamps and JSON travel between the engine's objects and a database driver.

Shared by the paths that talk to the driver directly (the hot path, the reader): SQLite
keeps timestamps as SQLAlchemy's naive-UTC text and JSON as text; PostgreSQL's driver gives
aware timestamps and decoded JSON. No SQLAlchemy here, so the light reader stays light.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

encode_json = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":")).encode
"""How JSON columns are written on every path (``default=str`` as the journal hashes);
one encoder built once (``json.dumps`` with options builds a new one per call)."""


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
