"""Short-lived login sessions, so that scripts need not hold a password.

The token is random and shown only to the person who logged in; the database keeps only
its SHA-256, so a copy of the database cannot be used to act as anyone.

A session ends when it expires (at the latest when its account does), when its person logs
out, when an admin ends it (``users revoke``), and — in the same transaction as the change
— whenever its account changes: a new password, a disable, any admin change, a vendor
account's closure or re-opening (OWASP ASVS 4, V3.3). A session is only created while the
account still has the password hash the login checked, so a login racing a password
change or a disable cannot leave a live session behind.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from engine.accounts.accounts import ensure_active
from engine.core.errors import AuthenticationFailed, NotFound
from engine.core.model import Account
from engine.time.clock import Clock

DEFAULT_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True)
class LoginSession:
    """A live session as listed to admins: never its token, a short prefix of its hash."""

    username: str
    tag: str
    """The first 12 hex digits of the token's hash: enough to tell sessions apart."""
    created_at: datetime
    expires_at: datetime


class SessionReads(Protocol):
    """The part of the store port that resuming a login session needs (reads only)."""

    def get_account(self, username: str) -> Account: ...

    def session_user(self, token_hash: str, *, now: datetime) -> str: ...


class SessionStore(SessionReads, Protocol):
    """The part of the store port that login sessions need."""

    def save_session(self, *, token_hash: str, username: str, created_at: datetime,
                     expires_at: datetime, password_hash: str) -> bool: ...

    def list_sessions(self, username: str, *, now: datetime) -> list[LoginSession]: ...

    def end_sessions(self, *, token_hash: str | None = None,
                     before: datetime | None = None, username: str | None = None) -> int: ...


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def resume(store: SessionReads, token: str, now: datetime) -> Account:
    """The account of a session live at ``now``; AuthenticationFailed when it is gone.

    Only reads: a session's lifetime is fixed when it starts (nothing is touched on use),
    so resuming one writes nothing.
    """
    try:
        username = store.session_user(token_hash(token), now=now)
    except NotFound:
        raise AuthenticationFailed("the login session expired or ended: log in again") \
            from None
    account = store.get_account(username)
    ensure_active(account, now)
    return account


class LoginSessions:
    """Starting, resuming, listing and ending login sessions."""

    def __init__(self, store: SessionStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def start(self, account: Account, lifetime: timedelta = DEFAULT_LIFETIME) -> str:
        """A new session token for an account just authenticated (expired ones are swept).

        It lives ``lifetime``, never past the account's expiry; it is refused when the
        account changed since its password was checked.
        """
        now = self.clock.now()
        self.store.end_sessions(before=now)
        token = secrets.token_urlsafe(32)
        expires = now + lifetime
        if account.expires_at is not None:
            expires = min(expires, account.expires_at)
        if not self.store.save_session(token_hash=token_hash(token), username=account.username,
                                       created_at=now, expires_at=expires,
                                       password_hash=account.password_hash):
            raise AuthenticationFailed(f"account {account.username!r} changed while logging "
                                       "in (disabled or a new password): try again")
        return token

    def resume(self, token: str) -> Account:
        """The account of a live session; AuthenticationFailed when it is gone."""
        return resume(self.store, token, self.clock.now())

    def listed(self, username: str) -> list[LoginSession]:
        """The live sessions of an account, oldest first."""
        return self.store.list_sessions(username, now=self.clock.now())

    def end(self, token: str) -> None:
        """End a session (logging out)."""
        self.store.end_sessions(token_hash=token_hash(token))
