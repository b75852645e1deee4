"""The composition root: the one place the front ends reach the storage layer.

The desk service and the full store are imported when a workspace is opened, not with this
module: a read-only command (``show``, ``history``) opens a :class:`Reading` instead, on the
driver-level reader when it can, and never pays for SQLAlchemy or the process language.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from engine.accounts.sessions import SessionReads
from engine.desk.ports import Store
from engine.desk.reading import TicketReads
from engine.time.clock import Clock, SystemClock
from storage.errors import DatabaseBusy, DatabaseUnavailable

if TYPE_CHECKING:
    from engine.accounts.accounts import AccountBook
    from engine.accounts.tokens import ApiTokens
    from engine.desk.desk import Desk
    from engine.desk.webhooks import Webhooks

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
    from engine.accounts.accounts import AccountBook
    from engine.accounts.tokens import ApiTokens
    from engine.desk.desk import Desk
    from engine.desk.webhooks import Webhooks
    from storage import open_store

    store = open_store(url, synchronous=synchronous)
    clock = clock or SystemClock()
    desk = Desk(store, clock)
    return Workspace(url=url, store=store, desk=desk,
                     accounts=AccountBook(store, clock, roles=desk.declared_roles,
                                          groups=desk.declared_groups),
                     tokens=ApiTokens(store, clock), webhooks=Webhooks(store, clock))


class ReadStore(TicketReads, SessionReads, Protocol):
    """The store's reads that a read-only command uses (the full store has them all)."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Reading:
    """What a read-only command needs: the store's reads and a clock."""

    url: str
    store: ReadStore
    clock: Clock


def open_reading(url: str) -> Reading:
    """Reads on the database at ``url``: by the driver alone when its schema is current,
    else through the full store (which creates or upgrades it, as any command does)."""
    from storage.reader import open_reader

    reader = open_reader(url)
    if reader is not None:
        return Reading(url=url, store=reader, clock=SystemClock())
    return reading_of(open_workspace(url))


def reading_of(workspace: Workspace) -> Reading:
    """The reads of an open workspace."""
    return Reading(url=workspace.url, store=workspace.store, clock=workspace.desk.clock)


class ChangeFeed(Protocol):
    """Hears other connections' ticket changes (:mod:`storage.live`)."""

    def wait(self, seconds: float) -> frozenset[int] | None:
        """The tickets changed within ``seconds`` (empty: which is unknown); None: none.
        Raises one of :data:`UNAVAILABLE` when the connection is lost."""
        ...

    def close(self) -> None: ...


def open_feed(url: str) -> ChangeFeed | None:
    """A feed of the ticket changes committed to the database at ``url``: PostgreSQL's
    LISTEN/NOTIFY, SQLite's data version; None when there is none (an in-memory database,
    a server out of reach now)."""
    from storage.live import open_feed as feed

    return feed(url)


def backup_database(url: str, path: Path) -> str:
    """A consistent copy of the database at ``url`` in a new file; the kind of copy."""
    from storage import backup

    return backup.backup(url, path)


def restore_database(path: Path, url: str) -> int:
    """Copy a backup into the new, empty database at ``url``; how many rows."""
    from storage import backup

    return backup.restore(path, url)
