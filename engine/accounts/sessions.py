"""Short-lived login sessions, so that scripts need not hold a password.

The token is random and shown only to the person who logged in; the database keeps only
its SHA-256, so a copy of the database cannot be used to act as anyone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from engine.accounts.accounts import ensure_active
from engine.core.errors import AuthenticationFailed, NotFound
from engine.core.model import Account
from engine.time.clock import Clock

DEFAULT_LIFETIME = timedelta(hours=8)


class SessionStore(Protocol):
    """The part of the store port that login sessions need."""

    def get_account(self, username: str) -> Account: ...

    def save_session(self, *, token_hash: str, username: str, created_at: datetime,
                     expires_at: datetime) -> None: ...

    def session_user(self, token_hash: str, *, now: datetime) -> str: ...

    def end_sessions(self, *, token_hash: str | None = None,
                     before: datetime | None = None) -> int: ...


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class LoginSessions:
    """Starting, resuming and ending login sessions."""

    def __init__(self, store: SessionStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def start(self, account: Account, lifetime: timedelta = DEFAULT_LIFETIME) -> str:
        """A new session token for an authenticated account (expired ones are swept)."""
        now = self.clock.now()
        self.store.end_sessions(before=now)
        token = secrets.token_urlsafe(32)
        self.store.save_session(token_hash=token_hash(token), username=account.username,
                                created_at=now, expires_at=now + lifetime)
        return token

    def resume(self, token: str) -> Account:
        """The account of a live session; AuthenticationFailed when it is gone."""
        now = self.clock.now()
        try:
            username = self.store.session_user(token_hash(token), now=now)
        except NotFound:
            raise AuthenticationFailed("the login session expired or ended: log in again") \
                from None
        account = self.store.get_account(username)
        ensure_active(account, now)
        return account

    def end(self, token: str) -> None:
        """End a session (logging out)."""
        self.store.end_sessions(token_hash=token_hash(token))
