"""The composition root: the one place the front ends reach the storage layer."""

from __future__ import annotations

from dataclasses import dataclass

from engine.accounts import AccountBook
from engine.clock import Clock, SystemClock
from engine.desk import Desk
from engine.ports import Store
from storage import open_store


@dataclass(frozen=True)
class Workspace:
    """Everything a front end needs, built for one database URL."""

    url: str
    store: Store
    desk: Desk
    accounts: AccountBook


def open_workspace(url: str, *, clock: Clock | None = None,
                   synchronous: str = "FULL") -> Workspace:
    """Open (creating or upgrading the schema of) the database at ``url``.

    ``synchronous`` is SQLite's durability setting; only bulk builders such as the demo
    desk lower it to ``NORMAL``.
    """
    store = open_store(url, synchronous=synchronous)
    clock = clock or SystemClock()
    return Workspace(url=url, store=store, desk=Desk(store, clock),
                     accounts=AccountBook(store, clock))
