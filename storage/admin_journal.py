"""Appending to the admin journal inside whichever transaction records the change.

The entry is chained to the journal's head read in the same transaction (SQLite's
``BEGIN IMMEDIATE`` already serialises writers; PostgreSQL locks the table first), and
sealed with :func:`engine.core.admin_journal.chained`. Accounts the change saves are upserted
in the same transaction, and their login sessions ended there. A vendor account's opening
inserts its row of ``vendor_accesses``, whose primary key is the account: a second open
access to the same account (two tickets at once) fails with a Conflict; its closing
deletes the row. Statements are rendered once, like the hot path's.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from importlib import import_module
from typing import Any

from sqlalchemy import Engine, bindparam, delete, insert, select

from engine.core.admin_journal import VENDOR_CLOSED, VENDOR_OPENED, AdminEntry, chained
from engine.core.errors import Conflict
from engine.core.journal import GENESIS
from engine.core.model import Account
from storage.codec import Codec
from storage.models import metadata
from storage.rendered import render

ADMIN = metadata.tables["admin_journal"]
ACCOUNTS = metadata.tables["accounts"]
SESSIONS = metadata.tables["login_sessions"]
ACCESSES = metadata.tables["vendor_accesses"]
ENTRY_COLUMNS = ("seq", "at", "actor", "kind", "subject", "details", "prev_hash", "hash")
ACCOUNT_COLUMNS = tuple(column.name for column in ACCOUNTS.columns)


class AdminWriter:
    """Rendered statements that append entries and save accounts on a driver cursor."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        self.codec = Codec(sqlite=dialect.name == "sqlite")
        self.lock = None if self.codec.sqlite else (
            "LOCK TABLE admin_journal IN SHARE ROW EXCLUSIVE MODE")
        self.head = render(select(ADMIN.c.seq, ADMIN.c.hash).order_by(ADMIN.c.seq.desc())
                           .limit(bindparam("b_limit")), dialect)
        self.insert = render(insert(ADMIN).values(
            {name: bindparam(name) for name in ENTRY_COLUMNS}), dialect)
        dialect_module = import_module(f"sqlalchemy.dialects.{dialect.name}")  # only this one
        upsert = dialect_module.insert(ACCOUNTS).values(
            {name: bindparam(name) for name in ACCOUNT_COLUMNS})
        self.save_account = render(upsert.on_conflict_do_update(
            index_elements=[ACCOUNTS.c.username],
            set_={name: upsert.excluded[name] for name in ACCOUNT_COLUMNS[1:]}), dialect)
        self.end_sessions = render(delete(SESSIONS).where(
            SESSIONS.c.username == bindparam("b_username")), dialect)
        self.open_access = render(insert(ACCESSES).values(
            {name: bindparam(name) for name in ("username", "ticket_id", "opened_at",
                                                "expires_at")}), dialect)
        self.drop_access = render(delete(ACCESSES).where(
            ACCESSES.c.username == bindparam("b_username"),
            (ACCESSES.c.ticket_id == bindparam("b_ticket"))
            | (ACCESSES.c.expires_at <= bindparam("b_now"))), dialect)

    def write(self, cursor: Any, entries: list[AdminEntry], accounts: list[Account]
              ) -> list[AdminEntry]:
        """Save the accounts and append the entries; the entries as chained."""
        for account in accounts:
            cursor.execute(self.save_account.sql,
                           self.save_account.params(self._account_values(account)))
            cursor.execute(self.end_sessions.sql,
                           self.end_sessions.params({"b_username": account.username}))
        for entry in entries:
            if entry.kind in (VENDOR_OPENED, VENDOR_CLOSED):
                self._vendor_access(cursor, entry)
        if not entries:
            return []
        if self.lock:
            cursor.execute(self.lock)
        seq, previous = self.read_head(cursor)
        placed = []
        for entry in entries:
            seq += 1
            entry = chained(entry, seq=seq, prev_hash=previous)
            cursor.execute(self.insert.sql, self.insert.params(self._entry_values(entry)))
            placed.append(entry)
            previous = entry.hash
        return placed

    def _vendor_access(self, cursor: Any, entry: AdminEntry) -> None:
        """Close the account's access (or an expired one), and open the new one if any."""
        ticket = entry.details.get("ticket")
        cursor.execute(self.drop_access.sql, self.drop_access.params(
            {"b_username": entry.subject, "b_ticket": ticket,
             "b_now": self.codec.time(entry.at)}))
        if entry.kind != VENDOR_OPENED:
            return
        expires = entry.details["account"]["expires_at"]
        values = {"username": entry.subject, "ticket_id": ticket,
                  "opened_at": self.codec.time(entry.at),
                  "expires_at": self.codec.time(datetime.fromisoformat(expires))}
        try:
            cursor.execute(self.open_access.sql, self.open_access.params(values))
        except Exception as exc:
            if "IntegrityError" not in {cls.__name__ for cls in type(exc).__mro__}:
                raise
            raise Conflict(f"vendor account {entry.subject!r} already has an open access on "
                           "another ticket: close it there first", ticket=ticket) from None

    def read_head(self, cursor: Any) -> tuple[int, str]:
        """The seq and hash of the journal's latest entry ((0, GENESIS) when empty)."""
        cursor.execute(self.head.sql, self.head.params({"b_limit": 1}))
        rows = cursor.fetchall()
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS)

    def _entry_values(self, entry: AdminEntry) -> dict[str, Any]:
        return {"seq": entry.seq, "at": self.codec.time(entry.at), "actor": entry.actor,
                "kind": entry.kind, "subject": entry.subject,
                "details": self.codec.json(entry.details), "prev_hash": entry.prev_hash,
                "hash": entry.hash}

    def _account_values(self, account: Account) -> dict[str, Any]:
        values = asdict(account)
        values["roles"] = self.codec.json(account.roles)
        for name in ("expires_at", "created_at", "last_login_at"):
            values[name] = self.codec.time(values[name])
        return values


def entry_from_row(row: Any) -> AdminEntry:
    """An admin journal entry read back through SQLAlchemy."""
    return AdminEntry(**row._mapping)
