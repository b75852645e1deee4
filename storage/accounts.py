"""Accounts, login sessions and settings in SQL: every change one conditional transaction.

A mixin of :class:`storage.store.SqlStore`. Logins write only their bookkeeping columns,
on the condition that the account still has the hash that was checked; admin changes read
and update the account in one short transaction (nothing slow inside it) and end its
sessions there too.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, insert, literal, or_, select, update

from engine.accounts.sessions import LoginSession
from engine.core.admin_journal import AdminEntry
from engine.core.errors import BadRequest, NotFound
from engine.core.model import Account
from storage.models import metadata

ACCOUNTS, SESSIONS, SETTINGS = (metadata.tables[name] for name in
                                ("accounts", "login_sessions", "settings"))
ACCOUNT_FIELDS = tuple(f.name for f in fields(Account))


class AccountRows:
    """The account, session and setting methods of the store."""

    _writing: Callable[..., AbstractContextManager[Connection]]
    _read: Callable[[Select[Any]], list[Any]]
    _admin_write: Callable[[Connection, list[AdminEntry]], list[AdminEntry]]

    # -- accounts ------------------------------------------------------------------------

    def get_account(self, username: str) -> Account:
        rows = self._read(select(ACCOUNTS).where(ACCOUNTS.c.username == username))
        if not rows:
            raise NotFound(f"no account {username!r}")
        return Account(**rows[0]._mapping)

    def list_accounts(self) -> list[Account]:
        rows = self._read(select(ACCOUNTS).order_by(ACCOUNTS.c.username))
        return [Account(**row._mapping) for row in rows]

    def create_account(self, account: Account, entries: list[AdminEntry]) -> None:
        """Insert a new account with its journal entries; BadRequest when the name is taken."""
        with self._writing(lock=ACCOUNTS.name) as connection:
            taken = connection.execute(select(ACCOUNTS.c.username).where(
                ACCOUNTS.c.username == account.username)).first()
            if taken is not None:  # the lock (or SQLite's one writer) holds it until commit
                raise BadRequest(f"account {account.username!r} exists already")
            connection.execute(insert(ACCOUNTS).values(asdict(account)))
            self._admin_write(connection, entries)

    def change_account(self, username: str,
                       change: Callable[[Account, list[Account]], Account],
                       journal: Callable[[Account], list[AdminEntry]]) -> Account:
        """Change an account in one transaction; end its sessions; journal it afterwards.

        ``change`` gets the account and every account (to keep an admin), as committed,
        with the accounts table locked against other account changes (SQLite: the one
        writer); it may raise to refuse. Only the columns it changes are written.
        """
        with self._writing(lock=ACCOUNTS.name) as connection:
            rows = connection.execute(select(ACCOUNTS).order_by(ACCOUNTS.c.username))
            accounts = [Account(**row._mapping) for row in rows]
            before = next((a for a in accounts if a.username == username), None)
            if before is None:
                raise NotFound(f"no account {username!r}")
            after = change(before, accounts)
            values = {name: getattr(after, name) for name in ACCOUNT_FIELDS
                      if getattr(after, name) != getattr(before, name)}
            if values:
                connection.execute(update(ACCOUNTS).where(ACCOUNTS.c.username == username)
                                   .values(values))
            connection.execute(SESSIONS.delete().where(SESSIONS.c.username == username))
            self._admin_write(connection, journal(after))
            return after

    def record_login(self, username: str, *, password_hash: str, new_hash: str | None,
                     now: datetime, entry: AdminEntry) -> bool:
        """Write a successful login's bookkeeping, only while the account still has
        ``password_hash`` and may act; journal it. False (nothing written) otherwise."""
        values: dict[str, Any] = {"last_login_at": now, "failed_logins": 0,
                                  "locked_until": None}
        if new_hash is not None:
            values["password_hash"] = new_hash
        statement = update(ACCOUNTS).where(
            ACCOUNTS.c.username == username, ACCOUNTS.c.password_hash == password_hash,
            ACCOUNTS.c.disabled.is_(False),
            or_(ACCOUNTS.c.expires_at.is_(None), ACCOUNTS.c.expires_at > now),
            or_(ACCOUNTS.c.locked_until.is_(None), ACCOUNTS.c.locked_until <= now),
        ).values(values)
        with self._writing() as connection:
            if connection.execute(statement).rowcount != 1:
                return False
            self._admin_write(connection, [entry])
            return True

    def count_failed_login(self, username: str, entry: AdminEntry) -> int:
        """Add one to an account's consecutive failures and journal it; the new count."""
        statement = (update(ACCOUNTS).where(ACCOUNTS.c.username == username)
                     .values(failed_logins=ACCOUNTS.c.failed_logins + 1)
                     .returning(ACCOUNTS.c.failed_logins))
        with self._writing() as connection:
            row = connection.execute(statement).first()
            self._admin_write(connection, [entry])
            return int(row[0]) if row is not None else 0

    def lock_account(self, username: str, *, failures: int, until: datetime,
                     entry: AdminEntry) -> bool:
        """Lock an account until a moment, if its failure count is still ``failures``."""
        statement = update(ACCOUNTS).where(
            ACCOUNTS.c.username == username, ACCOUNTS.c.failed_logins == failures,
        ).values(locked_until=until)
        with self._writing() as connection:
            if connection.execute(statement).rowcount != 1:
                return False
            self._admin_write(connection, [entry])
            return True

    # -- login sessions ------------------------------------------------------------------

    def save_session(self, *, token_hash: str, username: str, created_at: datetime,
                     expires_at: datetime, password_hash: str) -> bool:
        """Remember a session, only while its account has ``password_hash`` and is enabled."""
        account = select(literal(token_hash), literal(username), literal(created_at,
                                                                         ACCOUNTS.c.created_at.type),
                         literal(expires_at, ACCOUNTS.c.expires_at.type)).where(and_(
            ACCOUNTS.c.username == username, ACCOUNTS.c.password_hash == password_hash,
            ACCOUNTS.c.disabled.is_(False))).with_for_update(read=True)
        # FOR SHARE (PostgreSQL; SQLite has one writer): a disable in flight holds the
        # account's row, so this waits for it and re-reads the row as committed; a disable
        # that comes after waits for this session to commit, then deletes it.
        statement = insert(SESSIONS).from_select(
            ["token_hash", "username", "created_at", "expires_at"], account,
        ).returning(SESSIONS.c.token_hash)  # psycopg counts no rows for INSERT … SELECT
        with self._writing() as connection:
            return connection.execute(statement).first() is not None

    def session_user(self, token_hash: str, *, now: datetime) -> str:
        """The username of a live session; NotFound when unknown or expired."""
        rows = self._read(select(SESSIONS.c.username).where(
            SESSIONS.c.token_hash == token_hash, SESSIONS.c.expires_at > now))
        if not rows:
            raise NotFound("no such login session (or it expired): log in again")
        return str(rows[0][0])

    def list_sessions(self, username: str, *, now: datetime) -> list[LoginSession]:
        """The live sessions of an account, oldest first (never their tokens)."""
        rows = self._read(select(SESSIONS).where(SESSIONS.c.username == username,
                                                 SESSIONS.c.expires_at > now)
                          .order_by(SESSIONS.c.created_at, SESSIONS.c.token_hash))
        return [LoginSession(username=row.username, tag=row.token_hash[:12],
                             created_at=row.created_at, expires_at=row.expires_at)
                for row in rows]

    def end_sessions(self, *, token_hash: str | None = None, before: datetime | None = None,
                     username: str | None = None) -> int:
        """Forget one session, an account's, or every one expired before a moment; how many."""
        statement = SESSIONS.delete()
        if token_hash is not None:
            statement = statement.where(SESSIONS.c.token_hash == token_hash)
        if before is not None:
            statement = statement.where(SESSIONS.c.expires_at < before)
        if username is not None:
            statement = statement.where(SESSIONS.c.username == username)
        with self._writing() as connection:
            return int(connection.execute(statement).rowcount)

    # -- settings ------------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        """A setting's stored value (None: never set)."""
        rows = self._read(select(SETTINGS.c.value).where(SETTINGS.c.key == key))
        return str(rows[0][0]) if rows else None

    def set_setting(self, key: str, value: str, entry: AdminEntry) -> None:
        """Store a setting and journal the change, in one transaction."""
        with self._writing(lock=SETTINGS.name) as connection:
            changed = connection.execute(update(SETTINGS).where(SETTINGS.c.key == key)
                                         .values(value=value)).rowcount
            if not changed:
                connection.execute(insert(SETTINGS).values(key=key, value=value))
            self._admin_write(connection, [entry])


