"""Replay: a ticket rebuilt from its journal and the process versions it ran on, alone.

Every event records the state it led to (``dest``), the data it changed (before and
after), the post and assignee changes (``_post``/``_assignee``) and its process version;
the version gives what the journal does not repeat: the start state's post and which
states are end states.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from engine.core.errors import NotFound
from engine.core.journal import Event
from engine.core.model import Ticket, Timer
from engine.desk import plan
from engine.desk.desk import CHILD_END
from engine.process.compiler import CompiledProcess
from engine.process.fields import parse_timestamp

Versions = Callable[[str], CompiledProcess]
"""The compiled process version for a digest."""
MOVES = ("fire", "timer")
"""Kinds of events after which a ticket that changed state starts counting anew."""


def opened(event: Event, compiled: CompiledProcess) -> Ticket:
    """A ticket as its opening event left it."""
    state = event.dest or compiled.spec.start_state()
    ticket = Ticket(
        id=event.ticket_id, process=compiled.spec.process, digest=event.digest, state=state,
        data={}, post=compiled.spec.states[state].post, assignee=None, is_open=True,
        opened_at=event.at, updated_at=event.at, opened_by=event.actor,
        parent_id=event.details.get("parent"), version=0, state_since=event.at)
    apply(ticket, event, compiled)
    return ticket


def apply(ticket: Ticket, event: Event, compiled: CompiledProcess) -> None:
    """Move a replayed ticket past one more event of its journal (in place)."""
    for key, (_, after) in event.changes.items():
        if key == "_post":
            ticket.post = after
        elif key == "_assignee":
            ticket.assignee = after
        else:
            ticket.data[key] = after
    if event.dest is not None:
        if event.kind in MOVES and event.dest != ticket.state:
            ticket.state_since = event.at
        ticket.state = event.dest
        if event.kind in MOVES:
            ticket.branches = dict(event.details.get("branches", {}))
        state = compiled.spec.states.get(event.dest)
        ticket.is_open = state is None or state.kind != "end"
    ticket.digest, ticket.seq, ticket.head = event.digest, event.seq, event.hash
    ticket.version += 1
    ticket.updated_at = event.at


def replay(events: Iterable[Event], versions: Versions, at: datetime | None = None
           ) -> Ticket:
    """The ticket as its journal leaves it (up to and including ``at``, when given)."""
    ticket: Ticket | None = None
    for event in events:
        if at is not None and event.at > at:
            break
        if ticket is None:
            ticket = opened(event, versions(event.digest))
        else:
            apply(ticket, event, versions(event.digest))
    if ticket is None:
        raise NotFound("the ticket did not exist yet at that moment" if at else
                       "the ticket has no journal")
    return ticket


def meaningful(data: dict[str, Any]) -> dict[str, Any]:
    """Data without empty values (the journal cannot tell absent from null)."""
    return {key: value for key, value in data.items() if value is not None}


COMPARED = ("state", "branches", "post", "assignee", "is_open", "digest", "seq", "head",
            "parent_id", "opened_by", "opened_at")


def differences(stored: Ticket, replayed: Ticket) -> list[str]:
    """How a stored ticket differs from its replay, one line per attribute."""
    found = [f"{name} is {getattr(stored, name)!r}, its journal says "
             f"{getattr(replayed, name)!r}"
             for name in COMPARED if getattr(stored, name) != getattr(replayed, name)]
    data, expected = meaningful(stored.data), meaningful(replayed.data)
    for key in sorted(set(data) | set(expected)):
        if data.get(key) != expected.get(key):
            found.append(f"field {key!r} is {data.get(key)!r}, its journal says "
                         f"{expected.get(key)!r}")
    return found


Pending = tuple[str, str, datetime]
"""A pending timer as verify compares it: (kind, trigger, due time)."""


class PendingTimers:
    """The process timers a journal leaves pending, followed event by event.

    Entering a state (opening, a step or a timer that changes state, a migration) cancels
    the timers of the state left and arms those of the state entered; a timer event marks
    its own timer fired. SLA timers follow the ticket's clocks
    (:meth:`engine.time.sla.Clocks.pending`); a ``child_end`` timer is its parent's.
    """

    def __init__(self) -> None:
        self.armed: list[Pending] = []

    def follow(self, ticket: Ticket, left: str | None, event: Event,
               compiled: CompiledProcess) -> None:
        """Past one more event (``ticket`` as it left it; ``left``: the state before)."""
        if event.kind == "timer":
            due = event.details.get("due_at")
            fired = ("timer", event.trigger or "", parse_timestamp(due) if due else event.at)
            if fired in self.armed:
                self.armed.remove(fired)
        if event.kind == "migrate":
            self.armed = self._armed(compiled, ticket, ticket.state_since or event.at)
        elif left is None or (event.kind in MOVES and ticket.state != left):
            self.armed = self._armed(compiled, ticket, event.at)

    @staticmethod
    def _armed(compiled: CompiledProcess, ticket: Ticket, at: datetime) -> list[Pending]:
        return [(t.kind, t.trigger, t.due_at) for t in plan.timers_for(compiled, ticket, at)]


def timer_differences(expected: list[Pending], stored: list[Timer]) -> list[str]:
    """Pending timers missing from the store, or pending there and not by the journal."""
    found = Counter((t.kind, t.trigger, t.due_at) for t in stored if t.kind != CHILD_END)
    wanted = Counter(expected)
    lines = [f"a pending {_kind(kind)} timer {trigger!r} due {due.isoformat()} is missing "
             "(deleted or marked done outside the product)"
             for (kind, trigger, due), count in sorted((wanted - found).items())
             for _ in range(count)]
    lines += [f"a pending {_kind(kind)} timer {trigger!r} due {due.isoformat()} is not one its "
              "journal arms (inserted outside the product)"
              for (kind, trigger, due), count in sorted((found - wanted).items())
              for _ in range(count)]
    return lines


def _kind(kind: str) -> str:
    return "process" if kind == "timer" else kind
