"""A ticket's journal read for the assessment: who held it when, and what its steps meant.

One pass over a ticket's events (up to a moment) gives its :class:`Record`:

- the **stints**: each time a post held the ticket, from its arrival until it left;
- the **timed parts**: each run of an SLA clock (one per state with a ``limit``, or per
  tier of the escalation ladder) with the working time it ran on the process's calendar,
  paused in waiting states, against its limit for the ticket's data — timed the way
  :mod:`engine.time.sla` times it, and late if the journal records a breach of it;
- the **marks**: steps whose process version tags them (receive, reply, pend, complaint…);
- the **closings**: each time it reached an end state after being handled;
- the post it was left pending at, if it was pending at the end of the read.

Tags, posts, limits and calendars come from the process version each event names, so a
record rebuilt later is the same record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.core.journal import Event
from engine.core.model import ProcessVersion
from engine.process.calendars import AroundTheClock, WorkingTime, build_calendar
from engine.process.ladder import clocks_of
from engine.process.load import Process, parse_stored
from engine.process.spec import ANY

MOVES = ("fire", "timer", "migrate")
"""Event kinds that may change the ticket's state."""
STRUCTURAL = frozenset({"receive", "handled", "reply", "return", "reopen", "confirm", "pend",
                        "resume"})
"""Tags the reader interprets itself; any other tag (complaint, ...) is kept as a mark."""
BREACH = "sla_breach"
"""The trigger of the journal event (kind ``sla``) by which engine.time.sla records a breach."""


@dataclass(frozen=True, slots=True)
class Mark:
    """A tagged step: its tag, the post holding the ticket, when, and what it waited."""

    tag: str
    post: str | None
    at: datetime
    waited: timedelta | None = None
    """receive: since the ticket was opened; reply: since handling finished."""
    group: str | None = None
    """The group of the post holding the ticket (None: the post has no groups)."""


@dataclass(frozen=True, slots=True)
class Stint:
    """A post holding a ticket, from its arrival until it left the post (or the ticket ended)."""

    post: str
    start: datetime
    end: datetime | None
    """None: still held when the journal was read up to."""
    group: str | None = None
    """The group of the post that held it (the latest one named while it held it)."""


@dataclass(frozen=True, slots=True)
class Part:
    """One finished run of an SLA clock: a post's part of the work, against its limit."""

    clock: str
    post: str
    start: datetime
    end: datetime
    spent: timedelta
    """Working time the clock ran (paused time excluded)."""
    limit: timedelta
    by_timer: bool
    """Ended by a timer while the clock ran (an escalation): late whatever was spent."""
    breached: bool = False
    """The SLA journaled a breach of this clock while it ran."""
    group: str | None = None
    """The group of the post (the latest one named while the clock ran)."""

    @property
    def timely(self) -> bool:
        return self.spent <= self.limit and not self.by_timer and not self.breached


@dataclass(frozen=True, slots=True)
class Closing:
    """A ticket reaching an end state after it was handled."""

    post: str
    """The post that finished handling it (held it at its latest ``handled`` step)."""
    at: datetime
    clean: bool
    """No ``return`` and no ``reopen`` step before."""
    confirmed: bool
    """A ``confirm`` step since it was handled."""
    group: str | None = None
    """The group of that post at the ``handled`` step."""


@dataclass
class Record:
    """What the assessment needs of one ticket, read up to a moment."""

    ticket_id: int
    process: str
    marks: list[Mark] = field(default_factory=list)
    stints: list[Stint] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    closings: list[Closing] = field(default_factory=list)
    pending_post: str | None = None
    """The post the ticket was left pending at, if it was pending at the end of the read."""
    pending_group: str | None = None
    """The group of that post."""
    held: frozenset[str] = frozenset()
    """The posts that held the ticket at some moment of the period read for."""
    held_groups: frozenset[tuple[str, str | None]] = frozenset()
    """The (post, group) pairs that held the ticket at some moment of the period."""


class VersionIndex:
    """A process version's tables for reading journals: tags, posts, clocks, end states."""

    def __init__(self, process: Process) -> None:
        spec = process.spec
        self.process = process
        self.name = spec.process
        self.posts = {name: state.post for name, state in spec.states.items()}
        self.ends = {name for name, state in spec.states.items() if state.kind == "end"}
        self.runs = {name: state.sla_runs for name, state in spec.states.items()}
        self.clocks = clocks_of(spec)
        self.covering = {state: tuple(name for name, clock in self.clocks.items()
                                      if state in clock.states) for state in spec.states}
        """The clocks that time each state."""
        self.calendar: WorkingTime = build_calendar(spec.calendar)
        self.around_the_clock = isinstance(self.calendar, AroundTheClock)
        self.limits: dict[tuple[str, str], timedelta | None] = {}
        every = [name for name in spec.states if name not in self.ends]
        self.step_tags = {(t.trigger, source): tuple(t.tags) for t in spec.transitions
                          for given in t.sources for source in (every if given == ANY else [given])
                          if t.tags}
        self.event_tags = {name: tuple(event.tags) for name, event in spec.events.items()
                           if event.tags}

    def tags(self, event: Event) -> tuple[str, ...]:
        """What a journal event means for the assessment, by its version's tags."""
        if event.kind in ("fire", "timer") and not event.details.get("refused"):
            found = self.step_tags.get((event.trigger or "", event.source or ""), ())
        elif event.kind == "event":
            found = self.event_tags.get(event.trigger or "", ())
        else:
            found = ()
        extra = event.details.get("tags")
        return found + tuple(extra) if isinstance(extra, list) else found

    def limit(self, clock: str, data: dict[str, Any]) -> timedelta | None:
        """A clock's limit for a ticket's data (None: no limit), each form parsed once."""
        limit = self.clocks[clock].limit
        key = (clock, "" if isinstance(limit, str) or limit is None else str(data.get(limit.by))
               + "/".join(self.process.groups_of(data) if limit.groups else ()))
        if key not in self.limits:
            self.limits[key] = self.process.limit(limit, data)
        return self.limits[key]


_PARSED: dict[str, VersionIndex] = {}
"""Version tables by digest, shared by every report: versions are immutable."""


class Versions:
    """Process versions by digest, looked up in the journal's store once each."""

    def __init__(self, lookup: Callable[[str], ProcessVersion]) -> None:
        self.lookup = lookup
        self.seen: dict[str, VersionIndex] = {}

    def __getitem__(self, digest: str) -> VersionIndex:
        found = self.seen.get(digest) or _PARSED.get(digest)
        if found is None:  # keyed by the content's own hash: a doctored row cannot poison it
            version = self.lookup(digest)
            process = parse_stored(version)
            found = _PARSED.setdefault(process.digest, VersionIndex(process))
        self.seen[digest] = found
        return found


@dataclass
class ClockRun:
    """A running (or paused) SLA clock of the ticket being read."""

    post: str | None
    start: datetime
    spent: timedelta = timedelta(0)
    since: datetime | None = None
    """When it last started running; None while paused."""
    breached: bool = False
    group: str | None = None


class Reader:
    """Reads one ticket's events, in order, into its :class:`Record`."""

    def __init__(self, opening: Event, version: VersionIndex) -> None:
        self.state = opening.dest or ""
        self.post = version.posts.get(self.state)
        self.data: dict[str, Any] = {key: after for key, (_, after) in opening.changes.items()}
        self.opened_at = opening.at
        self.stint_start: datetime | None = opening.at if self.post else None
        self.group = version.process.group(self.post, self.data)
        self.stint_group = self.group
        self.handled_group: str | None = None
        self.clocks: dict[str, ClockRun] = {}
        self.open = self.state not in version.ends
        self.received = False
        self.handled_at: datetime | None = None
        self.handled_post: str | None = None
        self.clean, self.confirmed, self.pending = True, False, False
        self.record = Record(opening.ticket_id, version.name)
        self.branches: dict[str, tuple[str, datetime]] = {}
        """Active branch → the post holding it and since when (a stint of its own)."""
        self.start_clocks(opening.at, version)

    def step(self, event: Event, version: VersionIndex) -> None:
        """Take one more event into account."""
        changes = event.changes
        before = self.post
        after = changes["_post"][1] if "_post" in changes else before
        for key, (_, value) in changes.items():
            if key[0] != "_":
                self.data[key] = value
        if event.kind == "sla" and event.trigger == BREACH:
            self.breach(event.details.get("clock"))
        self.regroup(event.at, version.process.group(before, self.data))
        tags = version.tags(event)
        for tag in tags:
            self.mark(tag, event.at, before, after)
        if event.kind in MOVES and event.dest is not None and event.dest != self.state:
            self.move(event, version, after, "pend" in tags)
            self.regroup(event.at, version.process.group(after, self.data))
        self.post = after
        if event.kind in ("fire", "timer"):
            self.follow_branches(event, version)

    def follow_branches(self, event: Event, version: VersionIndex) -> None:
        """Parallel branches: each branch's post holds the ticket from the fork (or from
        the branch step that hands it there) until the branch is done or joined."""
        active = event.details.get("branches")
        active = active if isinstance(active, dict) else {}
        if not active and not self.branches:
            return
        for name, (post, start) in list(self.branches.items()):
            state = active.get(name)
            if state is None or state in version.ends or version.posts.get(state) != post:
                self.record.stints.append(Stint(post, start, event.at, None))
                del self.branches[name]
        for name, state in active.items():
            holder = version.posts.get(state)
            if name not in self.branches and holder and state not in version.ends:
                self.branches[name] = (holder, event.at)

    def regroup(self, at: datetime, group: str | None) -> None:
        """The post's group as the data now names it: a stint and the clocks running for the
        post take the first group named; another group begins a stint of its own."""
        self.group = group
        if group is None:
            return
        for clock in self.clocks.values():
            if clock.post == self.post:
                clock.group = group
        if self.stint_start is not None and self.post and self.stint_group not in (None, group):
            self.record.stints.append(Stint(self.post, self.stint_start, at, self.stint_group))
            self.stint_start = at
        self.stint_group = group

    def move(self, event: Event, version: VersionIndex, post: str | None, pended: bool) -> None:
        """The ticket changes state: clocks run or stop, stints end and begin."""
        dest, at = event.dest or "", event.at
        ending = dest in version.ends
        if self.stint_start is not None and self.post and (post != self.post or ending):
            self.record.stints.append(Stint(self.post, self.stint_start, at, self.stint_group))
            self.stint_start = None
        if ending and self.open:
            self.close(at)
        self.open = not ending
        if self.open and post and self.stint_start is None:
            self.stint_start, self.stint_group = at, None
        self.state, self.post, self.pending = dest, post, pended
        self.tick_clocks(event, version)
        self.start_clocks(at, version)

    def tick_clocks(self, event: Event, version: VersionIndex) -> None:
        """Settle every clock at a state change; keep, pause or finish it as sla.py does."""
        runs = version.runs.get(self.state, False)
        for name, clock in list(self.clocks.items()):
            running = clock.since is not None
            if clock.since is not None:
                clock.spent += (event.at - clock.since if version.around_the_clock else
                                version.calendar.working_between(clock.since, event.at))
            definition = version.clocks.get(name)
            covered = definition is not None and self.state in definition.states
            if definition is None or not self.open or not (covered or not runs):
                del self.clocks[name]
                self.finish_clock(name, clock, event, version, running)
            else:
                clock.since = event.at if covered and runs else None

    def breach(self, clock: object) -> None:
        """The SLA journaled a breach: the clock's part is late."""
        run = self.clocks.get(clock) if isinstance(clock, str) else None
        if run is not None:
            run.breached = True

    def start_clocks(self, at: datetime, version: VersionIndex) -> None:
        if not self.open:
            return
        runs = version.runs.get(self.state, False)
        for name in version.covering.get(self.state, ()):
            if name not in self.clocks:
                self.clocks[name] = ClockRun(self.post, at, since=at if runs else None,
                                             group=version.process.group(self.post, self.data))

    def finish_clock(self, name: str, clock: ClockRun, event: Event, version: VersionIndex,
                     running: bool) -> None:
        limit = version.limit(name, self.data) if name in version.clocks else None
        if limit is None or clock.post is None:
            return
        self.record.parts.append(Part(name, clock.post, clock.start, event.at, clock.spent,
                                      limit, running and event.kind == "timer", clock.breached,
                                      clock.group))

    def close(self, at: datetime) -> None:
        if self.handled_post is not None:
            self.record.closings.append(Closing(self.handled_post, at, self.clean,
                                                self.confirmed, self.handled_group))
        self.handled_post, self.handled_at, self.confirmed = None, None, False

    def mark(self, tag: str, at: datetime, before: str | None, after: str | None) -> None:
        """Record what a tagged step means."""
        marks, group = self.record.marks, self.group
        if tag == "receive" and not self.received:
            self.received = True
            marks.append(Mark(tag, before, at, at - self.opened_at, group))
        elif tag == "handled":
            self.handled_at, self.handled_post, self.handled_group = at, before, group
        elif tag == "reply" and self.handled_at is not None:
            marks.append(Mark(tag, before, at, at - self.handled_at, group))
            self.handled_at = None
        elif tag in ("return", "reopen"):
            self.clean = False
        elif tag == "confirm":
            self.confirmed = True
        elif tag == "pend":
            marks.append(Mark(tag, after, at, group=group))
        elif tag not in STRUCTURAL:
            marks.append(Mark(tag, before, at, group=group))

    def finish(self) -> Record:
        """The record, with the stints still running and the pending post at the end."""
        if self.stint_start is not None and self.post is not None:
            self.record.stints.append(Stint(self.post, self.stint_start, None,
                                            self.stint_group))
        self.record.stints += [Stint(post, start, None, None)
                               for post, start in self.branches.values()]
        if self.pending and self.open:
            self.record.pending_post, self.record.pending_group = self.post, self.group
        return self.record


def read_records(events: Iterable[Event], versions: Versions, *, since: datetime,
                 until: datetime) -> Iterator[Record]:
    """The records of the tickets that may count in [since, until), from events ordered by
    ticket and seq; each ticket's journal is read up to ``until`` only."""
    for ticket_events in _by_ticket(events, until):
        last = ticket_events[-1]
        if last.at < since and (last.dest or "") in versions[last.digest].ends:
            continue  # finished before the period: nothing of it counts there
        reader = Reader(ticket_events[0], versions[ticket_events[0].digest])
        for event in ticket_events[1:]:
            reader.step(event, versions[event.digest])
        record = reader.finish()
        held = [stint for stint in record.stints if stint.start < until
                and (stint.end is None or stint.end >= since)]
        record.held = frozenset(stint.post for stint in held)
        record.held_groups = frozenset((stint.post, stint.group) for stint in held)
        yield record


def _by_ticket(events: Iterable[Event], until: datetime) -> Iterator[list[Event]]:
    """Each ticket's events before ``until`` (tickets opened later are left out)."""
    current: list[Event] = []
    for event in events:
        if current and event.ticket_id != current[0].ticket_id:
            yield current
            current = []
        if event.at < until and (current or event.kind == "open"):
            current.append(event)
    if current:
        yield current
