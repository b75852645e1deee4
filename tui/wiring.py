"""The composition root: the one place the front ends reach the storage layer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.accounts.accounts import AccountBook
from engine.accounts.tokens import ApiTokens
from engine.desk.desk import Desk
from engine.desk.ports import Store
from engine.desk.webhooks import Webhooks
from engine.time.clock import Clock, SystemClock
from storage import backup, open_store
from storage.errors import DatabaseBusy, DatabaseUnavailable

UNAVAILABLE: tuple[type[Exception], ...] = (DatabaseUnavailable, DatabaseBusy)
"""Errors meaning the database cannot be reached (or stays locked) now: wait and retry."""


@dataclass(frozen=True)
class Workspace:
    """Everything a front end needs, built for one database URL."""

    url: str
    store: Store
    desk: Desk
    accounts: AccountBook
    tokens: ApiTokens
    webhooks: Webhooks


def open_workspace(url: str, *, clock: Clock | None = None,
                   synchronous: str = "FULL") -> Workspace:
    """Open (creating or upgrading the schema of) the database at ``url``.

    ``synchronous`` is SQLite's durability setting; only bulk builders such as the demo
    desk lower it to ``NORMAL``.
    """
    store = open_store(url, synchronous=synchronous)
    clock = clock or SystemClock()
    desk = Desk(store, clock)
    return Workspace(url=url, store=store, desk=desk,
                     accounts=AccountBook(store, clock, roles=desk.declared_roles),
                     tokens=ApiTokens(store, clock), webhooks=Webhooks(store, clock))


def backup_database(url: str, path: Path) -> str:
    """A consistent copy of the database at ``url`` in a new file; the kind of copy."""
    return backup.backup(url, path)


def restore_database(path: Path, url: str) -> int:
    """Copy a backup into the new, empty database at ``url``; how many rows."""
    return backup.restore(path, url)
