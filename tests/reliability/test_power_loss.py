"""Power loss on a SQLite desk, simulated: no acknowledged command lost with FULL.

An agent process runs under an LD_PRELOAD shim that records every write and sync to the
database files; it is SIGKILLed at a random moment and the disks a power loss could have
left (unsynced writes lost, torn at 512-byte sectors, or kept; synced ones kept) are
rebuilt and opened (tests/reliability/powerloss/, model in disk.py). Each image must pass
``PRAGMA integrity_check``, ``audit verify`` and the desk checks, and with
``synchronous=FULL`` hold every acknowledged command. Two controls: with OFF the
simulator must lose acknowledged commands (else it proves nothing), with NORMAL it may
lose the last ones but never corrupts the desk.

Knob: ``TICKETFLOW_POWERLOSS_ROUNDS`` (kills with FULL, default 5); more with
``python -m tests.reliability.powerloss --rounds 100``.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.reliability.powerloss.campaign import ShimUnavailable, build_shim, run_campaign
from tests.reliability.powerloss.disk import Record, Trace

ROUNDS = int(os.environ.get("TICKETFLOW_POWERLOSS_ROUNDS", 5))
IMAGES = 4
LIFETIME = (0.0, 0.6)


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return build_shim(tmp_path_factory.mktemp("shim"))
    except ShimUnavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.slow  # a campaign of kills
def test_full_loses_no_acknowledged_command(shim: Path, tmp_path: Path) -> None:
    campaign = run_campaign(tmp_path, shim, rounds=ROUNDS, images=IMAGES, seed=ROUNDS,
                            lifetime=LIFETIME)
    assert campaign.problems == []
    assert campaign.rounds == ROUNDS
    assert campaign.images == ROUNDS * IMAGES
    assert campaign.acks > ROUNDS  # the agent got work done between kills
    assert campaign.syncs > campaign.rounds  # FULL synced every commit the agent made
    assert campaign.lost_acks == 0
    assert campaign.inside > 0  # killed between a commit's writes and its fsync
    assert campaign.in_flight > 0  # some kills left unsynced writes for the images to drop


@pytest.mark.slow  # a campaign of kills
def test_off_loses_acknowledged_commands(shim: Path, tmp_path: Path) -> None:
    """The negative control: with no fsync at all, the image of what was synced (the
    snapshot the round started from) lacks every command the round acknowledged."""
    campaign = run_campaign(tmp_path, shim, rounds=2, images=2, synchronous="OFF", seed=1,
                            lifetime=LIFETIME)
    assert not [p for p in campaign.problems if "child" in p or "shim" in p]
    assert campaign.syncs == 0
    assert campaign.losing_images >= campaign.rounds  # at least the synced image of each
    assert campaign.lost_acks > 0


@pytest.mark.slow  # a campaign of kills
def test_normal_loses_a_tail_but_stays_consistent(shim: Path, tmp_path: Path) -> None:
    """NORMAL syncs the WAL only at checkpoints: a power loss may take the last
    transactions, whole, and leaves a desk that verifies."""
    campaign = run_campaign(tmp_path, shim, rounds=2, images=3, synchronous="NORMAL", seed=2,
                            lifetime=LIFETIME)
    assert campaign.problems == []
    assert campaign.not_a_tail == []
    assert campaign.losing_images > 0


# -- the disk model, on hand-made logs -------------------------------------------------------

def _write(ino: int, offset: int, data: bytes) -> Record:
    return Record("W", 0, ino, offset, len(data), "", data)


def _trace(tmp_path: Path, records: list[Record]) -> Trace:
    opened = Record("O", 0, 7, 0, 0, f"{tmp_path}/f", b"")
    return Trace(tmp_path, {"f": (7, b"a" * 1024)}, [opened, *records])


def test_synced_writes_survive_and_unsynced_may_not(tmp_path: Path) -> None:
    trace = _trace(tmp_path, [_write(7, 0, b"b" * 600), Record("S", 0, 7, 0, 0, ""),
                              _write(7, 1024, b"c" * 1024)])
    assert trace.image("synced") == {"f": b"b" * 600 + b"a" * 424}
    assert trace.image("everything") == {"f": b"b" * 600 + b"a" * 424 + b"c" * 1024}
    for seed in range(200):
        content = trace.image("random", random.Random(seed))["f"]
        assert content[:1024] == b"b" * 600 + b"a" * 424  # synced, untouched since
        assert len(content) in range(1024, 2049)


def test_torn_writes_change_only_the_bytes_written(tmp_path: Path) -> None:
    """Powersafe overwrite: a torn write leaves every byte outside its range alone, and
    inside it each byte is old or new, sector by sector, linearly."""
    trace = _trace(tmp_path, [_write(7, 100, b"n" * 800)])
    seen = set()
    for seed in range(300):
        content = trace.image("random", random.Random(seed))["f"]
        assert content[:100] == b"a" * 100 and content[900:] == b"a" * 124
        middle = content[100:900]
        assert set(middle) <= set(b"an")
        seen.add(middle)
        for start, end in ((100, 512), (512, 900)):  # one run of new bytes per sector
            part = content[start:end]
            assert part.count(b"an") + part.count(b"na") <= 1
    assert b"a" * 800 in seen and b"n" * 800 in seen and len(seen) > 2


def test_names_survive_up_to_the_last_directory_sync(tmp_path: Path) -> None:
    created = Record("O", 1, 8, 0, 0, f"{tmp_path}/g", b"")
    synced_dir = Record("S", 2, 1, 0, 0, "")
    gone = Record("U", 0, 0, 0, 0, f"{tmp_path}/f")
    trace = _trace(tmp_path, [created, _write(8, 0, b"x"), Record("S", 0, 8, 0, 0, ""),
                              synced_dir, gone])
    assert trace.image("synced") == {"f": b"a" * 1024, "g": b"x"}
    assert trace.image("everything") == {"g": b"x"}
