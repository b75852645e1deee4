"""The admin journal: deploys, migrations, account changes, logins and seals, hash-chained.

One chain for the whole desk (tickets each have their own). The store assigns an entry's
``seq`` and ``prev_hash`` in the transaction that appends it, then seals it with
:func:`chained`; like ticket events, nothing updates or deletes an entry. Passwords never
appear here — not even hashed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from engine.core.journal import GENESIS, canonical
from engine.core.model import Account, ProcessVersion

DEPLOY = "deploy"
MIGRATE = "migrate"
ACCOUNT_CREATED = "account_created"
ACCOUNT_CHANGED = "account_changed"
PASSWORD_CHANGED = "password_changed"
VENDOR_OPENED = "vendor_account_opened"
VENDOR_CLOSED = "vendor_account_closed"
LOGIN = "login"
LOGIN_FAILED = "login_failed"
SEAL = "seal"
ACCOUNT_LOCKED = "account_locked"
ACCOUNT_UNLOCKED = "account_unlocked"
SESSIONS_ENDED = "sessions_ended"
SETTING_CHANGED = "setting_changed"
ITEMS_LOADED = "items_loaded"
ACCOUNT_KINDS = (ACCOUNT_CREATED, ACCOUNT_CHANGED, PASSWORD_CHANGED, VENDOR_OPENED,
                 VENDOR_CLOSED)
"""Entries whose details carry the account as it is afterwards (its ``account`` key)."""


@dataclass(frozen=True)
class AdminEntry:
    """One entry of the admin journal."""

    at: datetime
    actor: str
    """Who did it: an account name, ``system``, or ``-`` for the very first admin."""
    kind: str
    subject: str | None = None
    """What it is about: an account name, a process name, a ticket id."""
    details: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    prev_hash: str = GENESIS
    hash: str = ""

    def content(self) -> dict[str, Any]:
        """The entry as plain JSON-able data, without its own hash."""
        return {"seq": self.seq, "at": self.at.isoformat(), "actor": self.actor,
                "kind": self.kind, "subject": self.subject, "details": self.details,
                "prev_hash": self.prev_hash}


def entry_hash(entry: AdminEntry) -> str:
    """The SHA-256 that seals an entry to its content and its predecessor."""
    return hashlib.sha256(canonical(entry.content())).hexdigest()


def chained(entry: AdminEntry, *, seq: int, prev_hash: str) -> AdminEntry:
    """The entry placed after the chain's head, with its hash filled in."""
    placed = replace(entry, seq=seq, prev_hash=prev_hash)
    return replace(placed, hash=entry_hash(placed))


def account_snapshot(account: Account) -> dict[str, Any]:
    """What the journal keeps of an account: everything but its password."""
    return {"display_name": account.display_name, "roles": list(account.roles),
            "post": account.post, "vendor": account.vendor, "disabled": account.disabled,
            "expires_at": account.expires_at.isoformat() if account.expires_at else None,
            **({"group": account.group} if account.group else {})}


def account_entry(kind: str, account: Account, actor: str, at: datetime,
                  **details: Any) -> AdminEntry:
    """An entry recording an account as it is after a change."""
    return AdminEntry(at=at, actor=actor, kind=kind, subject=account.username,
                      details={"account": account_snapshot(account), **details})


def deploy_entry(version: ProcessVersion, actor: str, at: datetime) -> AdminEntry:
    """An entry recording a newly deployed process version."""
    return AdminEntry(at=at, actor=actor, kind=DEPLOY, subject=version.name,
                      details={"digest": version.digest, "path": version.path})


def login_entry(username: str, at: datetime, failure: str | None = None) -> AdminEntry:
    """An entry recording a login, or a failed one with the reason."""
    if failure is None:
        return AdminEntry(at=at, actor=username, kind=LOGIN, subject=username)
    return AdminEntry(at=at, actor=username[:64], kind=LOGIN_FAILED, subject=username[:64],
                      details={"reason": failure})
