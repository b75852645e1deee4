"""Timer workers: several processes fire every due timer exactly once, in each ticket's due
order; a worker waits and retries while the database is unavailable; ``ticketflow worker``."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.core.errors import Conflict
from engine.core.model import TicketQuery
from engine.desk.desk import Desk
from engine.desk.workers import Backoff, TimerWorker
from engine.process.load import load_process
from engine.time.clock import VirtualClock
from tests.time.conftest import PASSWORD, ROOT
from tui.cli import run
from tui.wiring import UNAVAILABLE, open_workspace

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORKERS = 4
TICKETS = 150
TIMELINE = [None, "receive", "sla_warning", "sla_breach", "expire"]
"""Each mini ticket's journal: opened, received, then its three timers in due order."""


def desk_with_timers(url: str, tickets: int, start: datetime = T0) -> Desk:
    """Tickets of the mini process in 'received': an SLA warning, a breach and an expiry."""
    workspace = open_workspace(url, clock=VirtualClock(start))
    root = workspace.accounts.add(None, username="root", password=PASSWORD, roles=["admin"],
                                  post=None)
    ann = workspace.accounts.add(root, username="ann", password=PASSWORD, roles=["agent"],
                                 post="service_desk")
    workspace.desk.deploy([load_process(ROOT / "tests/flows/mini.yaml")], root)
    for number in range(tickets):
        ticket = workspace.desk.open("mini", ann, {"summary": f"fault {number}"})
        workspace.desk.fire(ticket.id, "receive", ann)
    return workspace.desk


def work(url: str, name: str, results: Any) -> None:
    """One worker process: fire what is due two days later, then report how many."""
    try:
        desk = open_workspace(url, clock=VirtualClock(T0 + timedelta(days=2))).desk
        worker = TimerWorker(connect=lambda: desk, name=name, transient=UNAVAILABLE,
                             batch=20, sleep=lambda seconds: None, report=lambda text: None)
        results.put((name, worker.run(once=True)))
    except BaseException as exc:
        results.put((name, f"{type(exc).__name__}: {exc}"))


def test_four_worker_processes_fire_every_timer_once_in_due_order(shared_store_url: str
                                                                  ) -> None:
    desk = desk_with_timers(shared_store_url, TICKETS)
    desk.store.close()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    children = [context.Process(target=work, args=(shared_store_url, f"w{n}", results))
                for n in range(WORKERS)]
    for child in children:
        child.start()
    handled = dict(results.get(timeout=300) for _ in children)
    for child in children:
        child.join(timeout=30)
    assert all(isinstance(count, int) for count in handled.values()), handled
    assert sum(handled.values()) == TICKETS * 3
    check = open_workspace(shared_store_url).desk
    journals: dict[int, list[str | None]] = {}
    for event in check.store.iter_events():
        journals.setdefault(event.ticket_id, []).append(event.trigger)
    assert Counter(tuple(j) for j in journals.values()) == {tuple(TIMELINE): TICKETS}
    assert all(check.store.pending_timers(ticket_id) == [] for ticket_id in journals)


def complain(url: str, ids: list[int], results: Any) -> None:
    """An agent's process: a complaint on every ticket while the workers fire, so that
    batches meet tickets changed after the worker read them."""
    try:
        workspace = open_workspace(url, clock=VirtualClock(T0 + timedelta(days=2)))
        ann = workspace.accounts.login("ann", PASSWORD)
        for ticket_id in ids:
            for _ in range(3):  # a conflict with a worker: read again and retry
                try:
                    workspace.desk.record(ticket_id, "complaint", ann, note="still broken")
                    break
                except Conflict:
                    continue
        results.put(("agent", len(ids)))
    except BaseException as exc:
        results.put(("agent", f"{type(exc).__name__}: {exc}"))


def test_workers_firing_in_batches_retry_alone_what_an_agent_changed_meanwhile(
        shared_store_url: str) -> None:
    """Two worker processes fire batches while an agent's process changes the same tickets:
    a firing whose ticket moved on is fired again alone, never lost, never twice."""
    desk = desk_with_timers(shared_store_url, TICKETS)
    ids = [t.id for t in desk.store.list_tickets(TicketQuery(limit=TICKETS))]
    desk.store.close()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    children = [context.Process(target=work, args=(shared_store_url, f"w{n}", results))
                for n in range(2)]
    children.append(context.Process(target=complain, args=(shared_store_url, ids, results)))
    for child in children:
        child.start()
    handled = dict(results.get(timeout=300) for _ in children)
    for child in children:
        child.join(timeout=30)
    assert all(isinstance(count, int) for count in handled.values()), handled
    assert handled["w0"] + handled["w1"] == TICKETS * 3
    check = open_workspace(shared_store_url).desk
    journals: dict[int, list[str | None]] = {}
    for event in check.store.iter_events():
        journals.setdefault(event.ticket_id, []).append(event.trigger)
    assert Counter(tuple(t for t in j if t != "complaint") for j in journals.values()) == {
        tuple(TIMELINE): TICKETS}
    assert all(j.count("complaint") == 1 for j in journals.values())
    assert all(check.store.pending_timers(ticket_id) == [] for ticket_id in journals)


def test_overdue_timers_record_their_due_time_and_firing_time(tmp_path: Path) -> None:
    desk = desk_with_timers(f"sqlite:///{tmp_path / 'desk.db'}", 1)
    late = open_workspace(f"sqlite:///{tmp_path / 'desk.db'}",
                          clock=VirtualClock(T0 + timedelta(days=5))).desk
    TimerWorker(connect=lambda: late, name="w", transient=UNAVAILABLE,
                sleep=lambda seconds: None, report=lambda text: None).run(once=True)
    fired = [e for e in desk.history(1) if e.details.get("due_at")]
    assert [(e.trigger, e.at) for e in fired] == [
        ("sla_warning", T0 + timedelta(days=5)), ("sla_breach", T0 + timedelta(days=5)),
        ("expire", T0 + timedelta(days=5))]
    assert [e.details["due_at"] for e in fired] == [
        (T0 + delay).isoformat() for delay in (timedelta(minutes=45), timedelta(hours=1),
                                               timedelta(days=1))]


def test_a_worker_waits_longer_each_time_the_database_is_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "not yet"
    url = f"sqlite:///{folder / 'desk.db'}"
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            folder.mkdir()  # the volume comes back
            desk_with_timers(url, 2)

    worker = TimerWorker(connect=lambda: open_workspace(url, clock=VirtualClock(
        T0 + timedelta(days=2))).desk, name="w", transient=UNAVAILABLE,
        backoff=Backoff(first=0.5, ceiling=1.5), sleep=sleep, report=lambda text: None)
    assert worker.run(once=True) == 6
    assert waits == [0.5, 1.0, 1.5]


def test_a_worker_gives_up_after_its_attempts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'desk.db'}"
    reports: list[str] = []
    worker = TimerWorker(connect=lambda: open_workspace(url).desk, name="w",
                         transient=UNAVAILABLE, sleep=lambda seconds: None,
                         report=reports.append)
    with pytest.raises(UNAVAILABLE):
        worker.run(once=True, attempts=3)
    assert len(reports) == 2 and "retrying in 2 s" in reports[1]


def test_the_worker_command_fires_what_is_due_and_stops_with_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    desk_with_timers(url, 3, start=datetime(2020, 1, 6, 9, 0, tzinfo=UTC))  # long overdue
    assert run(["worker", "--once", "--db", url, "--name", "w1", "--json"]) == 0
    assert '"handled": 9' in capsys.readouterr().out
    assert run(["worker", "--once", "--db", url, "--name", "w1"]) == 0
    assert capsys.readouterr().out.strip() == "worker w1: 0 timer(s) handled"
