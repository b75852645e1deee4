"""``audit verify``: recompute every hash chain and prove every step was legal.

For each ticket the journal is streamed in seq order: each event must follow the one
before it (seq and ``prev_hash``) and match its own hash; it is then re-planned from the
ticket replayed just before it (:mod:`engine.audit.legality`); the stored ticket row must equal
the replay of its whole journal. The admin journal's chain is checked the same way, the
accounts and process versions against it, and — given the key — the chains against the
latest seal.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import groupby

import orjson

from engine.accounts.history import AccountHistory
from engine.audit import replay
from engine.audit.legality import Legality
from engine.audit.seal import SealCheck, seal_problem
from engine.core.admin_journal import DEPLOY, SEAL, AdminEntry, account_snapshot, entry_hash
from engine.core.errors import DamagedVersion, NotFound
from engine.core.journal import GENESIS, Event, canonical
from engine.core.model import Account, Ticket, TicketQuery, Timer
from engine.desk.ports import Store
from engine.process.compiler import CompiledProcess, compile_process
from engine.process.load import digest_of, parse_stored
from engine.time import sla

PAGE = 1000
LinkSide = tuple[bool, int, int, bool, datetime, str]
"""A problem link event: (on the problem, ticket, problem, linked, moment, actor)."""
LAST_ID = 2**31 - 1
"""The highest ticket id a column of SQL integers holds."""


@dataclass(frozen=True)
class Violation:
    """One thing wrong: in a ticket's journal (with its seq), or elsewhere (ticket None)."""

    ticket: int | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        if self.ticket is None and self.seq is None:
            return self.problem
        where = "admin journal" if self.ticket is None else f"ticket {self.ticket}"
        return f"{where}{f' seq {self.seq}' if self.seq is not None else ''}: {self.problem}"


@dataclass
class Report:
    """What ``verify`` checked and found."""

    tickets: int = 0
    events: int = 0
    admin_entries: int = 0
    seconds: float = 0.0
    violations: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    link_sides: list[LinkSide] = field(default_factory=list)
    """Every problem link event read (``Legality.sides``)."""
    links: dict[int, int | None] = field(default_factory=dict)
    """Ticket → the problem its journal links it to now (``Legality.links``)."""

    @property
    def ok(self) -> bool:
        return not self.violations


def link_violations(store: Store, report: Report) -> list[Violation]:
    """Each problem link journaled on both tickets, and the links stored as the journals
    say: given the link events of every journal (a whole desk's report)."""
    found = []
    sides = Counter(side[1:] for side in report.link_sides)
    for on_problem, ticket, problem, linked, at, actor in report.link_sides:
        if sides[(ticket, problem, linked, at, actor)] != 2:
            where, other = (problem, ticket) if on_problem else (ticket, problem)
            found.append(Violation(where, None, f"the {'link' if linked else 'unlink'} with "
                                                f"ticket {other} at {at.isoformat()} is not "
                                                "in that ticket's journal"))
    stored = {link.ticket_id: link.problem_id for link in store.problem_links()}
    journaled = {t: p for t, p in report.links.items() if p is not None}
    for ticket in sorted(set(stored) | set(journaled)):
        if stored.get(ticket) != journaled.get(ticket):
            found.append(Violation(ticket, None, f"the ticket is linked to problem "
                                                 f"{stored.get(ticket)}, its journal says "
                                                 f"{journaled.get(ticket)}"))
    return found


def event_hash(event: Event) -> str:
    """The hash an event should have (as :func:`engine.core.journal.compute_hash`, faster).

    orjson encodes first, several times faster than the standard encoder; for the content
    ``verify`` reads back from the database (text, integers, finite floats, booleans, null,
    lists and objects with text keys) it writes the same compact, key-sorted UTF-8 text,
    except some floats (``1e16`` for ``1e+16``) and what it cannot encode (integers beyond
    64 bits). So its hash is taken when it equals the stored one — the same bytes were
    sealed — and otherwise the standard encoder decides, exactly as when the event was
    sealed.
    """
    content = dict(vars(event))
    del content["hash"]
    content["at"] = event.at.isoformat()
    try:
        fast = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
    except TypeError:  # orjson.JSONEncodeError: a value it cannot encode
        fast = ""
    if fast == event.hash:
        return fast
    return hashlib.sha256(canonical(content)).hexdigest()


def chain_problems(entries: Iterable[tuple[int, str, str, str]]) -> Iterator[tuple[int, str]]:
    """(seq, problem) for links that break, given (seq, prev_hash, hash, recomputed)."""
    expected, previous = 1, GENESIS
    for seq, prev_hash, stored, recomputed in entries:
        problems = []
        if seq != expected:
            problems.append(f"seq {seq} follows seq {expected - 1} (events missing or "
                            "inserted)")
        if prev_hash != previous:
            problems.append("does not chain to the entry before it (deleted, inserted or "
                            "reordered)")
        if stored != recomputed:
            problems.append("its content does not match its hash (edited)")
        if problems:
            yield seq, "; ".join(problems)
        expected, previous = seq + 1, stored


def every_ticket(store: Store, query: TicketQuery | None = None) -> Iterator[Ticket]:
    """Every ticket matching a query (all by default), by id, a page at a time."""
    query = replace(query or TicketQuery(is_open=None), limit=PAGE, descending=False)
    while True:
        page = store.list_tickets(query)
        yield from page
        if len(page) < PAGE:
            return
        query = replace(query, after=page[-1].id)


def tickets_between(store: Store, first: int, last: int) -> Iterator[Ticket]:
    """The tickets whose ids lie from ``first`` to ``last``, by id."""
    for ticket in every_ticket(store, TicketQuery(is_open=None, after=first - 1)):
        if ticket.id > last:
            return
        yield ticket


class Verifier:
    """One verification run over a store."""

    def __init__(self, store: Store, key: bytes | None = None) -> None:
        self.store = store
        self.key = key
        self.report = Report()
        self._compiled: dict[str, CompiledProcess] = {}
        self.history = AccountHistory([])
        self._stored_accounts: dict[str, Account] = {}
        self._spells: dict[str, tuple[Account | None, datetime, datetime]] = {}
        """Per account, the last snapshot looked up and the span it holds for."""
        self.seal: SealCheck | None = None

    def run(self, ticket_ids: list[int] | None = None, *, span: tuple[int, int] | None = None
            ) -> Report:
        """Verify the admin journal and these tickets (all when None; ids in ``span``)."""
        started = time.perf_counter()
        self.check_shared()
        self.check_tickets(ticket_ids, span=span)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def check_shared(self) -> None:
        """The admin journal and its seals, the process versions and the accounts."""
        self._admin(self.store.admin_entries())
        self._versions()
        self._accounts()

    def for_range(self, store: Store) -> Verifier:
        """A verifier of tickets on ``store`` that takes over what this one checked once
        (:meth:`check_shared`): for the processes ``verify`` forks, which then need not
        read the admin journal and compile the processes again."""
        other = copy.copy(self)
        other.store, other.report = store, Report()
        other._spells = {}
        other.seal = SealCheck(self.seal.entry) if self.seal else None
        return other

    def check_tickets(self, ticket_ids: list[int] | None = None, *,
                      span: tuple[int, int] | None = None) -> None:
        """Every journal of these tickets (all when None; ids in ``span``)."""
        legality = Legality(self.compiled, self.store.list_versions(), self._account_at,
                            self.history.holding)
        if span is not None:
            listed = list(tickets_between(self.store, *span))
            ticket_ids = [ticket.id for ticket in listed]
            tickets: Iterator[Ticket] = iter(listed)
        else:
            tickets = self._tickets(ticket_ids)
        events = self.store.iter_events(ticket_ids)
        self._pending = self._stored_timers(ticket_ids, span)
        covered = self._journals(tickets, events, legality)
        if span is not None:
            covered = set(range(span[0], span[1] + 1))
        self._seal_heads(None if ticket_ids is None else covered)
        self.report.link_sides, self.report.links = legality.sides, legality.links
        if ticket_ids is None and span is None:  # both sides of every link are here
            self.report.violations += link_violations(self.store, self.report)
        self.report.violations.sort(key=lambda v: (v.ticket or 0, v.seq or 0))

    def _stored_timers(self, ticket_ids: list[int] | None, span: tuple[int, int] | None
                       ) -> dict[int, list[Timer]]:
        """The pending timers of these tickets (all; ids in ``span``), by ticket."""
        if span is not None:
            timers = self.store.pending_timers_between(*span)
        elif ticket_ids is None:
            timers = self.store.pending_timers_between(0, LAST_ID)
        else:
            timers = [t for ticket_id in sorted(set(ticket_ids))
                      for t in self.store.pending_timers_between(ticket_id, ticket_id)]
        return {ticket_id: list(group)
                for ticket_id, group in groupby(timers, key=lambda t: t.ticket_id)}

    def flag(self, ticket: int | None, seq: int | None, problem: str) -> None:
        self.report.violations.append(Violation(ticket, seq, problem))

    def compiled(self, digest: str) -> CompiledProcess:
        """The compiled process version of a digest, cached for the run."""
        try:
            return self._compiled[digest]
        except KeyError:
            version = self.store.get_version(digest)
            found = self._compiled[digest] = compile_process(
                parse_stored(version))
            return found

    # -- the admin journal, accounts and versions --------------------------------------

    def _admin(self, entries: list[AdminEntry]) -> None:
        self.report.admin_entries = len(entries)
        links = ((e.seq, e.prev_hash, e.hash, entry_hash(e)) for e in entries)
        for seq, problem in chain_problems(links):
            self.flag(None, seq, problem)
        self.history = AccountHistory(entries)
        self._spells.clear()
        self._deployed = {e.details.get("digest") for e in entries if e.kind == DEPLOY}
        self._check_seals(entries)

    def _check_seals(self, entries: list[AdminEntry]) -> None:
        seals = [entry for entry in entries if entry.kind == SEAL]
        if not seals and self.key is None:
            self.report.notes.append("no seal yet: run `ticketflow audit seal`")
            return
        if self.key is None:
            self.report.notes.append(f"{len(seals)} seal(s) not checked: no seal key given")
            return
        usable = []
        for entry in seals:
            problem = seal_problem(entry, self.key)
            if problem == "made with another key":
                self.report.notes.append(f"seal at admin seq {entry.seq} was {problem}")
            elif problem:
                self.flag(None, entry.seq, f"seal: {problem}")
            else:
                usable.append(entry)
        if usable:
            self.seal = SealCheck(usable[-1])
            self._sealed_admin_head(usable[-1], entries)
        else:  # the auditor holds a key: a desk with no seal of it cannot be told from one
            # whose seals were removed (and the admin journal rechained)
            self.flag(None, None, "no seal made with this key is in the admin journal: none "
                                  "was made yet, or every one was removed")

    def _sealed_admin_head(self, seal: AdminEntry, entries: list[AdminEntry]) -> None:
        seq, head = seal.details["admin"]
        if seq and (len(entries) < seq or entries[seq - 1].hash != head):
            self.flag(None, seq, f"differs from the seal made at admin seq {seal.seq} "
                                 "(the admin journal was rewritten)")

    def _versions(self) -> None:
        for version in self.store.list_versions():
            where = f"process {version.name} version {version.number}"
            if digest_of(version.source) != version.digest:
                self.flag(None, None, f"{where}: its source does not match its digest")
            if version.digest not in self._deployed:
                self.flag(None, None, f"{where}: no deploy entry in the admin journal")

    def _accounts(self) -> None:
        for account in self.store.list_accounts():
            self._stored_accounts[account.username] = account
            journaled = self.history.latest(account.username)
            if journaled is None:
                self.flag(None, None, f"account {account.username!r} has no record in the "
                                      "admin journal")
            elif account_snapshot(journaled) != account_snapshot(account):
                self.flag(None, None, f"account {account.username!r} differs from its last "
                                      "admin journal record (changed outside the product)")

    def _account_at(self, username: str, moment: datetime) -> Account | None:
        spell = self._spells.get(username)
        if spell is None or not spell[1] <= moment < spell[2]:
            if not self.history.knows(username):  # flagged above: no journal record
                return self._stored_accounts.get(username)
            spell = self._spells[username] = self.history.spell(username, moment)
        return spell[0]

    # -- the tickets -------------------------------------------------------------------

    def _tickets(self, ticket_ids: list[int] | None) -> Iterator[Ticket]:
        if ticket_ids is None:
            yield from every_ticket(self.store)
            return
        for ticket_id in sorted(set(ticket_ids)):
            yield self.store.load_ticket(ticket_id)

    def _journals(self, tickets: Iterator[Ticket], events: Iterable[Event],
                  legality: Legality) -> set[int]:
        covered: set[int] = set()
        ticket = next(tickets, None)
        for ticket_id, journal in groupby(events, key=lambda e: e.ticket_id):
            while ticket is not None and ticket.id < ticket_id:
                self.flag(ticket.id, None, "the ticket has no journal")
                ticket = next(tickets, None)
            stored = ticket if ticket is not None and ticket.id == ticket_id else None
            if stored is None:
                self.flag(ticket_id, None, "journal events of a ticket that does not exist")
            else:
                ticket = next(tickets, None)
            covered.add(ticket_id)
            self._journal(ticket_id, stored, list(journal), legality)
        for rest in ([ticket] if ticket else []) + list(tickets):
            self.flag(rest.id, None, "the ticket has no journal")
        return covered

    def _journal(self, ticket_id: int, stored: Ticket | None, journal: list[Event],
                 legality: Legality) -> None:
        self.report.tickets += 1
        self.report.events += len(journal)
        links = ((e.seq, e.prev_hash, e.hash, event_hash(e)) for e in journal)
        for seq, problem in chain_problems(links):
            self.flag(ticket_id, seq, problem)
        pending = replay.PendingTimers()
        replayed = self._replay(ticket_id, journal, legality, pending)
        if stored is not None and replayed is not None:
            for difference in replay.differences(stored, replayed):
                self.flag(ticket_id, None, f"the ticket row disagrees with its journal: "
                                           f"{difference}")
            self._timers(stored, pending)

    def _timers(self, stored: Ticket, pending: replay.PendingTimers) -> None:
        """The ticket's pending timers against those its journal and clocks keep armed."""
        try:
            clocks = sla.clocks_for(self.compiled(stored.digest).process)
        except (NotFound, DamagedVersion):  # flagged: the row disagrees with its journal
            return
        expected = pending.armed + [(t.kind, t.trigger, t.due_at)
                                    for t in clocks.pending(stored)]
        for difference in replay.timer_differences(expected,
                                                   self._pending.get(stored.id, [])):
            self.flag(stored.id, None, difference)

    def _replay(self, ticket_id: int, journal: list[Event], legality: Legality,
                pending: replay.PendingTimers) -> Ticket | None:
        ticket: Ticket | None = None
        sealed = self.seal.sealed_seq(ticket_id) if self.seal else 0
        for event in journal:
            try:
                for problem in legality.check(ticket, event):
                    self.flag(ticket_id, event.seq, problem)
            except DamagedVersion as exc:
                self.flag(ticket_id, event.seq, f"not checked: {exc}")
                return None
            if event.seq == sealed and self.seal:
                self.seal.observe(ticket_id, event.seq, event.hash)
            try:
                compiled = self.compiled(event.digest)
            except NotFound:
                self.flag(ticket_id, event.seq, "its process version does not exist")
                return None
            except DamagedVersion as exc:
                self.flag(ticket_id, event.seq, f"not checked: {exc}")
                return None
            left = ticket.state if ticket is not None else None
            if ticket is None:
                ticket = replay.opened(event, compiled)
            else:
                replay.apply(ticket, event, compiled)
            pending.follow(ticket, left, event, compiled)
        return ticket

    def _seal_heads(self, covered: set[int] | None) -> None:
        if self.seal is None:
            return
        for first, last in self.seal.broken(covered):
            span = f"one of tickets {first}–{last}: " if first != last else ""
            self.flag(first, None,
                      f"{span}the journal differs from the seal made at "
                      f"{self.seal.entry.at.isoformat(timespec='seconds')} (admin seq "
                      f"{self.seal.entry.seq}): a chain was rewritten or cut")
