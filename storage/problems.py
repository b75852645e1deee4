"""Problem links in SQL: one row per linked ticket (its primary key: at most one problem
each), written in the same transaction as the journal entries on both tickets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select

from engine.core.errors import Conflict
from engine.core.model import Change, Ticket
from engine.desk.problems import ProblemLink
from storage.errors import IntegrityViolation
from storage.models import metadata
from storage.rendered import render
from storage.rows import Rows

LINKS = metadata.tables["problem_links"]
COLUMNS = ("ticket_id", "problem_id", "linked_at", "linked_by")


class ProblemRows(Rows):
    """The problem-link half of the store (mixed into :class:`storage.store.SqlStore`)."""

    def problem_link(self, ticket_id: int) -> ProblemLink | None:
        rows = self._read(select(*(LINKS.c[n] for n in COLUMNS))
                          .where(LINKS.c.ticket_id == ticket_id))
        return ProblemLink(**rows[0]._mapping) if rows else None

    def problem_links(self, problem_id: int | None = None) -> list[ProblemLink]:
        statement = select(*(LINKS.c[n] for n in COLUMNS)).order_by(LINKS.c.ticket_id)
        if problem_id is not None:
            statement = statement.where(LINKS.c.problem_id == problem_id)
        return [ProblemLink(**row._mapping) for row in self._read(statement)]

    def save_problem_link(self, changes: list[Change], *, add: ProblemLink | None = None,
                          remove: ProblemLink | None = None) -> None:
        """Both tickets' changes and the link's row in one transaction: Conflict when the
        ticket got a link meanwhile (add) or its link changed meanwhile (remove)."""
        first, *others = changes
        dialect, b = self.engine.dialect, bindparam
        if add is not None:
            statement = render(insert(LINKS).values({n: b(n) for n in COLUMNS}), dialect)
        else:
            statement = render(delete(LINKS).where(LINKS.c.ticket_id == b("ticket_id"),
                                                   LINKS.c.problem_id == b("problem_id")),
                               dialect)
        link = add or remove
        assert link is not None

        def along(cursor: Any, ticket: Ticket) -> None:
            for change in others:
                self._hot._write(cursor, change.ticket, change)
            values = {"ticket_id": link.ticket_id, "problem_id": link.problem_id,
                      "linked_at": self._hot.codec.time(link.linked_at),
                      "linked_by": link.linked_by}
            cursor.execute(statement.sql, statement.params(values))
            if cursor.rowcount != 1:
                raise Conflict(f"the link of ticket {link.ticket_id} changed meanwhile",
                               ticket=link.ticket_id)

        try:
            self._hot.apply(first, then=along)
        except IntegrityViolation as exc:
            raise Conflict(f"ticket {link.ticket_id} got a problem meanwhile",
                           ticket=link.ticket_id) from exc
