"""Several processes firing on the same tickets: one winner per version, intact journals.

Contention does not depend on the machine's load: every process reads the first ticket and
waits at a barrier until all have, so that all write from one version and all but one lose.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter
from typing import Any

import pytest

from engine.core.errors import Conflict
from engine.core.model import TicketQuery
from storage import open_store
from tests.storage.samples import chain_problems, opening, step, ticket, version

PROCESSES = 4
ROUNDS = 40
TICKETS = 2


def fire_repeatedly(url: str, ticket_ids: list[int], seed: int, start: Any, results: Any
                    ) -> None:
    """Read-modify-write each ticket ROUNDS times; report (ticket, version, won) per try."""
    chance = random.Random(seed)
    outcomes = []
    with open_store(url) as store:
        for attempt in range(ROUNDS):
            current = store.load_ticket(chance.choice(ticket_ids) if attempt else ticket_ids[0])
            if attempt == 0:  # everyone has read the same version before anyone writes
                start.wait(timeout=120)
            count = current.data["count"] + 1
            change = step(current, dest=f"s{count}", data={**current.data, "count": count})
            try:
                store.apply(change)
                outcomes.append((current.id, current.version, True))
            except Conflict:
                outcomes.append((current.id, current.version, False))
    results.put(outcomes)


@pytest.mark.slow
def test_one_winner_per_version_and_contiguous_journals(shared_store_url: str) -> None:
    with open_store(shared_store_url) as store:
        store.save_version(version())
        ids = [store.open_ticket(opening(ticket(data={"count": 0}))).id for _ in range(TICKETS)]
    context = multiprocessing.get_context("forkserver")  # clean children, imports paid once
    context.set_forkserver_preload([__name__])
    start, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=fire_repeatedly,
                               args=(shared_store_url, ids, seed, start, results))
               for seed in range(PROCESSES)]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=120) for _ in workers]
    outcomes = [row for rows in reports for row in rows]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    wins = Counter((tid, version) for tid, version, won in outcomes if won)
    assert set(wins.values()) == {1}
    assert len(outcomes) == PROCESSES * ROUNDS
    firsts = [rows[0] for rows in reports]  # all wrote from one version at once
    assert len({(tid, version) for tid, version, _ in firsts}) == 1
    assert sorted(won for _, _, won in firsts) == [False] * (PROCESSES - 1) + [True]
    with open_store(shared_store_url) as store:
        for tid in ids:
            stored = store.load_ticket(tid)
            won = sorted(v for t, v in wins if t == tid)
            assert won == list(range(1, stored.version))
            assert stored.data["count"] == len(won)
            journal = store.events(tid)
            assert chain_problems(journal) == []
            assert len(journal) == 1 + len(won)
        assert store.count_tickets(TicketQuery()) == TICKETS
