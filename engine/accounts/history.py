"""Who an account was at a moment — roles, post, enabled, expiry — from the admin journal.

Every entry that changes an account carries the account as it is afterwards, so the
account at a moment is the latest such snapshot at or before it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from engine.core.admin_journal import ACCOUNT_KINDS, AdminEntry
from engine.core.model import Account
from engine.process.fields import parse_timestamp

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


class AccountHistory:
    """Every account's snapshots over time, taken from admin journal entries."""

    def __init__(self, entries: Iterable[AdminEntry]) -> None:
        self._times: dict[str, list[datetime]] = {}
        self._snapshots: dict[str, list[Account]] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: AdminEntry) -> None:
        """Take in one entry (entries come in journal order)."""
        if entry.kind not in ACCOUNT_KINDS or not entry.subject:
            return
        account = snapshot_account(entry.subject, entry.details["account"])
        self._times.setdefault(entry.subject, []).append(entry.at)
        self._snapshots.setdefault(entry.subject, []).append(account)

    def knows(self, username: str) -> bool:
        """Whether the journal has any record of this account."""
        return username in self._snapshots

    def at(self, username: str, moment: datetime) -> Account | None:
        """The account as it was at ``moment`` (None: it did not exist yet)."""
        times = self._times.get(username)
        if not times:
            return None
        index = bisect_right(times, moment)
        return self._snapshots[username][index - 1] if index else None

    def spell(self, username: str, moment: datetime
              ) -> tuple[Account | None, datetime, datetime]:
        """The account at ``moment`` and the span ``[since, until)`` it stays so."""
        times = self._times.get(username)
        if not times:
            return None, EARLIEST, LATEST
        index = bisect_right(times, moment)
        return (self._snapshots[username][index - 1] if index else None,
                times[index - 1] if index else EARLIEST,
                times[index] if index < len(times) else LATEST)

    def latest(self, username: str) -> Account | None:
        """The account as the journal last recorded it."""
        snapshots = self._snapshots.get(username)
        return snapshots[-1] if snapshots else None

    def usernames(self) -> list[str]:
        return sorted(self._snapshots)

    def holding(self, role: str, moment: datetime) -> int:
        """How many accounts held ``role`` and could act at ``moment`` (an approval's
        eligible voters, counted as the desk counted them then)."""
        found = (self.at(name, moment) for name in self._snapshots)
        return sum(1 for account in found
                   if account is not None and role in account.roles and account.can_act(moment))


def snapshot_account(username: str, snapshot: dict[str, Any]) -> Account:
    """An account (without password) from a journal snapshot."""
    expires = snapshot.get("expires_at")
    return Account(username=username, display_name=snapshot.get("display_name") or username,
                   roles=list(snapshot.get("roles") or []), post=snapshot.get("post"),
                   password_hash="", vendor=bool(snapshot.get("vendor")),
                   expires_at=parse_timestamp(expires) if expires else None,
                   disabled=bool(snapshot.get("disabled")), group=snapshot.get("group"))
