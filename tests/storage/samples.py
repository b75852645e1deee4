"""Engine objects to store: a process version, tickets, their events, steps and timers."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.core.journal import GENESIS, Event, compute_hash, seal
from engine.core.model import Change, NewTicket, ProcessVersion, Ticket, Timer

NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
SOURCE = "process: mini\n"


def version(name: str = "mini", source: str = SOURCE) -> ProcessVersion:
    """A process version keyed by the hash of its source."""
    return ProcessVersion(name=name, digest=hashlib.sha256(source.encode()).hexdigest(),
                          source=source, path=f"flows/{name}.yaml", deployed_by="admin",
                          deployed_at=NOW)


DIGEST = version().digest


def ticket(**values: Any) -> Ticket:
    """A new ticket (id 0: the store assigns one)."""
    fields: dict[str, Any] = dict(
        id=0, process="mini", digest=DIGEST, state="submitted", data={"summary": "printer"},
        post="service_desk", assignee=None, is_open=True, opened_at=NOW, updated_at=NOW,
        opened_by="alice", state_since=NOW)
    fields.update(values)
    return Ticket(**fields)


def opening(new: Ticket, *, events: int = 1, timers: list[Timer] | None = None) -> NewTicket:
    """A ticket to open with ``events`` journal entries (sealed without an id yet)."""
    journal = [seal(Event(ticket_id=0, seq=n, at=NOW, actor="alice", kind="open" if n == 1
                          else "event", trigger=None, source=None, dest=new.state,
                          changes={"summary": [None, "printer"]} if n == 1 else {},
                          digest=new.digest, prev_hash="not chained yet"))
               for n in range(1, events + 1)]
    return NewTicket(replace(new, seq=events, version=1), journal, timers or [])


def step(before: Ticket, *, dest: str, at: datetime | None = None, trigger: str = "go",
         data: dict[str, Any] | None = None, **change: Any) -> Change:
    """The change moving a stored ticket to ``dest`` with one sealed event."""
    at = at or before.updated_at + timedelta(minutes=1)
    after = replace(before, state=dest, data=data if data is not None else before.data,
                    version=before.version + 1, seq=before.seq + 1, updated_at=at,
                    state_since=at)
    event = seal(Event(ticket_id=before.id, seq=after.seq, at=at, actor="bob", kind="fire",
                       trigger=trigger, source=before.state, dest=dest,
                       changes={"state": [before.state, dest]}, digest=before.digest,
                       details={"at": at}, prev_hash=before.head))
    after.head = event.hash
    return Change(ticket=after, expected_version=before.version, events=[event], **change)


def timer(ticket_id: int, *, state: str, minutes: int, trigger: str = "expire",
          kind: str = "timer") -> Timer:
    """A timer due ``minutes`` after NOW."""
    return Timer(ticket_id=ticket_id, trigger=trigger, due_at=NOW + timedelta(minutes=minutes),
                 state=state, kind=kind)


def chain_problems(events: list[Event]) -> list[str]:
    """What is wrong with a journal's sequence and hash chain (nothing: [])."""
    problems, previous = [], GENESIS
    for number, event in enumerate(events, start=1):
        if event.seq != number:
            problems.append(f"event {number} has seq {event.seq}")
        if event.prev_hash != previous:
            problems.append(f"event {number} is not chained to its predecessor")
        if event.hash != compute_hash(event):
            problems.append(f"event {number} does not match its hash")
        previous = event.hash
    return problems
