"""Desk-wide account policy: brute-force lock-out, the vendor access limit, settings.

Lock-out (OWASP ASVS 4, V2.2.1): after :data:`LOCK_AFTER` consecutive failed logins an
account is refused, whatever the password, for one minute; each further failure after a
lock-out doubles the period, up to :data:`LONGEST_LOCK` (one hour: at most 24 guesses a
day once locked, while the account's owner waits an hour at worst or asks an admin to
``users unlock`` it). A successful login or an unlock resets the count.

Settings are rows of the ``settings`` table, changed by admins with ``ticketflow settings
set`` and journaled; each has a default and a range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from engine.core.errors import BadRequest

LOCK_AFTER = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
VENDOR_MAX_DAYS = "vendor_access_max_days"


def lock_period(failures: int) -> timedelta | None:
    """How long an account is locked after this many consecutive failures (None: not)."""
    if failures < LOCK_AFTER:
        return None
    doublings = min(failures - LOCK_AFTER, 16)
    return min(FIRST_LOCK * (1 << doublings), LONGEST_LOCK)


@dataclass(frozen=True)
class Setting:
    """A desk-wide setting: an integer with a default and a range."""

    key: str
    default: int
    low: int
    high: int
    help: str

    def parse(self, text: str) -> int:
        """The value of ``text``, or BadRequest naming the setting and its range."""
        try:
            value = int(text.strip())
        except ValueError:
            raise BadRequest(f"{self.key} takes a whole number, not {text!r}") from None
        if not self.low <= value <= self.high:
            raise BadRequest(f"{self.key} is between {self.low} and {self.high}, not {value}")
        return value


SETTINGS = {s.key: s for s in (
    Setting(VENDOR_MAX_DAYS, 7, 1, 90,
            "the longest a vendor account may stay open, in days (its expiry is at most "
            "this far ahead)"),
)}


class SettingStore(Protocol):
    """The part of the store port that settings need."""

    def get_setting(self, key: str) -> str | None: ...


def setting(key: str) -> Setting:
    """The setting named ``key``; BadRequest listing the known ones otherwise."""
    found = SETTINGS.get(key)
    if found is None:
        raise BadRequest(f"unknown setting {key!r} (known: {', '.join(sorted(SETTINGS))})")
    return found


def value_of(store: SettingStore, key: str) -> int:
    """A setting's current value (its default when never set)."""
    known = setting(key)
    stored = store.get_setting(key)
    return known.default if stored is None else known.parse(stored)


def vendor_limit(store: SettingStore) -> timedelta:
    """How far ahead a vendor account's expiry may be."""
    return timedelta(days=value_of(store, VENDOR_MAX_DAYS))
