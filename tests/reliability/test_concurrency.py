"""Eight processes firing conflicting triggers on the same tickets through the Desk.

Each process acts as its own agent (a1..a8) on three tickets of the crash loop
(take → park → wake → park → ...), always firing the trigger the state it read allows.

- **As the terminal app fires** (``expected_version`` = the version the agent saw): for every
  ticket and version exactly one process wins; every other process that saw that version
  gets ``Conflict`` — nobody can get anything else, because the trigger it fires is valid
  in the state it saw, and nobody loses at the ticket's final version.
- **As the command line fires** (no expected version: the desk loads the ticket itself):
  a loser that loaded the ticket before the winner committed gets ``Conflict`` (the
  optimistic version check in the UPDATE); a loser that loaded it after the winner
  committed finds the state moved on and gets ``InvalidTrigger``. Both are counted; each
  process's wins equal the journal events it is the actor of.

Either way every journal verifies and the ticket rows agree with them.

Contention does not depend on the machine's load: every process reads the first ticket,
then waits at a barrier until all have, so that all fire on the same version and all but
one lose (on a loaded machine the later attempts may happen to run one after another).
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from typing import Any

from engine.core.errors import Conflict, InvalidTrigger
from tests.reliability.world import AGENTS, check_desk, opened, prepare

PROCESSES = 8
ATTEMPTS = 20
TICKETS = 3
NEXT = {"new": "take", "working": "park", "parked": "wake"}


def contend(url: str, name: str, ticket_ids: list[int], expect: bool, start: Any,
            results: Any) -> None:
    """Fire ATTEMPTS times on the tickets in turn; report (ticket, version, outcome)."""
    outcomes = []
    try:
        with opened(url) as workspace:
            desk, me = workspace.desk, workspace.store.get_account(name)
            for attempt in range(ATTEMPTS):
                ticket = desk.ticket(ticket_ids[attempt % len(ticket_ids)])
                if attempt == 0:  # everyone has read the first ticket before anyone fires
                    start.wait(timeout=120)
                try:
                    desk.fire(ticket.id, NEXT[ticket.state], me,
                              expected_version=ticket.version if expect else None)
                    outcome = "won"
                except Conflict:
                    outcome = "conflict"
                except InvalidTrigger:
                    outcome = "invalid_trigger"
                outcomes.append((ticket.id, ticket.version, outcome))
    except BaseException as exc:
        outcomes.append((0, 0, f"{type(exc).__name__}: {exc}"))
    results.put((name, outcomes))


def run_contenders(url: str, expect: bool) -> dict[str, list[Any]]:
    setup = prepare(url)
    agent = setup.people["a1"]
    ids = [setup.workspace.desk.open("crash", agent, {"summary": f"t{n}"}).id
           for n in range(TICKETS)]
    setup.workspace.store.close()
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(PROCESSES), context.Queue()
    children = [context.Process(target=contend, args=(url, name, ids, expect, start, results))
                for name in AGENTS[:PROCESSES]]
    for child in children:
        child.start()
    reports = dict(results.get(timeout=180) for _ in children)
    for child in children:
        child.join(timeout=30)
        assert child.exitcode == 0
    return reports


def journal_wins(url: str) -> tuple[Counter[str], list[str], dict[int, int]]:
    """Fire events per actor, the desk's problems, and each ticket's version."""
    with opened(url) as workspace:
        store: Any = workspace.store
        actors = Counter(e.actor for e in store.iter_events() if e.kind == "fire")
        versions = {t: store.load_ticket(t).version for t in range(1, TICKETS + 1)}
        return actors, check_desk(store), versions


def test_one_winner_per_version_every_loser_gets_conflict(shared_store_url: str) -> None:
    reports = run_contenders(shared_store_url, expect=True)
    outcomes = [row for rows in reports.values() for row in rows]
    assert {outcome for _, _, outcome in outcomes} <= {"won", "conflict"}, outcomes
    actors, problems, versions = journal_wins(shared_store_url)
    assert problems == []
    by_version = Counter((t, v) for t, v, outcome in outcomes if outcome == "won")
    tried = {(t, v) for t, v, _ in outcomes}
    for ticket, version in tried:
        if version < versions[ticket]:
            assert by_version[(ticket, version)] == 1, (ticket, version)
        else:  # the final version: nobody moved it, so nobody can have lost to anyone
            assert not any(t == ticket and v == version and o == "conflict"
                           for t, v, o in outcomes)
    firsts = [rows[0] for rows in reports.values()]  # all fired on one version at once
    assert sorted(outcome for _, _, outcome in firsts) == ["conflict"] * (PROCESSES - 1) + [
        "won"]
    assert len({(ticket, version) for ticket, version, _ in firsts}) == 1
    for name, rows in reports.items():
        assert actors[name] == sum(1 for _, _, o in rows if o == "won")
    assert sum(versions.values()) - TICKETS == sum(actors.values())


def test_blind_firing_losers_get_conflict_or_invalid_trigger(shared_store_url: str) -> None:
    reports = run_contenders(shared_store_url, expect=False)
    outcomes = [row for rows in reports.values() for row in rows]
    counts = Counter(outcome for _, _, outcome in outcomes)
    assert set(counts) <= {"won", "conflict", "invalid_trigger"}, outcomes
    actors, problems, versions = journal_wins(shared_store_url)
    assert problems == []
    for name, rows in reports.items():
        assert actors[name] == sum(1 for _, _, o in rows if o == "won"), name
    assert counts["won"] == sum(versions.values()) - TICKETS
    assert counts["won"] + counts["conflict"] + counts["invalid_trigger"] == \
        PROCESSES * ATTEMPTS
    firsts = [rows[0][2] for rows in reports.values()]  # all fired on one version at once
    assert firsts.count("won") == 1 and set(firsts) <= {"won", "conflict", "invalid_trigger"}
