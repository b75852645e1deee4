"""The store's rows for the systems around the desk: API tokens and alert links.

:class:`IntegrationRows` is mixed into :class:`storage.store.SqlStore`; it implements
:class:`engine.accounts.tokens.TokenStore` and :class:`engine.desk.intake.AlertStore`.
Every change is one transaction, and every change of a row that others may change at the
same time is a conditional UPDATE (or an INSERT against a unique key), never a read first.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, insert, or_, select, update

from engine.accounts.tokens import ApiToken
from engine.core.admin_journal import AdminEntry
from engine.core.errors import BadRequest, Conflict, NotFound
from engine.core.model import Account, Change, NewTicket, Ticket
from engine.desk.intake import AlertLink
from storage.codec import Codec
from storage.errors import IntegrityViolation, map_db_errors
from storage.models import ALERT_KEY, metadata
from storage.rendered import Rendered, render
from storage.rows import Rows

TOKENS, ALERTS, ACCOUNTS = (metadata.tables[name] for name in ("api_tokens", "alerts",
                                                               "accounts"))
TOKEN_COLUMNS = tuple(f.name for f in fields(ApiToken))
ACCOUNT_COLUMNS = tuple(f.name for f in fields(Account))
TOKEN_TIMES = ("created_at", "expires_at", "revoked_at", "last_used_at")
ACCOUNT_TIMES = ("expires_at", "created_at", "last_login_at")
LINK_COLUMNS = tuple(f.name for f in fields(AlertLink))


class IntegrationRows(Rows):
    """API tokens and alert links, on the store's engine and hot path."""

    # -- API tokens ----------------------------------------------------------------------

    def add_token(self, *, name: str, username: str, token_hash: str, created_at: datetime,
                  created_by: str, expires_at: datetime | None, journal: AdminEntry
                  ) -> ApiToken:
        """Insert a token with its admin journal entry; BadRequest when the name is taken."""
        values = {"name": name, "username": username, "token_hash": token_hash,
                  "created_at": created_at, "created_by": created_by, "expires_at": expires_at}
        try:
            with self._writing() as connection:
                token_id = connection.execute(insert(TOKENS).values(values)
                                              .returning(TOKENS.c.id)).scalar_one()
                self._hot.admin.write(connection.connection.cursor(), [journal], [])
        except IntegrityViolation as exc:
            raise BadRequest(f"an API token named {name!r} exists already") from exc
        return ApiToken(id=token_id, name=name, username=username, created_at=created_at,
                        created_by=created_by, expires_at=expires_at)

    def list_tokens(self) -> list[ApiToken]:
        """Every token, oldest first."""
        return [ApiToken(**row._mapping) for row in self._read(_tokens().order_by(TOKENS.c.id))]

    def token_with_account(self, token_hash: str) -> tuple[ApiToken, Account]:
        """The token with this hash and its account as they are now, in one read on the
        driver connection (every API request makes it); NotFound when no token has it."""
        hot = self._hot
        statement = self._token_lookup()
        with map_db_errors(), hot.connections.exclusive:
            cursor = hot.connections.cursor()
            cursor.execute(statement.sql, statement.params({"hash": token_hash}))
            rows = cursor.fetchall()
        if not rows:
            raise NotFound("no such API token")
        return _decoded(rows[0], hot.codec)

    def _token_lookup(self) -> Rendered:
        rendered: Rendered | None = getattr(self, "_token_lookup_sql", None)
        if rendered is None:
            columns = [TOKENS.c[n] for n in TOKEN_COLUMNS] + [ACCOUNTS.c[n] for n in
                                                              ACCOUNT_COLUMNS]
            rendered = render(select(*columns).join(ACCOUNTS, ACCOUNTS.c.username ==
                                                    TOKENS.c.username)
                              .where(TOKENS.c.token_hash == bindparam("hash")),
                              self.engine.dialect)
            self._token_lookup_sql = rendered
        return rendered

    def revoke_token(self, name: str, *, at: datetime, journal: AdminEntry) -> ApiToken:
        """Revoke a live token with its journal entry; NotFound when none has the name."""
        revoke = (update(TOKENS).where(TOKENS.c.name == name, TOKENS.c.revoked_at.is_(None))
                  .values(revoked_at=at).returning(*(TOKENS.c[n] for n in TOKEN_COLUMNS)))
        with self._writing() as connection:
            rows = list(connection.execute(revoke))
            if not rows:
                raise NotFound(f"no live API token named {name!r}")
            self._hot.admin.write(connection.connection.cursor(), [journal], [])
        return ApiToken(**rows[0]._mapping)

    def mark_token_used(self, token_id: int, *, at: datetime, every: timedelta,
                        journal: AdminEntry) -> bool:
        """Note a use at most once per ``every`` (a conditional update), with its entry."""
        stale = or_(TOKENS.c.last_used_at.is_(None), TOKENS.c.last_used_at <= at - every)
        mark = update(TOKENS).where(TOKENS.c.id == token_id, stale).values(last_used_at=at)
        with self._writing() as connection:
            if connection.execute(mark).rowcount != 1:
                return False
            self._hot.admin.write(connection.connection.cursor(), [journal], [])
        return True

    # -- alert links ---------------------------------------------------------------------

    def alert_link(self, source: str, key: str) -> AlertLink | None:
        """The ticket an alert's source and key point at (None: never seen)."""
        rows = self._read(select(*(ALERTS.c[n] for n in LINK_COLUMNS))
                          .where(ALERTS.c.source == source, ALERTS.c.key == key))
        return AlertLink(**rows[0]._mapping) if rows else None

    def open_alert_ticket(self, new: NewTicket, *, source: str, key: str,
                          replacing: int | None, level: int) -> Ticket:
        """Open the ticket and point (source, key) at it, in one transaction; Conflict when
        another post inserted or moved the link first (the ticket is then not opened)."""
        at = new.ticket.opened_at
        values = {"source": source, "key": key, "level": level, "at": at}

        def link(cursor: Any, ticket: Ticket) -> None:
            statement = self._link_statement(replacing is None)
            cursor.execute(statement.sql, statement.params(
                {**values, "ticket_id": ticket.id, "replacing": replacing,
                 "at": self._hot.codec.time(at)}))
            if replacing is not None and cursor.rowcount != 1:
                raise Conflict(f"alert {source}/{key} got a new ticket meanwhile")

        try:
            return self._hot.open_ticket(new, then=link)
        except IntegrityViolation as exc:
            if ALERT_KEY in str(exc) or "alerts.source" in str(exc):
                raise Conflict(f"alert {source}/{key} got its ticket meanwhile") from exc
            raise

    def apply_alert(self, change: Change, *, source: str, key: str, repeats: int,
                    status: str) -> None:
        """Apply a change with the link's counter and status, only while the link still
        points at the ticket with the counter it was read with (else Conflict)."""
        statement = self._link_statement(None)
        before = repeats - 1 if status != "resolved" else repeats

        def count(cursor: Any, ticket: Ticket) -> None:
            cursor.execute(statement.sql, statement.params({
                "source": source, "key": key, "ticket": ticket.id, "before": before,
                "repeats": repeats, "status": status,
                "at": self._hot.codec.time(ticket.updated_at)}))
            if cursor.rowcount != 1:
                raise Conflict(f"alert {source}/{key} changed meanwhile", ticket=ticket.id)

        with map_db_errors(ticket=change.ticket.id):
            self._hot.apply(change, then=count)

    def _link_statement(self, new: bool | None) -> Rendered:
        """The rendered INSERT (new link), move (to a new ticket) or count of a link."""
        dialect = self.engine.dialect
        b = bindparam
        if new:
            return render(insert(ALERTS).values(
                source=b("source"), key=b("key"), ticket_id=b("ticket_id"), level=b("level"),
                repeats=0, status="firing", first_at=b("at"), last_at=b("at")), dialect)
        where = and_(ALERTS.c.source == b("source"), ALERTS.c.key == b("key"))
        if new is False:
            return render(update(ALERTS).where(where, ALERTS.c.ticket_id == b("replacing"))
                          .values(ticket_id=b("ticket_id"), level=b("level"), repeats=0,
                                  status="firing", first_at=b("at"), last_at=b("at")), dialect)
        return render(update(ALERTS).where(where, ALERTS.c.ticket_id == b("ticket"),
                                           ALERTS.c.repeats == b("before"))
                      .values(repeats=b("repeats"), status=b("status"), last_at=b("at")),
                      dialect)


def _decoded(row: Any, codec: Codec) -> tuple[ApiToken, Account]:
    """A token and account row read on the driver connection, as engine objects."""
    token = dict(zip(TOKEN_COLUMNS, row[:len(TOKEN_COLUMNS)], strict=True))
    account = dict(zip(ACCOUNT_COLUMNS, row[len(TOKEN_COLUMNS):], strict=True))
    for values, names in ((token, TOKEN_TIMES), (account, ACCOUNT_TIMES)):
        for name in names:
            values[name] = codec.read_time(values[name]) if values[name] is not None else None
    account["roles"] = codec.read_json(account["roles"])
    account["vendor"], account["disabled"] = bool(account["vendor"]), bool(account["disabled"])
    return ApiToken(**token), Account(**account)


def _tokens() -> Select[Any]:
    return select(*(TOKENS.c[n] for n in TOKEN_COLUMNS))
