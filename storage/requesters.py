"""Requesters in SQL: one row per mail address, and which requester each ticket is for;
and the queue views accounts save (read beside the requester names the queues show)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import Connection, Select, delete, select, update

from engine.core.errors import Conflict, NotFound
from engine.core.model import Requester, SavedView
from storage.errors import IntegrityViolation
from storage.models import metadata
from storage.rows import Rows
from storage.search import IndexWriter, document_text

REQUESTERS, LINKS = metadata.tables["requesters"], metadata.tables["ticket_requesters"]
VIEWS = metadata.tables["saved_views"]
REQUESTER_COLUMNS = tuple(f.name for f in fields(Requester))


class RequesterRows(Rows):
    """The requester half of the store (mixed into :class:`storage.store.SqlStore`)."""

    def add_requester(self, requester: Requester) -> Requester:
        """Insert a requester; Conflict when the address is taken."""
        values = _values(requester)
        with self._writing() as connection:
            statement = self._dialect_insert(connection)(REQUESTERS).values(values)
            found = connection.execute(statement.on_conflict_do_nothing(
                index_elements=[REQUESTERS.c.email]).returning(REQUESTERS.c.id)).first()
        if found is None:
            raise Conflict(f"a requester with the address {requester.email!r} exists")
        return self.get_requester(int(found[0]))

    def find_or_add_requester(self, requester: Requester) -> Requester:
        """The requester of this address, added first when there is none (race-free)."""
        values = _values(requester)
        with self._writing() as connection:
            statement = self._dialect_insert(connection)(REQUESTERS).values(values)
            connection.execute(statement.on_conflict_do_nothing(
                index_elements=[REQUESTERS.c.email]))
        return self.requester_by_email(requester.email)

    def get_requester(self, requester_id: int) -> Requester:
        return self._one(REQUESTERS.c.id == requester_id, f"no requester {requester_id}")

    def requester_by_email(self, email: str) -> Requester:
        return self._one(REQUESTERS.c.email == email.lower(), f"no requester {email!r}")

    def list_requesters(self, *, after: int | None = None, limit: int = 100
                        ) -> list[Requester]:
        """Requesters by id, a page at a time."""
        statement = _requesters().order_by(REQUESTERS.c.id).limit(max(limit, 0))
        if after is not None:
            statement = statement.where(REQUESTERS.c.id > after)
        return [Requester(**row._mapping) for row in self._read(statement)]

    def update_requester(self, requester: Requester) -> Requester:
        """Save a requester's details (one UPDATE); Conflict when the address is another's."""
        values = {key: value for key, value in _values(requester).items()
                  if key not in ("id", "created_at")}
        try:
            with self._writing() as connection:
                done = connection.execute(update(REQUESTERS).where(
                    REQUESTERS.c.id == requester.id).values(values)).rowcount
                self._index_requester(connection, requester)
        except IntegrityViolation:  # the unique address: one UPDATE, no read before it
            raise Conflict(f"the address {requester.email!r} is another requester's") from None
        if not done:
            raise NotFound(f"no requester {requester.id}")
        return self.get_requester(int(requester.id or 0))

    def _index_requester(self, connection: Connection, requester: Requester) -> None:
        """The requester's tickets are found by the new name and address at once."""
        writer = IndexWriter(connection.dialect.name)
        writer.change_many(connection.connection.cursor(), "ticket",
                           f"SELECT ticket_id FROM ticket_requesters WHERE requester_id = "
                           f"{writer.mark}", (requester.id,), "requester",
                           document_text((requester.name, requester.email.lower(),
                                          requester.organisation)))

    def requester_names(self, ticket_ids: list[int]) -> dict[int, str]:
        """The requester's name of each of these tickets that has one (one query)."""
        if not ticket_ids:
            return {}
        rows = self._read(select(LINKS.c.ticket_id, REQUESTERS.c.name)
                          .join(REQUESTERS, REQUESTERS.c.id == LINKS.c.requester_id)
                          .where(LINKS.c.ticket_id.in_(ticket_ids)))
        return {int(row[0]): str(row[1]) for row in rows}

    def save_view(self, view: SavedView) -> None:
        """Save a view (replacing the account's view of that name)."""
        values = asdict(view)
        with self._writing() as connection:
            upsert = self._dialect_insert(connection)(VIEWS).values(values)
            connection.execute(upsert.on_conflict_do_update(
                index_elements=[VIEWS.c.username, VIEWS.c.name], set_=values))

    def delete_view(self, username: str, name: str) -> bool:
        """Delete an account's view of that name; whether there was one."""
        with self._writing() as connection:
            gone = connection.execute(delete(VIEWS).where(VIEWS.c.username == username,
                                                          VIEWS.c.name == name))
            return bool(gone.rowcount)

    def saved_views(self, username: str) -> list[SavedView]:
        """An account's saved views, by name."""
        rows = self._read(select(*(VIEWS.c[f.name] for f in fields(SavedView)))
                          .where(VIEWS.c.username == username).order_by(VIEWS.c.name))
        return [SavedView(**row._mapping) for row in rows]

    def ticket_requester(self, ticket_id: int) -> int | None:
        """The id of the requester a ticket is for (None: it is for nobody outside)."""
        rows = self._read(select(LINKS.c.requester_id).where(LINKS.c.ticket_id == ticket_id))
        return int(rows[0][0]) if rows else None

    def requester_ticket_ids(self, requester_id: int, *, limit: int = 100) -> list[int]:
        """The ids of a requester's tickets, newest first."""
        rows = self._read(select(LINKS.c.ticket_id).where(LINKS.c.requester_id == requester_id)
                          .order_by(LINKS.c.ticket_id.desc()).limit(max(limit, 0)))
        return [int(row[0]) for row in rows]

    def _one(self, condition: Any, missing: str) -> Requester:
        rows = self._read(_requesters().where(condition))
        if not rows:
            raise NotFound(missing)
        return Requester(**rows[0]._mapping)


def _requesters() -> Select[Any]:
    return select(*(REQUESTERS.c[n] for n in REQUESTER_COLUMNS))


def _values(requester: Requester) -> dict[str, Any]:
    values = asdict(requester)
    values["email"] = requester.email.lower()
    if requester.id is None:
        del values["id"]
    return values
