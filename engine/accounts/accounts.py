"""Accounts and passwords (seed §5).

Passwords: at least 6 characters, combining at least two of upper-case letters,
lower-case letters, digits and special characters; stored only as argon2 hashes, never
printed or logged (:mod:`engine.accounts.passwords`). The superuser role is never given
to a vendor account; a vendor account holds vendor roles only.

Account names: 1 to 64 characters, letters, digits and ``. _ @ -``, beginning with a
letter or a digit (so never ``-``, which the command line reads as "nobody"), and not
``system`` (the engine's own account).

Every change to an account is one transaction that updates only the columns it changes
(``SqlStore.change_account``), journals the account as it is afterwards, and ends the
account's login sessions. Logging in (:mod:`engine.accounts.login`) writes only its own
bookkeeping columns, on the condition that the account still has the hash it checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import NoReturn, Protocol

from engine.accounts import passwords
from engine.accounts.passwords import (
    hash_password,
    password_problem,
    random_password,
)
from engine.accounts.policy import VENDOR_MAX_DAYS, lock_period, setting, vendor_limit
from engine.core.admin_journal import (
    ACCOUNT_CHANGED,
    ACCOUNT_CREATED,
    ACCOUNT_LOCKED,
    ACCOUNT_UNLOCKED,
    PASSWORD_CHANGED,
    SESSIONS_ENDED,
    SETTING_CHANGED,
    AdminEntry,
    account_entry,
    login_entry,
)
from engine.core.errors import AuthenticationFailed, BadRequest, Forbidden, NotFound
from engine.core.model import Account
from engine.time.clock import Clock

__all__ = ["hash_password", "password_problem", "random_password", "verify_password"]

SUPERUSER = "admin"
"""The role that may deploy processes and manage accounts — never a vendor's."""
RESERVED_NAMES = ("system",)
VENDOR_ROLE = "vendor"
BUILTIN_ROLES = frozenset({SUPERUSER, "auditor", "agent", "supervisor", VENDOR_ROLE,
                           "vendor_read_only", "vendor_operator"})
"""Roles the engine itself gives meaning to; processes declare more in ``roles:``."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.&-]{0,63}$")

Roles = Callable[[], set[str]]
"""The roles the deployed processes declare."""
Groups = Callable[[], dict[str, set[str] | None]]
"""Post → the groups the deployed processes divide it into (None: any name)."""


def verify_password(account: Account, password: str) -> bool:
    """Whether ``password`` is the account's password (constant-time in argon2)."""
    return passwords.password_matches(account.password_hash, password)


def is_vendor_role(role: str) -> bool:
    """Whether a role is one a vendor account may hold (``vendor``, ``vendor_…``)."""
    return role == VENDOR_ROLE or role.startswith(VENDOR_ROLE + "_")


def valid_name(username: str) -> bool:
    """Whether ``username`` follows the rule for account names."""
    return bool(_NAME.match(username)) and username not in RESERVED_NAMES


def check_account(account: Account) -> None:
    """Refuse an account whose name or roles break the rules."""
    if not valid_name(account.username):
        raise BadRequest(f"{account.username!r} is not a valid account name (1 to 64 "
                         "letters, digits, . _ @ -, beginning with a letter or a digit; "
                         "not 'system')")
    if "\x00" in account.display_name or len(account.display_name) > 200:
        raise BadRequest("a display name has at most 200 characters and no NUL character")
    if account.group is not None and (account.post is None or not _GROUP.match(account.group)):
        raise BadRequest("a group is 1 to 64 letters, digits, spaces, . _ & - and needs the "
                         "account to have a post (--post)")
    if account.vendor and SUPERUSER in account.roles:
        raise Forbidden(f"the {SUPERUSER} role can never be given to a vendor account")
    if "system" in account.roles:
        raise Forbidden("the system role belongs to the engine alone")
    if account.vendor and not all(map(is_vendor_role, account.roles)):
        others = ", ".join(r for r in account.roles if not is_vendor_role(r))
        raise Forbidden(f"a vendor account holds vendor roles only (vendor, vendor_…), "
                        f"not {others}")


def check_roles(roles: list[str], declared: set[str]) -> None:
    """Refuse a role that is neither built in nor declared by a deployed process."""
    known = (BUILTIN_ROLES | declared) - {"system"}
    if not roles:
        raise BadRequest("an account needs at least one role")
    for role in roles:
        if role not in known:
            raise BadRequest(f"unknown role {role!r}: the roles are "
                             f"{', '.join(sorted(known))}")


def check_group(account: Account, declared: dict[str, set[str] | None]) -> None:
    """Refuse a group that no deployed process divides the account's post into."""
    if account.group is None or account.post is None:
        return
    if account.post not in declared:
        raise BadRequest(f"no deployed process divides the post {account.post!r} into groups")
    names = declared[account.post]
    if names is not None and account.group not in names:
        raise BadRequest(f"unknown group {account.group!r} at {account.post!r}: the groups "
                         f"are {', '.join(sorted(names))}")


def ensure_active(account: Account, now: datetime) -> None:
    """Refuse a disabled or expired account."""
    if account.disabled:
        raise AuthenticationFailed(f"account {account.username!r} is disabled")
    if account.expires_at is not None and now >= account.expires_at:
        raise AuthenticationFailed(f"account {account.username!r} expired at "
                                   f"{account.expires_at.isoformat(timespec='seconds')}")


def is_admin(account: Account, now: datetime) -> bool:
    """Whether the account holds the admin role and may act now."""
    return SUPERUSER in account.roles and account.can_act(now)


def keep_an_admin(before: Account, after: Account, accounts: list[Account],
                  now: datetime) -> None:
    """Refuse a change that leaves the desk without any admin who can act."""
    if not is_admin(before, now) or is_admin(after, now):
        return
    if not any(is_admin(a, now) for a in accounts if a.username != before.username):
        raise Forbidden(f"{before.username!r} is the last admin who can act: give the "
                        f"{SUPERUSER} role to another account first")


class AccountStore(Protocol):
    """The part of the store port that managing accounts needs."""

    def get_account(self, username: str) -> Account: ...

    def list_accounts(self) -> list[Account]: ...

    def create_account(self, account: Account, entries: list[AdminEntry]) -> None: ...

    def change_account(self, username: str,
                       change: Callable[[Account, list[Account]], Account],
                       journal: Callable[[Account], list[AdminEntry]]) -> Account: ...

    def get_setting(self, key: str) -> str | None: ...

    def record_login(self, username: str, *, password_hash: str, new_hash: str | None,
                     now: datetime, entry: AdminEntry) -> bool: ...

    def count_failed_login(self, username: str, entry: AdminEntry) -> int: ...

    def lock_account(self, username: str, *, failures: int, until: datetime,
                     entry: AdminEntry) -> bool: ...

    def set_setting(self, key: str, value: str, entry: AdminEntry) -> None: ...

    def append_admin(self, entries: list[AdminEntry], *, accounts: list[Account] | None = None
                     ) -> list[AdminEntry]: ...


class AccountBook:
    """Creating, changing and authenticating accounts through the store port."""

    def __init__(self, store: AccountStore, clock: Clock, roles: Roles | None = None,
                 groups: Groups | None = None) -> None:
        self.store = store
        self.clock = clock
        self.roles = roles or set
        self.groups = groups

    def login(self, username: str, password: str) -> Account:
        """The account, if the password is right and it may act; journals the attempt.

        An unknown account costs one argon2 check too (against a dummy hash); a locked
        one is refused whatever the password. The bookkeeping (last login, the failure
        count, a stronger hash) is written only while the account still has the hash
        that was checked and may act: a disable, a password change or a vendor account's
        closure committed meanwhile makes the login fail, never undoes it.
        """
        now = self.clock.now()
        account = self._find(username)
        if account is None:
            passwords.spend_like_a_check(password)
            return self._refuse(username, now, "unknown account", f"wrong password for "
                                f"{username!r}")
        if account.locked_until is not None and now < account.locked_until:
            passwords.spend_like_a_check(password)
            until = account.locked_until.isoformat(timespec="seconds")
            return self._refuse(username, now, f"locked until {until}",
                                f"account {username!r} is locked until {until} after "
                                "repeated failed logins (an admin can unlock it)")
        if not verify_password(account, password):
            self._count_failure(username, now)
            raise AuthenticationFailed(f"wrong password for {username!r}")
        try:
            ensure_active(account, now)
        except AuthenticationFailed as exc:
            return self._refuse(username, now, str(exc), str(exc))
        return self._record_login(account, password, now)

    def _record_login(self, account: Account, password: str, now: datetime,
                      again: bool = True) -> Account:
        new_hash = passwords.HASHER.hash(password) \
            if passwords.needs_rehash(account.password_hash) else None
        if self.store.record_login(account.username, password_hash=account.password_hash,
                                   new_hash=new_hash, now=now,
                                   entry=login_entry(account.username, now)):
            return replace(account, last_login_at=now, failed_logins=0, locked_until=None,
                           password_hash=new_hash or account.password_hash)
        current = self._find(account.username)
        if again and current is not None and current.password_hash != account.password_hash \
                and verify_password(current, password):
            return self._record_login(current, password, now, again=False)  # a rehash won
        return self._refuse(account.username, now, "the account changed meanwhile",
                            f"account {account.username!r} changed while logging in "
                            "(disabled, locked or a new password): try again")

    def _count_failure(self, username: str, now: datetime) -> None:
        """Count a wrong password (journaled); lock the account once there are too many."""
        failures = self.store.count_failed_login(
            username, login_entry(username, now, f"wrong password for {username!r}"))
        period = lock_period(failures)
        if period is None:
            return
        until = now + period
        self.store.lock_account(username, failures=failures, until=until, entry=AdminEntry(
            at=now, actor="system", kind=ACCOUNT_LOCKED, subject=username,
            details={"failures": failures, "until": until.isoformat()}))

    def _refuse(self, username: str, now: datetime, reason: str, message: str) -> NoReturn:
        self.store.append_admin([login_entry(username, now, reason)])
        raise AuthenticationFailed(message)

    def _find(self, username: str) -> Account | None:
        if not valid_name(username):  # PostgreSQL refuses a NUL in a name it looks up
            return None
        try:
            return self.store.get_account(username)
        except NotFound:
            return None

    def add(self, actor: Account | None, *, username: str, password: str, roles: list[str],
            post: str | None, display_name: str | None = None, vendor: bool = False,
            expires_at: datetime | None = None, group: str | None = None) -> Account:
        """Create an account (admins only, or the very first admin when ``actor`` is None)."""
        self._require_admin(actor, allow_first=True)
        now = self.clock.now()
        account = Account(username=username, display_name=display_name or username,
                          roles=sorted(set(roles)), post=post, vendor=vendor,
                          expires_at=expires_at, password_hash="", created_at=now, group=group)
        check_account(account)  # before looking the name up: PostgreSQL refuses a NUL in it
        check_roles(account.roles, self.roles())
        self._check_group(account)
        self._check_vendor_expiry(account, now)
        account = replace(account, password_hash=hash_password(password))
        actor_name = actor.username if actor else "-"
        self.store.create_account(account, [account_entry(ACCOUNT_CREATED, account,
                                                          actor_name, now)])
        return account

    def update(self, actor: Account, username: str, *, roles: list[str] | None = None,
               post: str | None = None, disabled: bool | None = None,
               expires_at: datetime | None = None, group: str | None = None) -> Account:
        """Change an account's roles, post, group (``""`` clears it), expiry or disabled
        flag (admins only)."""
        self._require_admin(actor)
        now = self.clock.now()
        if roles is not None:
            check_roles(sorted(set(roles)), self.roles())
        declared = self.groups() if self.groups and (group or post is not None) else None

        def change(account: Account, accounts: list[Account]) -> Account:
            after = replace(account, roles=sorted(set(roles)) if roles is not None
                            else account.roles, post=account.post if post is None else post,
                            disabled=account.disabled if disabled is None else disabled,
                            expires_at=expires_at or account.expires_at,
                            group=account.group if group is None else group or None)
            check_account(after)
            if declared is not None:
                check_group(after, declared)
            if expires_at is not None:
                self._check_vendor_expiry(after, now)
            keep_an_admin(account, after, accounts, now)
            return after

        return self.store.change_account(username, change, self._entries(ACCOUNT_CHANGED,
                                                                         actor, now))

    def set_password(self, actor: Account, username: str, password: str) -> Account:
        """Change a password: your own, or anyone's as an admin. Ends its sessions."""
        if actor.username != username:
            self._require_admin(actor)
        new_hash = hash_password(password)  # the slow step, before the transaction
        now = self.clock.now()

        def change(account: Account, accounts: list[Account]) -> Account:
            return replace(account, password_hash=new_hash, failed_logins=0,
                           locked_until=None)

        return self.store.change_account(username, change,
                                         self._entries(PASSWORD_CHANGED, actor, now))

    def unlock(self, actor: Account, username: str) -> Account:
        """Lift a brute-force lock-out and reset the failure count (admins only)."""
        self._require_admin(actor)
        now = self.clock.now()

        def change(account: Account, accounts: list[Account]) -> Account:
            return replace(account, failed_logins=0, locked_until=None)

        def journal(account: Account) -> list[AdminEntry]:
            return [AdminEntry(at=now, actor=actor.username, kind=ACCOUNT_UNLOCKED,
                               subject=account.username)]

        return self.store.change_account(username, change, journal)

    def end_sessions(self, actor: Account, username: str) -> Account:
        """End every login session of an account (admins only); journaled."""
        self._require_admin(actor)
        now = self.clock.now()

        def journal(account: Account) -> list[AdminEntry]:
            return [AdminEntry(at=now, actor=actor.username, kind=SESSIONS_ENDED,
                               subject=account.username)]

        return self.store.change_account(username, lambda account, _: account, journal)

    def set_setting(self, actor: Account, key: str, text: str) -> int:
        """Change a desk-wide setting (admins only); journaled; its new value."""
        self._require_admin(actor)
        value = setting(key).parse(text)
        self.store.set_setting(key, str(value), AdminEntry(
            at=self.clock.now(), actor=actor.username, kind=SETTING_CHANGED, subject=key,
            details={"value": value}))
        return value

    def _check_group(self, account: Account) -> None:
        if self.groups is not None:
            check_group(account, self.groups())

    def _check_vendor_expiry(self, account: Account, now: datetime) -> None:
        """A vendor account expires, and no later than the desk's vendor limit."""
        if not account.vendor:
            return
        limit = vendor_limit(self.store)
        if account.expires_at is None:
            raise BadRequest(f"a vendor account needs an expiry (--expires), at most "
                             f"{limit.days} day(s) ahead")
        if account.expires_at > now + limit:
            raise Forbidden(f"a vendor account expires at most {limit.days} day(s) ahead "
                            f"(the setting {VENDOR_MAX_DAYS})")

    def _entries(self, kind: str, actor: Account, now: datetime
                 ) -> Callable[[Account], list[AdminEntry]]:
        return lambda account: [account_entry(kind, account, actor.username, now)]

    def _require_admin(self, actor: Account | None, *, allow_first: bool = False) -> None:
        if actor is None and allow_first and not self.store.list_accounts():
            return
        if actor is None or SUPERUSER not in actor.roles:
            raise Forbidden(f"managing accounts needs the {SUPERUSER} role")
        ensure_active(actor, self.clock.now())


