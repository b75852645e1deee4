"""The yardstick: raw ``sqlite3`` doing the same reads and writes per transition.

Per transition, as the engine does: read the ticket row, decode and re-encode its data,
build the journal event and its SHA-256 over canonical JSON, then in one ``BEGIN
IMMEDIATE`` transaction update the ticket's changed columns with its version check,
cancel the timers of the state left, and insert the event.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Container, Mapping
from datetime import UTC, datetime
from pathlib import Path

from engine.core.journal import canonical

SELECT = ("SELECT id, process, digest, state, data, post, assignee, is_open, opened_at, "
          "updated_at, opened_by, parent_id, version, seq, head, state_since, sla "
          "FROM tickets WHERE id = ?")
UPDATE = ("UPDATE tickets SET state=?, updated_at=?, version=?, seq=?, head=?, state_since=? "
          "WHERE id = ? AND version = ?")
"""The columns a step of these flows changes (the store sets only those, too)..."""
CLOSE = UPDATE.replace("SET ", "SET is_open=0, ")
"""... and one more when it reaches an end state."""
CANCEL = ("UPDATE timers SET status='cancelled' "
          "WHERE ticket_id = ? AND status = 'pending' AND state = ?")
INSERT = ("INSERT INTO events (ticket_id, seq, at, actor, kind, trigger, source, dest, "
          "changes, digest, note, details, prev_hash, hash) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
MOVES = {"handling": ("hold", "pending"), "pending": ("resume", "handling")}
"""State → (trigger, destination): the hot-path bench's hold/resume cycle on mini tickets."""


def connect(path: Path, synchronous: str) -> sqlite3.Connection:
    """A connection with the store's pragmas, in autocommit mode."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000",
                   f"synchronous={synchronous}"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def fire(connection: sqlite3.Connection, ticket_id: int, actor: str, *,
         moves: Mapping[str, tuple[str, str]] = MOVES, ends: Container[str] = ()) -> None:
    """One transition of one ticket: the move ``moves`` gives for its state (hold or resume
    by default); a destination in ``ends`` closes the ticket (``is_open`` false)."""
    row = connection.execute(SELECT, (ticket_id,)).fetchall()[0]
    (_, _, digest, state, data, _, _, _, _, _, _, _, version, seq, head, _, _) = row
    trigger, dest = moves[state]
    if json.dumps(json.loads(data), separators=(",", ":")) != data:  # what the store checks
        raise RuntimeError(f"ticket {ticket_id}: these steps never change the data")
    now = datetime.now(UTC)
    event = {"ticket_id": ticket_id, "seq": seq + 1, "at": now.isoformat(), "actor": actor,
             "kind": "fire", "trigger": trigger, "source": state, "dest": dest, "changes": {},
             "digest": digest, "note": None, "details": {}, "prev_hash": head}
    digest_hex = hashlib.sha256(canonical(event)).hexdigest()
    stamp = now.replace(tzinfo=None).isoformat(" ", "microseconds")
    connection.execute("BEGIN IMMEDIATE")
    updated = connection.execute(CLOSE if dest in ends else UPDATE, (
        dest, stamp, version + 1, seq + 1, digest_hex, stamp, ticket_id, version)).rowcount
    if updated != 1:
        connection.execute("ROLLBACK")
        raise RuntimeError(f"ticket {ticket_id} changed underneath the benchmark")
    connection.execute(CANCEL, (ticket_id, state))
    connection.execute(INSERT, (ticket_id, seq + 1, stamp, actor, "fire", trigger, state, dest,
                                "{}", digest, None, "{}", head, digest_hex))
    connection.execute("COMMIT")
