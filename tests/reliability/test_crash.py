"""Processes firing transitions and timers, killed with SIGKILL at random, lose nothing.

After every round of kills: every hash chain verifies, every ticket agrees with its
journal, seqs are contiguous (no event lost or duplicated), timers are neither lost nor
fired twice, every command a child acknowledged is in the database, and no parent waits for
ever on a child that ended (agents are also killed between a child's end and its parent's
step).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.crash import KILLS_ENV, run_campaign

KILLS = int(os.environ.get(KILLS_ENV, 50))


@pytest.mark.slow  # a campaign of kills
def test_sigkill_loses_nothing(shared_store_url: str, tmp_path: Path) -> None:
    campaign = run_campaign(shared_store_url, tmp_path, kills=KILLS, agents=3, workers=2,
                            seed=KILLS)
    assert campaign.problems == []
    assert campaign.kills >= KILLS
    assert campaign.acks > campaign.rounds  # the children got work done between kills
    assert campaign.timers_fired > 0
    assert campaign.between > 0  # a child's end committed, its parent's step not yet
