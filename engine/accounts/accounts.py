"""Accounts and passwords (seed §5).

Passwords: at least 6 characters, combining at least two of upper-case letters,
lower-case letters, digits and special characters; stored only as argon2 hashes, never
printed or logged. The superuser role is never given to a vendor account.
"""

from __future__ import annotations

import os
import re
import secrets
import string
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from engine.core.admin_journal import (
    ACCOUNT_CHANGED,
    ACCOUNT_CREATED,
    PASSWORD_CHANGED,
    AdminEntry,
    account_entry,
    login_entry,
)
from engine.core.errors import AuthenticationFailed, BadRequest, Forbidden, NotFound
from engine.core.model import Account
from engine.time.clock import Clock

MIN_LENGTH = 6
SUPERUSER = "admin"
"""The role that may deploy processes and manage accounts — never a vendor's."""
RESERVED_NAMES = ("system",)
_CLASSES: dict[str, Callable[[str], bool]] = {
    "upper-case letters": str.isupper, "lower-case letters": str.islower,
    "digits": str.isdigit, "special characters": lambda c: not c.isalnum(),
}
PROFILE_ENV = "TICKETFLOW_ARGON2_PROFILE"
"""``cheapest`` selects argon2's test profile (the test suite sets it); else RFC 9106's."""


def _hasher() -> PasswordHasher:
    if os.environ.get(PROFILE_ENV) == "cheapest":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


_HASHER = _hasher()
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def password_problem(password: str) -> str | None:
    """Why a password breaks the rule, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    kinds = [name for name, test in _CLASSES.items() if any(test(c) for c in password)]
    if len(kinds) < 2:
        return ("a password must combine at least two of upper-case letters, lower-case "
                "letters, digits and special characters")
    return None


def hash_password(password: str) -> str:
    """The argon2 hash of a password that follows the rule; BadRequest otherwise."""
    problem = password_problem(password)
    if problem:
        raise BadRequest(problem)
    return _HASHER.hash(password)


def verify_password(account: Account, password: str) -> bool:
    """Whether ``password`` is the account's password (constant-time in argon2)."""
    try:
        return _HASHER.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def random_password(length: int = 20) -> str:
    """A strong random password (for temporary vendor accounts and rotations)."""
    alphabet = string.ascii_letters + string.digits + "-_.!@#%"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if password_problem(candidate) is None:
            return candidate


def check_account(account: Account) -> None:
    """Refuse an account whose name or roles break the rules."""
    if not _NAME.match(account.username) or account.username in RESERVED_NAMES:
        raise BadRequest(f"{account.username!r} is not a valid account name "
                         "(letters, digits, . _ @ -; not 'system')")
    if "\x00" in account.display_name or len(account.display_name) > 200:
        raise BadRequest("a display name has at most 200 characters and no NUL character")
    if account.vendor and SUPERUSER in account.roles:
        raise Forbidden(f"the {SUPERUSER} role can never be given to a vendor account")
    if "system" in account.roles:
        raise Forbidden("the system role belongs to the engine alone")


def authenticate(account: Account, password: str, now: datetime) -> Account:
    """The account if the password is right and it may act now; AuthenticationFailed else."""
    if not verify_password(account, password):
        raise AuthenticationFailed(f"wrong password for {account.username!r}")
    ensure_active(account, now)
    return account


def ensure_active(account: Account, now: datetime) -> None:
    """Refuse a disabled or expired account."""
    if account.disabled:
        raise AuthenticationFailed(f"account {account.username!r} is disabled")
    if account.expires_at is not None and now >= account.expires_at:
        raise AuthenticationFailed(f"account {account.username!r} expired at "
                                   f"{account.expires_at.isoformat(timespec='seconds')}")


class AccountBook:
    """Creating, changing and authenticating accounts through the store port."""

    def __init__(self, store: AccountStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def login(self, username: str, password: str) -> Account:
        """The account, if the password is right and it may act; journals the attempt."""
        now = self.clock.now()
        try:
            account = self.store.get_account(username)
            authenticate(account, password, now)
        except NotFound:
            self.store.append_admin([login_entry(username, now, "unknown account")])
            raise AuthenticationFailed(f"wrong password for {username!r}") from None
        except AuthenticationFailed as exc:
            self.store.append_admin([login_entry(username, now, str(exc))])
            raise
        account.last_login_at = now
        self.store.append_admin([login_entry(username, now)], accounts=[account])
        return account

    def add(self, actor: Account | None, *, username: str, password: str, roles: list[str],
            post: str | None, display_name: str | None = None, vendor: bool = False,
            expires_at: datetime | None = None) -> Account:
        """Create an account (admins only, or the very first admin when ``actor`` is None)."""
        self._require_admin(actor, allow_first=True)
        account = Account(username=username, display_name=display_name or username,
                          roles=sorted(set(roles)), post=post, vendor=vendor,
                          expires_at=expires_at, password_hash=hash_password(password),
                          created_at=self.clock.now())
        check_account(account)  # before looking the name up: PostgreSQL refuses a NUL in it
        if self._exists(username):
            raise BadRequest(f"account {username!r} exists already")
        self._journal(ACCOUNT_CREATED, account, actor)
        return account

    def update(self, actor: Account, username: str, *, roles: list[str] | None = None,
               post: str | None = None, disabled: bool | None = None,
               expires_at: datetime | None = None) -> Account:
        """Change an account's roles, post, expiry or disabled flag (admins only)."""
        self._require_admin(actor)
        account = self.store.get_account(username)
        if roles is not None:
            account.roles = sorted(set(roles))
        if post is not None:
            account.post = post
        if disabled is not None:
            account.disabled = disabled
        if expires_at is not None:
            account.expires_at = expires_at
        check_account(account)
        self._journal(ACCOUNT_CHANGED, account, actor)
        return account

    def set_password(self, actor: Account, username: str, password: str) -> Account:
        """Change a password: your own, or anyone's as an admin."""
        if actor.username != username:
            self._require_admin(actor)
        account = self.store.get_account(username)
        account.password_hash = hash_password(password)
        self._journal(PASSWORD_CHANGED, account, actor)
        return account

    def _journal(self, kind: str, account: Account, actor: Account | None) -> None:
        """Save the account with its admin journal entry (never the password)."""
        entry = account_entry(kind, account, actor.username if actor else "-", self.clock.now())
        self.store.append_admin([entry], accounts=[account])

    def _exists(self, username: str) -> bool:
        try:
            self.store.get_account(username)
        except NotFound:
            return False
        return True

    def _require_admin(self, actor: Account | None, *, allow_first: bool = False) -> None:
        if actor is None and allow_first and not self.store.list_accounts():
            return
        if actor is None or SUPERUSER not in actor.roles:
            raise Forbidden(f"managing accounts needs the {SUPERUSER} role")
        ensure_active(actor, self.clock.now())


class AccountStore(Protocol):
    """The part of the store port that accounts need."""

    def get_account(self, username: str) -> Account: ...

    def save_account(self, account: Account) -> None: ...

    def list_accounts(self) -> list[Account]: ...

    def append_admin(self, entries: list[AdminEntry], *, accounts: list[Account] | None = None
                     ) -> list[AdminEntry]: ...
