"""Mail in SQL: deliveries planned from a cursor, claimed and finished by workers; received
mail and its quarantine; attachments stored once by content hash.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, update

from engine.core.errors import NotFound
from engine.core.journal import Event
from engine.core.model import Delivery, Inbound
from storage.models import metadata
from storage.rows import Rows

DELIVERIES, CURSORS, INBOUND, ATTACHMENTS, EVENTS = (
    metadata.tables[name] for name in ("mail_deliveries", "mail_cursors", "mail_inbound",
                                       "attachments", "events"))
DELIVERY_COLUMNS = tuple(f.name for f in fields(Delivery))
INBOUND_COLUMNS = tuple(f.name for f in fields(Inbound))
EVENT_COLUMNS = tuple(f.name for f in fields(Event))


class MailRows(Rows):
    """The mail half of the store (mixed into :class:`storage.store.SqlStore`)."""

    # -- planning --------------------------------------------------------------------

    def mail_cursor(self, name: str) -> int:
        """How far mail has been planned from a source (0: not yet)."""
        rows = self._read(select(CURSORS.c.position).where(CURSORS.c.name == name))
        return int(rows[0][0]) if rows else 0

    def journal_after(self, position: int, limit: int) -> list[tuple[int, Event]]:
        """Journal events with a row id above ``position``, by id, with that id."""
        statement = (select(EVENTS.c.id, *(EVENTS.c[n] for n in EVENT_COLUMNS))
                     .where(EVENTS.c.id > position).order_by(EVENTS.c.id).limit(max(limit, 0)))
        result = []
        for row in self._read(statement):
            values = dict(row._mapping)
            result.append((int(values.pop("id")), Event(**values)))
        return result

    def queue_mail(self, name: str, start: int, end: int, deliveries: list[Delivery]) -> bool:
        """Move a cursor from ``start`` to ``end`` and insert its deliveries, in one
        transaction; False (nothing written) when another worker moved it first."""
        with self._writing() as connection:
            upsert = self._dialect_insert(connection)(CURSORS).values(name=name, position=0)
            connection.execute(upsert.on_conflict_do_nothing(index_elements=[CURSORS.c.name]))
            moved = connection.execute(update(CURSORS).where(
                CURSORS.c.name == name, CURSORS.c.position == start).values(position=end))
            if moved.rowcount != 1:
                connection.rollback()
                return False
            for delivery in deliveries:
                values = {k: v for k, v in asdict(delivery).items() if k != "id"}
                connection.execute(self._dialect_insert(connection)(DELIVERIES).values(values)
                                   .on_conflict_do_nothing())
        return True

    # -- sending ---------------------------------------------------------------------

    def claim_deliveries(self, now: datetime, limit: int, *, worker: str,
                         lease: timedelta) -> list[Delivery]:
        """Claim pending deliveries that are due and that no live claim holds."""
        free = or_(DELIVERIES.c.claimed_until.is_(None), DELIVERIES.c.claimed_until <= now,
                   DELIVERIES.c.claimed_by == worker)
        picked = (select(DELIVERIES.c.id)
                  .where(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now,
                         free)
                  .order_by(DELIVERIES.c.next_attempt_at, DELIVERIES.c.id).limit(max(limit, 0))
                  .with_for_update(skip_locked=True))
        claim = (update(DELIVERIES).where(DELIVERIES.c.id.in_(picked.scalar_subquery()))
                 .values(claimed_by=worker, claimed_until=now + lease)
                 .returning(*(DELIVERIES.c[n] for n in DELIVERY_COLUMNS)))
        with self._writing() as connection:
            claimed = [Delivery(**row._mapping) for row in connection.execute(claim)]
        return sorted(claimed, key=lambda d: d.id or 0)

    def finish_delivery(self, delivery: Delivery, *, worker: str) -> bool:
        """Record an attempt (sent, failed, or retried later) while ``worker`` holds the
        claim and the delivery is pending; False when it does not (nothing written)."""
        values = {"status": delivery.status, "attempts": delivery.attempts,
                  "next_attempt_at": delivery.next_attempt_at,
                  "last_error": delivery.last_error, "sent_at": delivery.sent_at,
                  "claimed_by": None, "claimed_until": None}
        with self._writing() as connection:
            done = connection.execute(update(DELIVERIES).where(
                DELIVERIES.c.id == delivery.id, DELIVERIES.c.claimed_by == worker,
                DELIVERIES.c.status == "pending").values(values)).rowcount
        return bool(done)

    def deliveries(self, *, status: str | None = None, ticket_id: int | None = None,
                   after: int | None = None, limit: int = 100) -> list[Delivery]:
        """Deliveries by id (of a status, of a ticket), a page at a time."""
        statement = (select(*(DELIVERIES.c[n] for n in DELIVERY_COLUMNS))
                     .order_by(DELIVERIES.c.id).limit(max(limit, 0)))
        if status is not None:
            statement = statement.where(DELIVERIES.c.status == status)
        if ticket_id is not None:
            statement = statement.where(DELIVERIES.c.ticket_id == ticket_id)
        if after is not None:
            statement = statement.where(DELIVERIES.c.id > after)
        return [Delivery(**row._mapping) for row in self._read(statement)]

    # -- receiving -------------------------------------------------------------------

    def save_inbound(self, inbound: Inbound) -> Inbound:
        """Record a received mail and what became of it."""
        values = {k: v for k, v in asdict(inbound).items() if k != "id"}
        with self._writing() as connection:
            new_id = connection.execute(insert(INBOUND).values(values)
                                        .returning(INBOUND.c.id)).scalar_one()
        return Inbound(**{**values, "id": int(new_id)})

    def inbound_mail(self, *, status: str | None = None, after: int | None = None,
                     limit: int = 100) -> list[Inbound]:
        """Received mail by id (of a status), a page at a time."""
        statement = (select(*(INBOUND.c[n] for n in INBOUND_COLUMNS))
                     .order_by(INBOUND.c.id).limit(max(limit, 0)))
        if status is not None:
            statement = statement.where(INBOUND.c.status == status)
        if after is not None:
            statement = statement.where(INBOUND.c.id > after)
        return [Inbound(**row._mapping) for row in self._read(statement)]

    def count_inbound(self, sender: str, since: datetime) -> int:
        """How many mails a sender sent from ``since`` on (every outcome counts)."""
        rows = self._read(select(func.count()).select_from(INBOUND).where(
            INBOUND.c.sender == sender, INBOUND.c.received_at >= since))
        return int(rows[0][0])

    def seen_message(self, message_id: str) -> Inbound | None:
        """The mail already taken in (not quarantined) with this Message-ID, if any."""
        rows = self._read(select(*(INBOUND.c[n] for n in INBOUND_COLUMNS)).where(
            INBOUND.c.message_id == message_id, INBOUND.c.status != "quarantined").limit(1))
        return Inbound(**rows[0]._mapping) if rows else None

    def save_attachment(self, digest: str, content: bytes) -> None:
        """Store a file's content under its SHA-256 (once: the same content is kept once)."""
        with self._writing() as connection:
            statement = self._dialect_insert(connection)(ATTACHMENTS).values(
                hash=digest, size=len(content), content=content)
            connection.execute(statement.on_conflict_do_nothing())

    def attachment(self, digest: str) -> bytes:
        """A stored file's content by its SHA-256."""
        rows = self._read(select(ATTACHMENTS.c.content).where(ATTACHMENTS.c.hash == digest))
        if not rows:
            raise NotFound(f"no attachment {digest[:12]}")
        return bytes(rows[0][0])
