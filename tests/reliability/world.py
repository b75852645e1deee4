"""A desk for the reliability harnesses, and the checks run on it after every fault.

:func:`prepare` builds a database with an admin, eight agents at the post ``desk`` and the
``crash`` loop process (``flows/crash.yaml`` here) deployed. :func:`check_desk` reads the
whole database back and lists every way it is inconsistent: a broken hash chain, a seq
gap or duplicate, a ticket row that disagrees with its journal, a step that was not legal
(``audit verify``), a timer left pending in a state the ticket left, a timed state without
its timer, a timer fired without its event (or twice), an event of a ticket that does not
exist. :func:`missing_acks` lists the
acknowledged commands (lines the children wrote after the desk call returned) that the
database does not hold.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.audit.audit import Audit
from engine.core.journal import GENESIS, Event, compute_hash
from engine.core.model import Account, Ticket, TicketQuery
from engine.process.load import load_process, parse_process
from engine.process.spec import ProcessSpec
from engine.time.clock import Clock, SystemClock
from storage import SqlStore
from tui.wiring import Workspace, open_workspace

HERE = Path(__file__).resolve().parent
CRASH_FLOW = HERE / "flows" / "crash.yaml"
FAMILY = HERE.parent / "flows" / "family"
"""A parent that starts a child and waits for its end (``on_end``)."""
PASSWORD = "Str0ng-pass"
AGENTS = tuple(f"a{number}" for number in range(1, 9))
TIMED_STATES = {"parked", "working"}
"""States of the crash loop that arm a process timer on entry."""
TIMER_EVENT_KINDS = ("timer", "sla")
"""Journal kinds of the events a fired timer writes (a process timer, an SLA alarm)."""


@dataclass
class Setup:
    """What :func:`prepare` made: the workspace, its accounts by name."""

    workspace: Workspace
    people: dict[str, Account]


def prepare(url: str, *, clock: Clock | None = None) -> Setup:
    """A desk at ``url`` with root, agents a1..a8 (post desk) and the crash loop deployed."""
    workspace = open_workspace(url, clock=clock or SystemClock())
    root = workspace.accounts.add(None, username="root", password=PASSWORD, roles=["admin"],
                                  post=None)
    people = {"root": root}
    for name in AGENTS:
        people[name] = workspace.accounts.add(root, username=name, password=PASSWORD,
                                              roles=["agent"], post="desk")
    workspace.desk.deploy([load_process(CRASH_FLOW),
                           *(load_process(path) for path in sorted(FAMILY.glob("*.yaml")))],
                          root)
    return Setup(workspace, people)


@contextmanager
def opened(url: str, clock: Clock | None = None) -> Iterator[Workspace]:
    """A workspace on an existing desk, closed afterwards."""
    workspace = open_workspace(url, clock=clock or SystemClock())
    try:
        yield workspace
    finally:
        store = workspace.store
        if isinstance(store, SqlStore):
            store.close()


# -- acknowledged commands ----------------------------------------------------------------

class AckLog:
    """An append-only file of acknowledged commands, each line fsynced before going on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, **record: Any) -> None:
        os.write(self._fd, (json.dumps(record, sort_keys=True) + "\n").encode())
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


def read_acks(directory: Path) -> list[dict[str, Any]]:
    """Every complete acknowledgement in ``*.ack`` files (a torn last line is no ack)."""
    records = []
    for path in sorted(directory.glob("*.ack")):
        lines = path.read_bytes().split(b"\n")
        for number, line in enumerate(lines):
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                if number != len(lines) - 1:  # only the line being written may be torn
                    raise
    return records


def missing_acks(store: SqlStore, acks: list[dict[str, Any]]) -> list[str]:
    """Acknowledged events or timer firings the database does not hold."""
    problems = []
    hashes = _event_hashes(store)
    fired = _timer_status(store)
    for ack in acks:
        if "timer" in ack:
            if fired.get(ack["timer"]) != "fired":
                problems.append(f"timer {ack['timer']} acknowledged as fired is "
                                f"{fired.get(ack['timer'])!r}")
        elif hashes.get((ack["ticket"], ack["seq"])) != ack["hash"]:
            problems.append(f"acknowledged {ack['op']} of ticket {ack['ticket']} (seq "
                            f"{ack['seq']}) is not in the journal")
    return problems


def _event_hashes(store: SqlStore) -> dict[tuple[int, int], str]:
    table = _table("events")
    with store.engine.connect() as connection:
        rows = connection.execute(select(table.c.ticket_id, table.c.seq, table.c.hash))
        return {(row[0], row[1]): row[2] for row in rows}


def _timer_status(store: SqlStore) -> dict[int, str]:
    table = _table("timers")
    with store.engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(select(table.c.id,
                                                                    table.c.status))}


def _table(name: str) -> Any:
    from storage.models import metadata

    return metadata.tables[name]


# -- the consistency of the whole desk ---------------------------------------------------

def every_ticket(store: SqlStore) -> Iterator[Ticket]:
    query = TicketQuery(is_open=None, limit=1000)
    while True:
        page = store.list_tickets(query)
        yield from page
        if len(page) < query.limit:
            return
        query = replace(query, after=page[-1].id)


def check_desk(store: SqlStore) -> list[str]:
    """Every inconsistency in the database: ``audit verify``'s, then chains, replay, seqs
    and timers checked here independently of it."""
    report = Audit(store, SystemClock()).verify()
    problems = [f"audit verify: {violation}" for violation in report.violations]
    timers = _timers_by_ticket(store)
    problems += unbrought_ends(store, timers)
    journals = _journals(store)
    specs: dict[str, ProcessSpec] = {}

    def spec_of(digest: str) -> ProcessSpec:
        if digest not in specs:
            specs[digest] = parse_process(store.get_version(digest).source, "stored").spec
        return specs[digest]

    for ticket in every_ticket(store):
        journal = journals.pop(ticket.id, [])
        problems += [f"ticket {ticket.id}: {p}" for p in chain_problems(ticket, journal)]
        problems += [f"ticket {ticket.id}: {p}"
                     for p in replay_problems(ticket, journal, spec_of(ticket.digest))]
        problems += [f"ticket {ticket.id}: {p}"
                     for p in timer_problems(ticket, journal, timers.pop(ticket.id, []))]
    problems += [f"events of ticket {t}, which does not exist" for t in journals]
    problems += [f"timers of ticket {t}, which does not exist" for t in timers]
    return problems


def chain_problems(ticket: Ticket, journal: list[Event]) -> list[str]:
    """Seq gaps and duplicates, broken links and edited events, a stale head."""
    problems, previous = [], GENESIS
    for number, event in enumerate(journal, start=1):
        if event.seq != number:
            problems.append(f"event seq {event.seq} where {number} was expected")
        if event.prev_hash != previous:
            problems.append(f"seq {event.seq} does not chain to seq {event.seq - 1}")
        if compute_hash(event) != event.hash:
            problems.append(f"seq {event.seq} does not match its hash")
        previous = event.hash
    if (ticket.seq, ticket.head) != (len(journal), previous):
        problems.append(f"row says seq {ticket.seq}, journal has {len(journal)} events "
                        "(or another head)")
    return problems


def replay_problems(ticket: Ticket, journal: list[Event], spec: ProcessSpec) -> list[str]:
    """How the ticket row differs from what its journal rebuilds.

    The journal records every change of data, post and assignee and each state reached;
    the process says what it does not repeat: the start state's post, which states end.
    """
    if not journal:
        return ["no journal"]
    start = spec.states[spec.start_state()].post
    rebuilt: dict[str, Any] = {"state": None, "post": start, "assignee": None}
    data: dict[str, Any] = {}
    for event in journal:
        for key, (_, after) in event.changes.items():
            if key in ("_post", "_assignee"):
                rebuilt[key[1:]] = after
            else:
                data[key] = after
        rebuilt["state"] = event.dest or rebuilt["state"]
    found = [f"{name} {getattr(ticket, name)!r}, journal says {value!r}"
             for name, value in rebuilt.items() if getattr(ticket, name) != value]
    stored = {k: v for k, v in ticket.data.items() if v is not None}
    data = {k: v for k, v in data.items() if v is not None}
    if stored != data:
        found.append(f"data {stored!r}, journal says {data!r}")
    state = spec.states.get(rebuilt["state"])
    if ticket.is_open != (state is not None and state.kind != "end"):
        found.append(f"is_open {ticket.is_open} in state {rebuilt['state']!r}")
    return found


def timer_problems(ticket: Ticket, journal: list[Event], timers: list[dict[str, Any]]
                   ) -> list[str]:
    """Timers left armed in a state the ticket left, missing, or fired without an event."""
    problems = []
    pending = [t for t in timers if t["status"] == "pending" and t["kind"] == "timer"]
    stray = [t for t in pending if t["state"] != ticket.state]
    if stray:
        problems.append(f"pending timers for states it left: {stray}")
    if ticket.is_open and ticket.state in TIMED_STATES:
        armed = [t for t in pending if t["state"] == ticket.state]
        if len(armed) != 1:
            problems.append(f"{len(armed)} pending timers for its state {ticket.state!r}")
    fired = sum(1 for t in timers if t["status"] == "fired")
    events = Counter(e.kind for e in journal)
    if fired != sum(events[kind] for kind in TIMER_EVENT_KINDS):
        problems.append(f"{fired} timers fired but {dict(events)} events")
    return problems


def unbrought_ends(store: SqlStore, timers: dict[int, list[dict[str, Any]]]) -> list[str]:
    """Children that ended with no timer (due or fired) bringing their end to the parent."""
    brought = {row["child_id"]: row["status"] for rows in timers.values() for row in rows
               if row["kind"] == "child_end"}
    return [f"ticket {child.parent_id} may wait for ever: its child {child.id} ended and "
            f"nothing brings that to it ({brought.get(child.id)!r})"
            for child in store.list_tickets(TicketQuery(process="child", is_open=False,
                                                        limit=100_000))
            if brought.get(child.id) not in ("pending", "fired")]


def _timers_by_ticket(store: SqlStore) -> dict[int, list[dict[str, Any]]]:
    table = _table("timers")
    found: dict[int, list[dict[str, Any]]] = {}
    with store.engine.connect() as connection:
        for row in connection.execute(select(table).order_by(table.c.id)):
            found.setdefault(row.ticket_id, []).append(dict(row._mapping))
    return found


def _journals(store: SqlStore) -> dict[int, list[Event]]:
    found: dict[int, list[Event]] = {}
    for event in store.iter_events():
        found.setdefault(event.ticket_id, []).append(event)
    return found
