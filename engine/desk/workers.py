"""Timer workers: claim due timers and fire each in the transaction that marks it fired.

Several workers may run side by side (on PostgreSQL they claim different timers with
``SKIP LOCKED``); a timer a worker claimed but did not fire — it died — is claimable again
when its lease ends, and firing marks a timer fired only while it is pending, so none fires
twice and none is lost. When the database cannot be reached the worker waits and tries
again, doubling the wait up to a ceiling.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from engine.desk.desk import Desk


def default_name() -> str:
    """A worker name unique on the network: host and process id."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True)
class Backoff:
    """How long to wait after the n-th failure in a row: doubling, up to a ceiling."""

    first: float = 1.0
    ceiling: float = 60.0

    def delay(self, failures: int) -> float:
        return float(min(self.first * 2.0 ** max(failures - 1, 0), self.ceiling))


@dataclass
class TimerWorker:
    """Fires due timers on the desk that ``connect`` opens, until told to stop.

    The worker owns that desk: when the database fails it closes the desk's store and calls
    ``connect`` again.
    """

    connect: Callable[[], Desk]
    name: str
    transient: tuple[type[BaseException], ...]
    """Errors that mean "the database is unavailable now": wait and retry."""
    batch: int = 100
    interval: float = 1.0
    lease: timedelta = timedelta(minutes=1)
    backoff: Backoff = Backoff()
    sleep: Callable[[float], None] = time.sleep
    report: Callable[[str], None] = print
    also: Callable[[Desk], int] | None = None
    """Further work done on every pass with the same desk (delivering mail, webhooks): how
    much it did; the worker stays busy while it does any."""
    stopped: Callable[[], bool] = lambda: False
    """Asked before each pass: True ends :meth:`run` (a server shutting down)."""
    handled: int = 0
    """How many timers this worker has claimed and fired (or found fired by another)."""
    done_also: int = 0
    """How much of the further work it did."""
    _desk: Desk | None = None

    def run(self, *, once: bool = False, attempts: int | None = None) -> int:
        """Fire batches until none is due (``once``) or forever; how many timers it handled.

        ``attempts`` bounds how many failures in a row are retried (None: no bound).
        """
        failures = 0
        while not self.stopped():
            try:
                handled = self.pass_once()
                failures = 0
            except self.transient as exc:
                failures += 1
                self._drop_desk()
                if attempts is not None and failures >= attempts:
                    raise
                wait = self.backoff.delay(failures)
                self.report(f"database unavailable ({exc}); retrying in {wait:g} s")
                self.sleep(wait)
                continue
            if once and not handled:
                return self.handled
            if not handled:
                self.sleep(self.interval)
        return self.handled

    def pass_once(self) -> int:
        """Claim one batch of due timers and fire them; how many it handled."""
        if self._desk is None:
            self._desk = self.connect()
        handled = self._desk.fire_claimed(self.name, limit=self.batch, lease=self.lease)
        self.handled += handled
        extra = self.also(self._desk) if self.also is not None else 0
        self.done_also += extra
        return handled + extra

    def _drop_desk(self) -> None:
        """Close the desk's store (its connection pool) so that the next pass connects anew.

        Each reconnect used to leave the old pool open. Its connections may be dead already
        (the server went away): closing is best effort, and a failure to close is reported,
        never raised out of the retry loop.
        """
        desk, self._desk = self._desk, None
        if desk is None:
            return
        try:
            desk.store.close()
        except Exception as exc:
            self.report(f"could not close the old connection ({exc}); dropped it")
