"""Journal events and their hash chain: each event's SHA-256 covers a canonical encoding
of its content and the previous event's hash, so any edit, deletion, reordering or
insertion breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    """open, fire, timer, event, assign, migrate, sla, link (a problem link)."""
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
        data = dict(self.__dict__)
        del data["hash"]
        data["at"] = self.at.isoformat()
        return data

    def _with(self, **values: Any) -> Event:
        """A copy with some fields changed: ``dataclasses.replace`` without its
        introspection (Event has no ``__post_init__`` to run)."""
        return assemble({**self.__dict__, **values})


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              default=str)
"""The one encoder of :func:`canonical`, built once (``json.dumps`` builds one per call)."""


def canonical(data: Any) -> bytes:
    """The one encoding hashes are computed over: sorted keys, no spaces, UTF-8."""
    return _CANONICAL.encode(data).encode("utf-8")


def compute_hash(event: Event) -> str:
    """The SHA-256 that seals an event to its content and its predecessor."""
    return hashlib.sha256(canonical(event.content())).hexdigest()


def sealed_event(*, ticket_id: int, seq: int, at: datetime, actor: str, kind: str,
                 trigger: str | None, source: str | None, dest: str | None,
                 changes: dict[str, list[Any]], digest: str, note: str | None = None,
                 details: dict[str, Any] | None = None, prev_hash: str = GENESIS) -> Event:
    """``seal(Event(...))`` in one go: the same event and hash, without the frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field) and the copy ``seal``
    makes — every state change seals one."""
    values = {"ticket_id": ticket_id, "seq": seq, "at": at, "actor": actor, "kind": kind,
              "trigger": trigger, "source": source, "dest": dest, "changes": changes,
              "digest": digest, "note": note, "details": {} if details is None else details,
              "prev_hash": prev_hash}
    content = dict(values)  # what Event.content() gives: every field but the hash
    content["at"] = at.isoformat()
    values["hash"] = hashlib.sha256(canonical(content)).hexdigest()
    return assemble(values)


def assemble(values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Event:
    """An event of every field's value (a mapping, or (name, value) pairs), made without
    the frozen dataclass's ``__init__``: one ``object.__setattr__`` per field cost half of
    reading a journal back and a tenth of sealing one."""
    event: Event = object.__new__(Event)
    event.__dict__.update(values)
    return event


def seal(event: Event, *, ticket_id: int | None = None) -> Event:
    """The event with its ticket id (if given) and its hash filled in."""
    if ticket_id is not None:
        event = event._with(ticket_id=ticket_id)
    return event._with(hash=compute_hash(event))
