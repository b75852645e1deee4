"""API tokens: long-lived credentials that act as one account, for systems around the desk.

A token is random and printed once, when an admin adds it; the database keeps only its
SHA-256 (as for login sessions). Every request re-reads the token and its account, so a
revoked or expired token, and a disabled or expired account, stop at the next request.
Adding, revoking and refusing a token, and its use (the first one, then at most once per
:data:`USE_EVERY`), go to the admin journal; what a token changes on a ticket is journaled
as its account, like any change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from engine.accounts.accounts import SUPERUSER, ensure_active
from engine.accounts.sessions import token_hash
from engine.core.admin_journal import AdminEntry
from engine.core.errors import AuthenticationFailed, BadRequest, Forbidden, NotFound
from engine.core.model import Account
from engine.time.clock import Clock

PREFIX = "tf_"
"""Every token starts with it, so that a leaked one is easy to recognise in a scan."""
USE_EVERY = timedelta(hours=1)
TOKEN_ADDED, TOKEN_REVOKED, TOKEN_USED, TOKEN_REFUSED = (
    "token_added", "token_revoked", "token_used", "token_refused")
_MAX_NAME = 64


@dataclass(frozen=True)
class ApiToken:
    """What the desk keeps of a token: never the token itself."""

    id: int
    name: str
    username: str
    """The account it acts as."""
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        """Not revoked and not expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class TokenStore(Protocol):
    """The part of the store port that API tokens need."""

    def get_account(self, username: str) -> Account: ...

    def add_token(self, *, name: str, username: str, token_hash: str, created_at: datetime,
                  created_by: str, expires_at: datetime | None, journal: AdminEntry
                  ) -> ApiToken:
        """Insert a token (its name unique) with its admin journal entry, in one transaction."""
        ...

    def list_tokens(self) -> list[ApiToken]: ...

    def token_with_account(self, token_hash: str) -> tuple[ApiToken, Account]:
        """The token with this hash and its account, as they are now; NotFound when no
        token has the hash."""
        ...

    def revoke_token(self, name: str, *, at: datetime, journal: AdminEntry) -> ApiToken:
        """Revoke a live token (a conditional update) with its journal entry; NotFound when
        no live token has the name."""
        ...

    def mark_token_used(self, token_id: int, *, at: datetime, every: timedelta,
                        journal: AdminEntry) -> bool:
        """Set ``last_used_at`` unless it is less than ``every`` old, and then append the
        entry, in one transaction; whether it did."""
        ...

    def append_admin(self, entries: list[AdminEntry], *, accounts: list[Account] | None = None
                     ) -> list[AdminEntry]: ...


class ApiTokens:
    """Adding, listing, revoking and checking API tokens."""

    def __init__(self, store: TokenStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def add(self, actor: Account, name: str, username: str, *,
            expires_at: datetime | None = None) -> tuple[str, ApiToken]:
        """A new token acting as ``username``: its text (shown once) and what is kept."""
        now = self._admin(actor)
        _check_name(name)
        if expires_at is not None and expires_at <= now:
            raise BadRequest(f"the token would expire at {expires_at.isoformat()}, "
                             "which is not in the future")
        ensure_active(self.store.get_account(username), now)
        text = PREFIX + secrets.token_urlsafe(32)
        entry = _entry(TOKEN_ADDED, actor.username, now, name, account=username,
                       expires_at=expires_at.isoformat() if expires_at else None)
        token = self.store.add_token(name=name, username=username, token_hash=token_hash(text),
                                     created_at=now, created_by=actor.username,
                                     expires_at=expires_at, journal=entry)
        return text, token

    def tokens(self, actor: Account) -> list[ApiToken]:
        """Every token, live or not (admins only)."""
        self._admin(actor)
        return self.store.list_tokens()

    def revoke(self, actor: Account, name: str) -> ApiToken:
        """Revoke a live token: it stops at its next request."""
        now = self._admin(actor)
        return self.store.revoke_token(name, at=now,
                                       journal=_entry(TOKEN_REVOKED, actor.username, now, name))

    def authenticate(self, text: str) -> tuple[Account, ApiToken]:
        """The account a token acts as, read now; AuthenticationFailed when it may not."""
        now = self.clock.now()
        try:
            token, account = self.store.token_with_account(token_hash(text))
        except NotFound:
            raise AuthenticationFailed("unknown API token") from None
        try:
            self._usable(token, account, now)
        except AuthenticationFailed as exc:
            self.store.append_admin([_entry(TOKEN_REFUSED, token.username, now, token.name,
                                            reason=str(exc))])
            raise
        if token.last_used_at is None or now - token.last_used_at >= USE_EVERY:
            self.store.mark_token_used(token.id, at=now, every=USE_EVERY, journal=_entry(
                TOKEN_USED, token.username, now, token.name))
        return account, token

    @staticmethod
    def _usable(token: ApiToken, account: Account, now: datetime) -> None:
        if token.revoked_at is not None:
            raise AuthenticationFailed(f"API token {token.name!r} was revoked")
        if token.expires_at is not None and now >= token.expires_at:
            raise AuthenticationFailed(f"API token {token.name!r} expired at "
                                       f"{token.expires_at.isoformat(timespec='seconds')}")
        ensure_active(account, now)

    def _admin(self, actor: Account) -> datetime:
        now = self.clock.now()
        if SUPERUSER not in actor.roles:
            raise Forbidden(f"managing API tokens needs the {SUPERUSER} role")
        ensure_active(actor, now)
        return now


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > _MAX_NAME or not name.isprintable():
        raise BadRequest(f"a token name has 1 to {_MAX_NAME} printable characters, "
                         f"not {name[:80]!r}")


def _entry(kind: str, actor: str, at: datetime, name: str, **details: str | None
           ) -> AdminEntry:
    return AdminEntry(at=at, actor=actor[:64], kind=kind, subject=name[:64],
                      details=dict(details))
