"""Memory while firing across many tickets: the process must stay flat (goal < 50 MB).

The tickets are written in bulk (each in state handling with one sealed opening event),
then the desk fires ``hold`` once on every one of them; the resident set size is read
after a warm-up and at the end.
"""

from __future__ import annotations

import gc
import os
import resource
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import hotpath
from engine.core.journal import seal
from engine.desk.desk import Desk
from engine.time.clock import SystemClock
from storage import open_store

GOAL_MB = 50
BATCH = 5_000


def rss_mb() -> float:
    """This process's resident set size now, in MB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # no /proc: the peak is the best there is
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_growth(directory: Path, *, tickets: int = 100_000, warmup: int = 2_000
                  ) -> dict[str, Any]:
    """Fire once on each of ``tickets`` tickets; RSS growth after the warm-up."""
    path = directory / "memory.db"
    [template] = hotpath.prepare(path, synchronous="NORMAL", tickets=1)
    with open_store(hotpath.url(path, "NORMAL")) as store:
        desk = Desk(store, SystemClock())
        ids = [template, *_clone(store, path, template, tickets - 1)]
        for ticket_id in ids[:warmup]:
            desk.fire(ticket_id, "hold", hotpath.AGENT)
        gc.collect()
        before = rss_mb()
        for ticket_id in ids[warmup:]:
            desk.fire(ticket_id, "hold", hotpath.AGENT)
        gc.collect()
        after = rss_mb()
    return {"tickets": tickets, "fired": len(ids), "rss_before_mb": round(before, 1),
            "rss_after_mb": round(after, 1), "growth_mb": round(after - before, 1),
            "goal_mb": GOAL_MB}


def _clone(store: Any, path: Path, template_id: int, count: int) -> list[int]:
    """``count`` copies of a ticket's row, each with its own sealed opening event."""
    template = store.load_ticket(template_id)
    opening = replace(store.events(template_id)[0], dest=template.state)
    connection = sqlite3.connect(path, isolation_level=None)
    ticket_row = row(connection, "tickets", "id", template_id)
    event_row = {**row(connection, "events", "ticket_id", template_id), "dest": opening.dest}
    event_row.pop("id")
    ids = list(range(template_id + 1, template_id + 1 + count))
    for start in range(0, count, BATCH):
        chunk = ids[start:start + BATCH]
        sealed = [seal(opening, ticket_id=ticket_id) for ticket_id in chunk]
        connection.execute("BEGIN IMMEDIATE")
        insert(connection, "tickets", [{**ticket_row, "id": e.ticket_id, "seq": 1,
                                         "head": e.hash} for e in sealed])
        insert(connection, "events", [{**event_row, "ticket_id": e.ticket_id,
                                        "hash": e.hash} for e in sealed])
        connection.execute("COMMIT")
    connection.close()
    return ids


def row(connection: sqlite3.Connection, table: str, key: str, value: int) -> dict[str, Any]:
    cursor = connection.execute(f"SELECT * FROM {table} WHERE {key} = ? LIMIT 1", (value,))
    return dict(zip([c[0] for c in cursor.description], cursor.fetchone(), strict=True))


def insert(connection: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    names = list(rows[0])
    connection.executemany(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [tuple(row[name] for name in names) for row in rows])
