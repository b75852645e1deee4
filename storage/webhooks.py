"""The store's webhook rows: subscriptions, queued deliveries and the log of attempts.

:class:`WebhookRows` is mixed into :class:`storage.store.SqlStore` and implements
:class:`engine.desk.webhooks.WebhookStore`. Cursors move by a conditional UPDATE in the
transaction that writes the deliveries; deliveries are claimed like timers (a lease, and
``FOR UPDATE SKIP LOCKED`` on PostgreSQL).

On PostgreSQL, ids are taken when a row is inserted but become visible when its transaction
commits, so a lower id can appear after a higher one was read. The outbox and the journal
are therefore read only up to rows older than :data:`SETTLE` there; a transaction that
stays open longer than that after writing its event could be passed over (SQLite commits
one writer at a time, in id order: nothing to wait for).
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update

from engine.core.admin_journal import AdminEntry
from engine.core.errors import NotFound
from engine.core.model import Notification
from engine.desk.webhooks import Attempt, Claimed, Delivery, Queued, StateChange, Subscription
from storage.models import metadata
from storage.rows import Rows

HOOKS, DELIVERIES, ATTEMPTS, OUTBOX, EVENTS, TICKETS = (
    metadata.tables[name] for name in ("webhooks", "webhook_deliveries", "webhook_attempts",
                                       "outbox", "events", "tickets"))
SETTLE = timedelta(seconds=5)
STATE_KINDS = ("open", "fire", "timer", "migrate")
SUBSCRIPTION_COLUMNS = tuple(f.name for f in fields(Subscription))
DELIVERY_COLUMNS = tuple(f.name for f in fields(Delivery))
ATTEMPT_COLUMNS = tuple(f.name for f in fields(Attempt))
NOTIFICATION_COLUMNS = tuple(f.name for f in fields(Notification))


class WebhookRows(Rows):
    """Webhook subscriptions, deliveries and attempts on the store's engine."""

    def add_webhook(self, *, url: str, topics: list[str], secret: str, created_at: datetime,
                    created_by: str, journal: AdminEntry) -> Subscription:
        """Insert a subscription starting after the newest outbox row and event."""
        with self._writing() as connection:
            outbox = connection.execute(select(func.max(OUTBOX.c.id))).scalar() or 0
            event = connection.execute(select(func.max(EVENTS.c.id))).scalar() or 0
            values: dict[str, Any] = {
                "url": url, "topics": topics, "secret": secret, "created_at": created_at,
                "created_by": created_by, "active": True, "outbox_cursor": outbox,
                "event_cursor": event}
            webhook_id = connection.execute(insert(HOOKS).values(values)
                                            .returning(HOOKS.c.id)).scalar_one()
            entry = replace(journal, subject=str(webhook_id))
            self._hot.admin.write(connection.connection.cursor(), [entry], [])
        return Subscription(id=webhook_id, **values)

    def list_webhooks(self, *, active: bool | None = None) -> list[Subscription]:
        statement = select(*(HOOKS.c[n] for n in SUBSCRIPTION_COLUMNS)).order_by(HOOKS.c.id)
        if active is not None:
            statement = statement.where(HOOKS.c.active.is_(active))
        return [Subscription(**row._mapping) for row in self._read(statement)]

    def remove_webhook(self, webhook_id: int, *, journal: AdminEntry) -> Subscription:
        """Deactivate an active subscription with its journal entry; NotFound if none."""
        statement = (update(HOOKS).where(HOOKS.c.id == webhook_id, HOOKS.c.active.is_(True))
                     .values(active=False)
                     .returning(*(HOOKS.c[n] for n in SUBSCRIPTION_COLUMNS)))
        with self._writing() as connection:
            rows = list(connection.execute(statement))
            if not rows:
                raise NotFound(f"no active webhook {webhook_id}")
            self._hot.admin.write(connection.connection.cursor(), [journal], [])
        return Subscription(**rows[0]._mapping)

    def outbox_since(self, after: int, *, limit: int, now: datetime) -> list[Notification]:
        statement = (select(*(OUTBOX.c[n] for n in NOTIFICATION_COLUMNS))
                     .where(OUTBOX.c.id > after, OUTBOX.c.at <= self._settled(now))
                     .order_by(OUTBOX.c.id).limit(limit))
        return [Notification(**row._mapping) for row in self._read(statement)]

    def state_changes_since(self, after: int, *, limit: int, now: datetime
                            ) -> tuple[list[StateChange], int]:
        """State changes after an event id, and the last event id read (of any kind)."""
        statement = (select(EVENTS.c.id, EVENTS.c.ticket_id, TICKETS.c.process, EVENTS.c.seq,
                            EVENTS.c.at, EVENTS.c.actor, EVENTS.c.kind, EVENTS.c.trigger,
                            EVENTS.c.source, EVENTS.c.dest)
                     .join(TICKETS, TICKETS.c.id == EVENTS.c.ticket_id)
                     .where(EVENTS.c.id > after, EVENTS.c.at <= self._settled(now))
                     .order_by(EVENTS.c.id).limit(limit))
        rows = self._read(statement)
        changes = [StateChange(**row._mapping) for row in rows
                   if row.kind in STATE_KINDS and (row.kind == "open" or row.source != row.dest)]
        return changes, (int(rows[-1].id) if rows else after)

    def queue_deliveries(self, queued: Queued, *, now: datetime) -> bool:
        """Write the deliveries and move the cursors, only while they are as read."""
        (outbox, event), (to_outbox, to_event) = queued.cursors, queued.moved
        move = (update(HOOKS).where(HOOKS.c.id == queued.webhook_id,
                                    HOOKS.c.outbox_cursor == outbox,
                                    HOOKS.c.event_cursor == event)
                .values(outbox_cursor=to_outbox, event_cursor=to_event))
        with self._writing() as connection:
            if connection.execute(move).rowcount != 1:
                return False
            if queued.items:
                connection.execute(insert(DELIVERIES), [
                    {"webhook_id": queued.webhook_id, "topic": topic, "body": body,
                     "status": "pending", "attempts": 0, "created_at": now, "next_at": now}
                    for topic, body in queued.items])
        return True

    def claim_webhook_deliveries(self, now: datetime, limit: int, *, worker: str,
                         lease: timedelta) -> list[Claimed]:
        """Claim due pending deliveries of active subscriptions, oldest first."""
        free = or_(DELIVERIES.c.claimed_until.is_(None), DELIVERIES.c.claimed_until <= now,
                   DELIVERIES.c.claimed_by == worker)
        active = select(HOOKS.c.id).where(HOOKS.c.active.is_(True))
        picked = (select(DELIVERIES.c.id)
                  .where(DELIVERIES.c.status == "pending", DELIVERIES.c.next_at <= now, free,
                         DELIVERIES.c.webhook_id.in_(active.scalar_subquery()))
                  .order_by(DELIVERIES.c.next_at, DELIVERIES.c.id).limit(max(limit, 0))
                  .with_for_update(of=DELIVERIES, skip_locked=True))
        claim = (update(DELIVERIES).where(DELIVERIES.c.id.in_(picked.scalar_subquery()))
                 .values(claimed_by=worker, claimed_until=now + lease)
                 .returning(*(DELIVERIES.c[n] for n in DELIVERY_COLUMNS)))
        with self._writing() as connection:
            claimed = [Delivery(**row._mapping) for row in connection.execute(claim)]
        hooks = {hook.id: hook for hook in self.list_webhooks()} if claimed else {}
        return [Claimed(d, hooks[d.webhook_id].url, hooks[d.webhook_id].secret)
                for d in sorted(claimed, key=lambda d: (d.next_at, d.id))]

    def record_attempt(self, attempt: Attempt, *, worker: str, status: str,
                       next_at: datetime) -> None:
        """Log the attempt and settle the delivery, releasing this worker's claim."""
        settle = (update(DELIVERIES)
                  .where(DELIVERIES.c.id == attempt.delivery_id,
                         DELIVERIES.c.claimed_by == worker, DELIVERIES.c.status == "pending")
                  .values(status=status, attempts=DELIVERIES.c.attempts + 1, next_at=next_at,
                          delivered_at=attempt.at if status == "delivered" else None,
                          claimed_by=None, claimed_until=None))
        values = {name: getattr(attempt, name) for name in ATTEMPT_COLUMNS}
        values["error"] = (values["error"] or None) and str(values["error"])[:500]
        with self._writing() as connection:
            connection.execute(insert(ATTEMPTS).values(values))
            connection.execute(settle)

    def webhook_deliveries(self, *, webhook_id: int | None, limit: int) -> list[Delivery]:
        statement = (select(*(DELIVERIES.c[n] for n in DELIVERY_COLUMNS))
                     .order_by(DELIVERIES.c.id.desc()).limit(limit))
        if webhook_id is not None:
            statement = statement.where(DELIVERIES.c.webhook_id == webhook_id)
        return [Delivery(**row._mapping) for row in self._read(statement)]

    def attempts(self, delivery_ids: list[int]) -> list[Attempt]:
        if not delivery_ids:
            return []
        statement = (select(*(ATTEMPTS.c[n] for n in ATTEMPT_COLUMNS))
                     .where(ATTEMPTS.c.delivery_id.in_(delivery_ids)).order_by(ATTEMPTS.c.id))
        return [Attempt(**row._mapping) for row in self._read(statement)]

    def _settled(self, now: datetime) -> datetime:
        return now if self.engine.dialect.name == "sqlite" else now - SETTLE
