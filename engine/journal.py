"""Journal events and their hash chain: each event's SHA-256 covers a canonical encoding
of its content and the previous event's hash, so any edit, deletion, reordering or
insertion breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

GENESIS = ""
"""The previous hash of a ticket's first event."""


@dataclass(frozen=True)
class Event:
    """One entry of a ticket's journal. The product never updates or deletes one."""

    ticket_id: int
    seq: int
    at: datetime
    actor: str
    kind: str
    """open, fire, timer, event, assign, migrate."""
    trigger: str | None
    source: str | None
    dest: str | None
    changes: dict[str, list[Any]]
    """Field (or ``_post``/``_assignee``) → [before, after]."""
    digest: str
    """The process version's content hash."""
    note: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """Anything else worth keeping: a timer's due time, a child ticket's id, a tag list."""
    prev_hash: str = GENESIS
    hash: str = ""

    def content(self) -> dict[str, Any]:
        """The event as plain JSON-able data, without its own hash."""
        # Not dataclasses.asdict: its deep copy was the costliest step of a state change,
        # and canonical() only reads the values, so the encoding (and hash) is the same.
        data = {name: getattr(self, name) for name in _CONTENT}
        data["at"] = self.at.isoformat()
        return data


_CONTENT = tuple(f.name for f in fields(Event) if f.name != "hash")


def canonical(data: Any) -> bytes:
    """The one encoding hashes are computed over: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def compute_hash(event: Event) -> str:
    """The SHA-256 that seals an event to its content and its predecessor."""
    return hashlib.sha256(canonical(event.content())).hexdigest()


def seal(event: Event, *, ticket_id: int | None = None) -> Event:
    """The event with its ticket id (if given) and its hash filled in."""
    if ticket_id is not None:
        event = replace(event, ticket_id=ticket_id)
    return replace(event, hash=compute_hash(event))
