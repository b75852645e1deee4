"""Power-loss campaign: a desk process recorded by the shim, killed, its disk rebuilt.

Each round snapshots the watched directory (fsynced: the durable starting point), starts
one agent process under ``LD_PRELOAD`` of the shim (opening tickets, firing triggers,
recording remarks and firing due timers through the Desk, each acknowledged command
appended to an fsynced file outside the watched directory after the desk call returned),
waits for its first acknowledgement, lets it run a random while more and SIGKILLs it;
with FULL, in every other round the shim kills it first, just before some sync (after a
commit's writes, before they are durable: see shim.c).
From the snapshot and the log it builds power-loss images (:mod:`.disk`): the first only
what was synced, the others random. Each is opened with ticketflow's storage in a
directory of its own and checked: ``PRAGMA integrity_check``, :func:`check_desk` (``audit
verify``, chains, replay, timers) and :func:`missing_acks`. The image where every
operation landed must equal the files the process left (the shim recorded every change).
The next round goes on from the files the process left.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core.model import TicketQuery
from storage import SqlStore
from tests.reliability.crash import LEASE, step
from tests.reliability.powerloss.disk import (
    Mode,
    Record,
    Trace,
    read_log,
    snapshot,
    write_image,
)
from tests.reliability.world import (
    AGENTS,
    AckLog,
    check_desk,
    missing_acks,
    opened,
    prepare,
    read_acks,
)

SHIM_SOURCE = Path(__file__).resolve().with_name("shim.c")
ROOT = Path(__file__).resolve().parents[3]
DATABASE = "desk.db"
KILL_ENV = "POWERLOSS_KILL_BEFORE_SYNC"
SUICIDE = 40
"""Per mille of syncs before which, in every other round, the shim kills the child: at
about one commit in 25, after its writes and before its fsync."""
DURABLE = ("FULL", "EXTRA")
"""The levels that sync every commit (the others sync too seldom for SUICIDE to work)."""
SUICIDE_WAIT = 120.0
"""Seconds a round that lets the shim kill the child waits for it (then kills it). It dies
after 25 syncs on average, a second or two on an idle machine: the deadline is generous so
that a loaded machine's slow commits still end in the kill the round is for (a 10 s limit
could leave ``inside`` at 0)."""
START_TIMEOUT = 120.0
"""Seconds a child may take to acknowledge its first command (imports, a loaded CI)."""


class ShimUnavailable(Exception):
    """The shim cannot be built here (no C compiler)."""


def build_shim(directory: Path) -> Path:
    """Compile shim.c with the machine's gcc into ``directory``."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise ShimUnavailable("gcc not found: cannot build the power-loss shim (shim.c)")
    target = directory / "powerloss-shim.so"
    result = subprocess.run([gcc, "-shared", "-fPIC", "-O2", "-Wall", "-o", str(target),
                             str(SHIM_SOURCE), "-ldl"], capture_output=True, text=True)
    if result.returncode != 0:
        raise ShimUnavailable(f"gcc could not build shim.c: {result.stderr.strip()}")
    return target


# -- the child ------------------------------------------------------------------------------

class _FirstAckArms(AckLog):
    """An ack log that, once the first command is acknowledged, lets the shim kill the
    process before a sync (``suicide`` per mille of syncs)."""

    def __init__(self, path: Path, suicide: int) -> None:
        super().__init__(path)
        self.suicide = suicide

    def write(self, **record: Any) -> None:
        super().write(**record)
        if self.suicide:
            os.environ[KILL_ENV] = str(self.suicide)
            self.suicide = 0


def child(url: str, acks: Path, seed: int, suicide: int) -> None:
    """Work the desk as one agent, firing due timers too, until killed; ack every command."""
    rng = random.Random(seed)
    log = _FirstAckArms(acks, suicide)
    harness = os.getppid()
    try:
        with opened(url) as workspace:
            desk, store = workspace.desk, workspace.store
            me = store.get_account(rng.choice(AGENTS))
            recent = [t.id for t in desk.tickets(TicketQuery(limit=30, descending=True))]
            while os.getppid() == harness:  # an orphan stops
                for timer in store.claim_due_timers(
                        desk.clock.now(), 5, worker=f"powerloss-{os.getpid()}", lease=LEASE):
                    if desk.fire_timer(timer):
                        log.write(op="timer", timer=timer.id)
                step(desk, me, recent, rng, log, summary="power",
                     note="before the power went")
    except BaseException:
        acks.with_suffix(".failed").write_text(traceback.format_exc())
        raise


# -- the harness ----------------------------------------------------------------------------

@dataclass
class Campaign:
    """What a campaign did and found."""

    synchronous: str
    rounds: int = 0
    images: int = 0
    acks: int = 0
    """Acknowledged commands over the whole campaign."""
    writes: int = 0
    syncs: int = 0
    unsynced: int = 0
    """Writes and truncations of the database and its WAL unsynced at the kills."""
    inside: int = 0
    """Kills the child made itself, before a sync: inside a commit or a checkpoint."""
    in_flight: int = 0
    """Kills that left some of them (a transaction, or a checkpoint, was being written)."""
    losing_images: int = 0
    """Images missing at least one acknowledged command."""
    lost_acks: int = 0
    """Acknowledged commands missing, summed over the images."""
    problems: list[str] = field(default_factory=list)
    """Inconsistencies (integrity, audit, journals, timers), recorder errors, crashes."""
    not_a_tail: list[str] = field(default_factory=list)
    """Images whose lost acknowledged commands are not the last ones acknowledged."""


def run_campaign(directory: Path, shim: Path, *, rounds: int, images: int,
                 synchronous: str = "FULL", seed: int = 0,
                 lifetime: tuple[float, float] = (0.0, 1.0)) -> Campaign:
    """``rounds`` kills, each checked through ``images`` power-loss images."""
    rng = random.Random(seed)
    watched, acks = directory / "disk", directory / "acks"
    watched.mkdir()
    acks.mkdir()
    url = f"sqlite:///{watched / DATABASE}"
    if synchronous != "FULL":
        url += f"?synchronous={synchronous}"
    prepare(url).workspace.store.close()
    campaign = Campaign(synchronous)
    while campaign.rounds < rounds:
        campaign.rounds += 1
        start = snapshot(watched)
        log = directory / "shim.log"
        ack_file = acks / f"round{campaign.rounds:05}.ack"
        suicide = SUICIDE if campaign.rounds % 2 == 0 and synchronous in DURABLE else 0
        wait = rng.uniform(*lifetime)
        problem, inside = _run_child(url, watched, log, ack_file, shim, rng.randrange(2**32),
                                     SUICIDE_WAIT if suicide else wait, suicide)
        campaign.inside += inside
        if problem:
            campaign.problems.append(f"round {campaign.rounds}: {problem}")
            return campaign
        records = read_log(log)
        log.unlink()
        trace = Trace(watched, start, records)
        campaign.writes += sum(1 for r in records if r.op == "W")
        campaign.syncs += trace.syncs
        campaign.unsynced += trace.unsynced()
        campaign.in_flight += trace.unsynced() > 0
        campaign.problems += [f"round {campaign.rounds}: {p}"
                              for p in _recorder_problems(watched, start, records)]
        acknowledged = read_acks(acks)  # in the order made: rounds, then lines
        campaign.acks = len(acknowledged)
        for number in range(images):
            mode: Mode = "synced" if number == 0 else "random"
            files = trace.image(mode, random.Random(rng.randrange(2**32)))
            place = directory / f"image-{campaign.rounds}-{number}"
            write_image(files, place)
            problems, lost, tail = check_image(place / DATABASE, acknowledged)
            shutil.rmtree(place)
            where = f"round {campaign.rounds}, image {number} ({mode})"
            campaign.images += 1
            campaign.problems += [f"{where}: {p}" for p in problems]
            campaign.lost_acks += lost
            campaign.losing_images += lost > 0
            if not tail:
                campaign.not_a_tail.append(f"{where}: lost {lost} acknowledged commands, "
                                           "not only the last ones")
    return campaign


def _run_child(url: str, watched: Path, log: Path, acks: Path, shim: Path, seed: int,
               lifetime: float, suicide: int) -> tuple[str | None, bool]:
    """Start the child under the shim; ``lifetime`` s after its first ack, kill it unless
    it killed itself before a sync; (what went wrong, whether it killed itself)."""
    env = {k: v for k, v in os.environ.items() if k != KILL_ENV}
    env.update(LD_PRELOAD=str(shim), POWERLOSS_DIR=str(watched), POWERLOSS_LOG=str(log),
               PYTHONPATH=str(ROOT))
    errors = acks.with_suffix(".stderr")
    with errors.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.powerloss", "--child", url, str(acks),
             str(seed), str(suicide)], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + START_TIMEOUT
    while not (acks.exists() and acks.stat().st_size) and process.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    try:
        process.wait(timeout=lifetime)
        inside = True
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        inside = False
    failed = acks.with_suffix(".failed")
    if failed.exists():
        return f"the child failed: {failed.read_text()}", inside
    if process.returncode != -signal.SIGKILL:
        return (f"the child exited with {process.returncode}: "
                f"{errors.read_text(errors='replace')[-2000:]}", inside)
    if not (acks.exists() and acks.stat().st_size):
        return f"the child acknowledged nothing in {START_TIMEOUT:.0f} s", inside
    return None, inside


def _recorder_problems(watched: Path, start: dict[str, tuple[int, bytes]],
                       records: list[Record]) -> list[str]:
    """The image where everything landed must be the files the process left.

    The shim logs a write just before making it, so the last record may be a write the
    kill prevented: then the image without it must match.
    """
    on_disk = {path.name: path.read_bytes() for path in watched.iterdir()
               if path.is_file() and not path.name.endswith("-shm")}
    if Trace(watched, start, records).image("everything") == on_disk:
        return []
    if records and records[-1].op in "WT" and (
            Trace(watched, start, records[:-1]).image("everything") == on_disk):
        return []
    return ["the shim's log does not rebuild the files the process left: a write was "
            "not recorded"]


def check_image(database: Path, acks: list[dict[str, Any]]) -> tuple[list[str], int, bool]:
    """The desk in an image: its inconsistencies, how many acknowledged commands it lacks,
    and whether those are the last ones acknowledged (a tail of whole transactions)."""
    try:
        with opened(f"sqlite:///{database}") as workspace:
            store = workspace.store
            assert isinstance(store, SqlStore)
            with store.engine.connect() as connection:
                result = [row[0] for row in
                          connection.exec_driver_sql("PRAGMA integrity_check")]
            problems = [] if result == ["ok"] else [f"integrity_check: {result[:5]}"]
            problems += check_desk(store)
            lost = len(missing_acks(store, acks))
            tail = not lost or not missing_acks(store, acks[:len(acks) - lost])
    except Exception as exc:  # a database that cannot even be opened is a finding
        return [f"cannot open the image: {type(exc).__name__}: {exc}"], 0, True
    return problems, lost, tail


def report(campaign: Campaign, seconds: float) -> str:
    return (f"synchronous={campaign.synchronous}: {campaign.rounds} kills ({campaign.inside} "
            f"before a sync), {campaign.images} "
            f"power-loss images in {seconds:.1f} s; {campaign.acks} acknowledged commands, "
            f"{campaign.writes} writes and {campaign.syncs} syncs recorded, "
            f"{campaign.unsynced} writes unsynced at the kills ({campaign.in_flight} kills "
            "with writes in flight); "
            f"{campaign.losing_images} images lost acknowledged commands "
            f"({campaign.lost_acks} in all, {len(campaign.not_a_tail)} not a tail); "
            f"{len(campaign.problems)} problems")
