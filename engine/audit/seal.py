"""Seals: every chain head at a moment, signed with a key kept outside the database.

A hash chain shows that no single event was changed, but someone who can write the
database can recompute a whole chain consistently. A seal lists each ticket's head (its
seq, and digests of its head hashes by bucket of ticket ids) and the admin journal's head,
signed with HMAC-SHA-256; without the key nobody can make a seal that matches a rewritten
chain. ``verify`` recomputes the heads at the sealed seqs and compares.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.core.admin_journal import SEAL, AdminEntry
from engine.core.errors import BadRequest
from engine.core.journal import canonical

MIN_KEY = 16
"""The shortest key accepted, in bytes."""
MAX_BUCKETS = 4096
"""Head digests kept per seal: one per ticket on small desks, per range of ids on big ones."""


def check_key(key: bytes) -> bytes:
    """The key, if it is long enough to sign with."""
    if len(key) < MIN_KEY:
        raise BadRequest(f"a seal key needs at least {MIN_KEY} bytes")
    return key


def key_id(key: bytes) -> str:
    """A public name for a key, so seals made with another key are told apart."""
    return hmac.new(key, b"ticketflow seal key id", hashlib.sha256).hexdigest()[:16]


def signature(content: dict[str, Any], key: bytes) -> str:
    """The HMAC of a seal's content."""
    return hmac.new(key, canonical(content), hashlib.sha256).hexdigest()


def bucket_lines(heads: list[tuple[int, int, str]]) -> str:
    """The text a bucket's digest covers."""
    return "".join(f"{ticket}:{seq}:{head}\n" for ticket, seq, head in heads)


def make_seal(heads: list[tuple[int, int, str]], admin_head: tuple[int, str], key: bytes,
              actor: str, at: datetime) -> AdminEntry:
    """The admin journal entry sealing these ticket heads and the admin journal's head."""
    heads = sorted(heads)
    first = heads[0][0] if heads else 1
    span = heads[-1][0] - first + 1 if heads else 0
    size = max(1, -(-span // MAX_BUCKETS))
    seqs = [0] * span
    buckets: dict[int, list[tuple[int, int, str]]] = {}
    for ticket, seq, head in heads:
        seqs[ticket - first] = seq
        buckets.setdefault((ticket - first) // size, []).append((ticket, seq, head))
    digests = {str(index): hashlib.sha256(bucket_lines(group).encode()).hexdigest()
               for index, group in buckets.items()}
    content = {"sealed_at": at.isoformat(), "tickets": len(heads), "first": first,
               "seqs": seqs, "bucket": size, "digests": digests,
               "admin": list(admin_head), "key_id": key_id(key)}
    return AdminEntry(at=at, actor=actor, kind=SEAL,
                      details={**content, "mac": signature(content, key)})


@dataclass
class SealCheck:
    """Checks the chains streamed by ``verify`` against one seal."""

    entry: AdminEntry
    seen: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)

    @property
    def first(self) -> int:
        return int(self.entry.details["first"])

    def sealed_seq(self, ticket_id: int) -> int:
        """The seq of the ticket's head when sealed (0: not sealed)."""
        index = ticket_id - self.first
        seqs = self.entry.details["seqs"]
        return int(seqs[index]) if 0 <= index < len(seqs) else 0

    def observe(self, ticket_id: int, seq: int, head: str) -> None:
        """Record the hash the journal now has at a ticket's sealed seq."""
        size = int(self.entry.details["bucket"])
        self.seen.setdefault((ticket_id - self.first) // size, []).append(
            (ticket_id, seq, head))

    def broken(self, covered: set[int] | None) -> list[tuple[int, int]]:
        """Ranges of ticket ids whose chains differ from the seal (first, last).

        ``covered``: only these tickets were streamed (None: all); buckets not wholly
        covered are skipped.
        """
        size, first = int(self.entry.details["bucket"]), self.first
        ranges = []
        for index, digest in self.entry.details["digests"].items():
            low = first + int(index) * size
            ids = [low + i for i in range(size) if self.sealed_seq(low + i)]
            if covered is not None and not set(ids) <= covered:
                continue
            mine = sorted(self.seen.get(int(index), []))
            if hashlib.sha256(bucket_lines(mine).encode()).hexdigest() != digest:
                ranges.append((ids[0] if ids else low, ids[-1] if ids else low))
        return sorted(ranges)


def seal_problem(entry: AdminEntry, key: bytes) -> str | None:
    """Why a seal entry cannot be trusted with this key, or None when its MAC holds."""
    details = dict(entry.details)
    mac = details.pop("mac", None)
    if details.get("key_id") != key_id(key):
        return "made with another key"
    if not isinstance(mac, str) or not hmac.compare_digest(mac, signature(details, key)):
        return "its signature does not match its content (the seal was altered)"
    return None


def seal_key(raw: bytes | str | None) -> bytes:
    """A key from the environment or a file; BadRequest when there is none."""
    if raw is None or not raw.strip():
        raise BadRequest("no seal key: set TICKETFLOW_SEAL_KEY or pass --key-file PATH "
                         "(the key must be kept outside the database)")
    key = raw.strip()
    return check_key(key.encode() if isinstance(key, str) else key)
