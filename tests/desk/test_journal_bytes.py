"""The hot path's shortcuts change no byte: a fixed sequence of steps on a virtual clock
gives the journal (every event hash) and, on SQLite, the very rows it gave before them.

The pinned values were taken from the code before the third round of hot-path cuts
(issue 19): the machine's dispatch for every transition, the batch-less ``fire_due``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from tests.desk.conftest import DeskWorld

HEADS = {
    1: "8c560d60fc50552ce110f39c8452990cc86feadcb4e1278ddb557f4c9fd1060b",
    2: "5379a36c8dfb4f06e9c5f46c413f3719946fa76360cb1fdc3206133c847ee5a9",
}
"""Each ticket's journal head after the sequence (the chain covers every event)."""
ROWS = "1a95d09fb1c3a6d8929e0fe475b8605fa697b6689a49d6802fd3a432de02d599"
"""SHA-256 of the tickets, events and timers rows as SQLite stores them."""
LATER = {"branches"}
"""Columns added after the values were pinned (parallel branches: ``{}`` here)."""


def sequence(world: DeskWorld) -> list[int]:
    """Steps of every kind on two tickets: opening, firing, events, assigning, a guarded
    transition, timers (SLA alarms and a timeout) fired by ``fire_due``."""
    desk, ann, hal, sue = (world.desk, world.people["ann"], world.people["hal"],
                           world.people["sue"])
    first = desk.open("mini", ann, {"summary": "printer", "level": 2}).id
    second = desk.open("mini", ann, {"summary": "screen \u00e9\u00e8 \"quoted\""}).id
    for ticket_id in (first, second):
        desk.fire(ticket_id, "receive", ann)
    world.clock.advance(timedelta(minutes=50))
    desk.fire_due()  # SLA alarms
    desk.fire(first, "dispatch", ann)
    desk.fire(first, "hold", hal, note="waiting for parts")
    desk.record(first, "comment", sue, note="any news?")
    desk.fire(first, "resume", hal)
    desk.assign(first, "hal", hal)
    world.clock.advance(timedelta(days=2))
    desk.fire_due()  # the second ticket's breach and timeout
    return [first, second]


def rows_digest(world: DeskWorld) -> str:
    """The rows, each ticket's in order; events and timers without their own id: firing
    due timers in batches numbers the rows of different tickets in another order (ticket
    2's SLA warning before ticket 1's breach), the rows themselves are the same."""
    engine: Any = world.workspace.store.engine  # type: ignore[attr-defined]
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in ("tickets", "events", "timers"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).mappings()
            key = "id" if table == "tickets" else "ticket_id"
            for row in sorted(rows, key=lambda row: (row[key], row["id"])):
                assert all(row[name] == "{}" for name in LATER if name in row)
                kept = {name: value for name, value in row.items()
                        if (name != "id" or table == "tickets") and name not in LATER}
                digest.update(repr(kept).encode())
    return digest.hexdigest()


def test_the_journal_is_the_one_the_code_before_the_cuts_wrote(world: DeskWorld) -> None:
    ids = sequence(world)
    heads = {ticket_id: world.desk.ticket(ticket_id).head for ticket_id in ids}
    assert heads == HEADS
    if world.workspace.url.startswith("sqlite"):
        assert rows_digest(world) == ROWS
