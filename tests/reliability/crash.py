"""Crash safety: processes firing transitions and timers, killed with SIGKILL at random.

A campaign runs rounds. Each round forks agent processes (opening tickets, firing triggers,
recording remarks through the Desk) and worker processes (``ticketflow worker``'s loop, and
one that acknowledges each timer it fires), lets each run for its own random time once it
has opened the desk (a loaded machine's slow start must not eat the time it has to work:
counted from the fork, most children of a round at a load average of 15 died before their
first command), and kills it with SIGKILL — mid-transaction as often as not; agents also
kill themselves now and then between a change's last write and its COMMIT. Each child
appends every acknowledged command (after the desk call returned) to its ``*.ack`` file and
fsyncs it. When every child of the round is dead, the database is opened afresh and checked
(:func:`tests.reliability.world.check_desk`, which runs ``audit verify`` too, and
:func:`~tests.reliability.world.missing_acks`); the next round restarts the children.

Run a bigger campaign by hand::

    python -m tests.reliability.crash --db sqlite:////tmp/crash.db --kills 500
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.core.errors import Conflict, GuardFailed, InvalidTrigger, ServiceError
from engine.core.model import TicketQuery
from engine.desk.workers import TimerWorker
from tests.reliability.world import (
    AGENTS,
    AckLog,
    check_desk,
    missing_acks,
    opened,
    prepare,
    read_acks,
)
from tui.wiring import UNAVAILABLE, open_workspace

KILLS_ENV = "TICKETFLOW_KILLS"
NEXT = {"new": ["take"], "working": ["park", "finish", "finish"], "parked": ["wake"]}
"""What an agent tries on a ticket in each state of the crash loop."""
EXPECTED = (Conflict, InvalidTrigger, GuardFailed)
"""Refusals that are part of the game: another process moved the ticket first."""
LEASE = timedelta(seconds=2)
SUICIDE = 0.03
"""How often an agent kills itself inside a transaction, after its writes, before COMMIT."""
FAMILY_SHARE = 0.3
"""How often an agent works on parents and the children they start."""
BETWEEN = 0.5
"""How often an agent kills itself after a child's end committed, before its parent's step."""
READY_TIMEOUT = 120.0
"""Seconds a child may take to open the desk; one that has not by then is killed anyway."""


# -- the children ------------------------------------------------------------------------

def _ready(ready: Any) -> None:
    """Tell the harness this child has opened the desk: its lifetime starts now."""
    if not ready.value:
        ready.value = time.monotonic()  # one clock for every process of the machine


def agent(url: str, name: str, directory: Path, seed: int, ready: Any) -> None:
    """Open, fire and remark on tickets until killed; ack each committed command."""
    rng = random.Random(seed)
    log = AckLog(directory / f"{name}-{os.getpid()}.ack")
    with opened(url) as workspace:
        desk, me = workspace.desk, workspace.store.get_account(name)
        _crash_inside_transactions(workspace.store, rng)
        _crash_between_child_and_parent(desk, rng, directory)
        recent: list[int] = [t.id for t in desk.tickets(TicketQuery(process="crash", limit=30,
                                                                   descending=True))]
        _ready(ready)
        while True:
            if rng.random() < FAMILY_SHARE:
                family_step(desk, me, rng, log)
            else:
                step(desk, me, recent, rng, log, summary=f"from {name}",
                     note=f"{name} was here")


def family_step(desk: Any, me: Any, rng: random.Random, log: AckLog) -> None:
    """Open a parent and split it (its step starts a child), or close a waiting child:
    the child's end reaches its parent through a due timer armed in the same transaction."""
    children = desk.tickets(TicketQuery(process="child", is_open=True, limit=20))
    try:
        if children and rng.random() < 0.6:
            ticket = desk.fire(rng.choice(children).id, "close", me)
            log.write(op="close", ticket=ticket.id, seq=ticket.seq, hash=ticket.head)
            return
        parents = desk.tickets(TicketQuery(process="parent", state="work", limit=20))
        if not parents or rng.random() < 0.3:
            parent = desk.open("parent", me, {"summary": "family"})
            log.write(op="open", ticket=parent.id, seq=parent.seq, hash=parent.head)
            return
        ticket = desk.fire(rng.choice(parents).id, "split", me)
        log.write(op="split", ticket=ticket.id, seq=ticket.seq, hash=ticket.head)
    except EXPECTED:
        pass


def step(desk: Any, me: Any, recent: list[int], rng: random.Random, log: AckLog, *,
         summary: str, note: str) -> None:
    """One agent command, acked once committed: open a ticket, remark on one of the recent
    ones, or fire its next trigger (refusals a race explains are expected)."""
    if not recent or rng.random() < 0.15:
        ticket = desk.open("crash", me, {"summary": summary})
        recent.append(ticket.id)
        log.write(op="open", ticket=ticket.id, seq=ticket.seq, hash=ticket.head)
        return
    ticket_id = rng.choice(recent[-30:])
    try:
        ticket = desk.ticket(ticket_id)
        if not ticket.is_open:
            recent.remove(ticket_id)
        elif rng.random() < 0.1:
            ticket = desk.record(ticket_id, "remark", me, note=note)
            log.write(op="remark", ticket=ticket_id, seq=ticket.seq, hash=ticket.head)
        else:
            trigger = rng.choice(NEXT[ticket.state])
            ticket = desk.fire(ticket_id, trigger, me)
            log.write(op=trigger, ticket=ticket_id, seq=ticket.seq, hash=ticket.head)
    except EXPECTED:
        pass


def _crash_inside_transactions(store: Any, rng: random.Random) -> None:
    """Now and then SIGKILL this process between a change's last write and its COMMIT."""
    hot = store._hot
    insert_events = hot._insert_events

    def then_maybe_die(cursor: Any, events: list[Any]) -> None:
        insert_events(cursor, events)
        if rng.random() < SUICIDE:
            os.kill(os.getpid(), signal.SIGKILL)

    hot._insert_events = then_maybe_die


def _crash_between_child_and_parent(desk: Any, rng: random.Random, directory: Path
                                    ) -> None:
    """Now and then SIGKILL this process after a child's closing step committed, before
    the parent's ``on_end`` step (which then waits as a due timer for the workers)."""
    bring_end = desk._bring_end

    def maybe_die_first(ended: Any) -> None:
        if rng.random() < BETWEEN:
            (directory / f"between-{os.getpid()}").touch()
            os.kill(os.getpid(), signal.SIGKILL)
        bring_end(ended)

    desk._bring_end = maybe_die_first


def timer_worker(url: str, name: str, directory: Path, seed: int, ready: Any) -> None:
    """The production loop of ``ticketflow worker`` (engine.desk.workers), with a short lease."""
    def connect() -> Any:
        desk = open_workspace(url).desk
        _ready(ready)
        return desk

    TimerWorker(connect=connect, name=name, transient=UNAVAILABLE, batch=20, interval=0.02,
                lease=LEASE, report=lambda message: None).run()


def worker(url: str, name: str, directory: Path, seed: int, ready: Any) -> None:
    """Claim due timers and fire them until killed; ack each timer handled."""
    log = AckLog(directory / f"{name}-{os.getpid()}.ack")
    with opened(url) as workspace:
        desk, store = workspace.desk, workspace.store
        _ready(ready)
        while True:
            claimed = store.claim_due_timers(desk.clock.now(), 20, worker=name, lease=LEASE)
            for timer in claimed:
                if desk.fire_timer(timer):
                    log.write(op="timer", timer=timer.id)
            if not claimed:
                time.sleep(0.02)


def _child(role: Any, url: str, name: str, directory: Path, seed: int, ready: Any) -> None:
    """Run a child; anything unexpected is written where the harness finds it."""
    try:
        role(url, name, directory, seed, ready)
    except ServiceError as exc:
        _failed(directory, name, f"{type(exc).__name__}: {exc}")
    except BaseException:
        _failed(directory, name, traceback.format_exc())


def _failed(directory: Path, name: str, text: str) -> None:
    (directory / f"{name}-{os.getpid()}.failed").write_text(text)
    os._exit(1)


# -- the harness ----------------------------------------------------------------------------

@dataclass
class Campaign:
    """What a campaign did: kills, rounds, acknowledged commands, problems found."""

    kills: int = 0
    """Children killed, by the harness at a random moment or by themselves mid-commit."""
    inside: int = 0
    """Of those, how many killed themselves inside a transaction (before its COMMIT)."""
    rounds: int = 0
    acks: int = 0
    tickets: int = 0
    events: int = 0
    timers_fired: int = 0
    between: int = 0
    """Agents killed after a child's end committed, before its parent's step."""
    problems: list[str] = field(default_factory=list)


def run_campaign(url: str, directory: Path, *, kills: int, agents: int = 2, workers: int = 1,
                 seed: int = 0, lifetime: tuple[float, float] = (0.3, 1.5)) -> Campaign:
    """Kill children ``kills`` times, checking the whole desk after each round."""
    rng = random.Random(seed)
    context = multiprocessing.get_context("fork")
    prepare(url).workspace.store.close()
    campaign = Campaign()
    while campaign.kills < kills and not campaign.problems:
        campaign.rounds += 1
        children = [(agent, AGENTS[i % len(AGENTS)]) for i in range(agents)]
        children += [(worker if i % 2 else timer_worker, f"worker{i + 1}")
                     for i in range(workers)]
        started = []
        for role, name in children:
            ready = context.Value("d", 0.0)
            process = context.Process(target=_child, daemon=True, args=(
                role, url, name, directory, rng.randrange(2**32), ready))
            process.start()
            started.append((rng.uniform(*lifetime), ready, process))
        killed, inside = _kill_all(started)
        campaign.kills += killed
        campaign.inside += inside
        campaign.problems += _failures(directory)
        campaign.problems += _check(url, directory, campaign)
        campaign.between = len(list(directory.glob("between-*")))
    return campaign


def _kill_all(started: list[tuple[float, Any, Any]]) -> tuple[int, int]:
    """SIGKILL each child its lifetime after it opened the desk (READY_TIMEOUT after the
    round began if it never did); (children killed, of them by themselves)."""
    kills = inside = 0
    give_up = time.monotonic() + READY_TIMEOUT
    waiting = list(started)
    while waiting:
        for item in list(waiting):
            lifetime, ready, process = item
            due = ready.value + lifetime if ready.value else give_up
            if process.is_alive() and time.monotonic() < due:
                continue
            waiting.remove(item)
            if process.is_alive():
                os.kill(process.pid, signal.SIGKILL)
                kills += 1
            elif process.exitcode == -signal.SIGKILL:
                kills += 1  # it killed itself mid-commit
                inside += 1
            process.join()
        time.sleep(0.005)
    return kills, inside


def _failures(directory: Path) -> list[str]:
    return [f"{path.stem} failed: {path.read_text()}" for path in directory.glob("*.failed")]


def _check(url: str, directory: Path, campaign: Campaign) -> list[str]:
    with opened(url) as workspace:
        store = workspace.store
        acks = read_acks(directory)
        campaign.acks = len(acks)
        problems = check_desk(store) + missing_acks(store, acks)  # type: ignore[arg-type]
        campaign.tickets = store.count_tickets(TicketQuery(is_open=None))
        events = list(store.iter_events())
        campaign.events = len(events)
        campaign.timers_fired = sum(1 for e in events if e.kind in ("timer", "sla"))
    return [f"after round {campaign.rounds}: {p}" for p in problems]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="an empty database URL")
    parser.add_argument("--kills", type=int, default=int(os.environ.get(KILLS_ENV, 50)))
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        result = run_campaign(args.db, Path(directory), kills=args.kills, agents=args.agents,
                              workers=args.workers, seed=args.seed)
    seconds = time.perf_counter() - started
    print(f"{result.kills} kills ({result.inside} inside a transaction) in {result.rounds} "
          f"rounds ({result.between} between a child's end and its parent's step), "
          f"{seconds:.1f} s: {result.acks} acknowledged commands, "
          f"{result.tickets} tickets, {result.events} events ({result.timers_fired} by "
          f"timers), {len(result.problems)} problems")
    for problem in result.problems:
        print(problem)
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
