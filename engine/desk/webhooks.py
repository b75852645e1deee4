"""Webhooks: outbox notifications and named state changes, POSTed as signed JSON.

A subscription names a URL and topics: ``notification`` (every outbox notification),
``notification:KIND`` (one kind, such as ``sla_breach``), ``state:NAME`` (a ticket entering
the state NAME) or ``state:*`` (every state change). A worker pass first *queues*: for each
subscription it reads the outbox and the journal after the subscription's cursors and, in
one transaction, writes a delivery per matching item and moves the cursors (a conditional
update: two workers never queue the same items twice). Then it *delivers* what is due:
each body is POSTed with ``X-Ticketflow-Signature: sha256=<HMAC-SHA256 of the body with the
subscription's secret>``; every attempt is logged; a failure is retried after a doubling
delay (up to :data:`CEILING`) until :data:`GIVE_UP` after the delivery was queued. A
receiver that is down for an hour misses nothing: its deliveries wait, queued, in the
database. Delivery is at least once: receivers drop a repeated ``X-Ticketflow-Delivery``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from engine.accounts.accounts import SUPERUSER, ensure_active
from engine.core.admin_journal import AdminEntry
from engine.core.errors import BadRequest, Forbidden
from engine.core.model import Account, Notification
from engine.time.clock import Clock

FIRST = timedelta(seconds=5)
CEILING = timedelta(minutes=5)
GIVE_UP = timedelta(days=3)
LEASE = timedelta(minutes=2)
"""How long a worker holds a delivery it claimed (longer than one POST may take)."""
TIMEOUT = 10.0
"""Seconds one POST may take."""
WEBHOOK_ADDED, WEBHOOK_REMOVED = "webhook_added", "webhook_removed"
SIGNATURE = "X-Ticketflow-Signature"
Send = Callable[[str, bytes, dict[str, str]], "Answer"]
"""POST a body with headers to a URL; the answer (never raises for network errors)."""


@dataclass(frozen=True)
class Answer:
    """What a receiver answered: an HTTP status, or the error that prevented one."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Subscription:
    """Where to POST which topics, and the secret that signs the bodies."""

    id: int
    url: str
    topics: list[str]
    secret: str
    created_at: datetime
    created_by: str
    active: bool = True
    outbox_cursor: int = 0
    event_cursor: int = 0

    def wants(self, topic: str) -> bool:
        """Whether a notification:KIND or state:NAME topic is one this subscription names."""
        family = topic.split(":", 1)[0]
        return topic in self.topics or f"{family}:*" in self.topics or (
            family == "notification" and "notification" in self.topics)


@dataclass(frozen=True)
class StateChange:
    """A journal event that moved a ticket into a state (or opened it)."""

    id: int
    ticket_id: int
    process: str
    seq: int
    at: datetime
    actor: str
    kind: str
    trigger: str | None
    source: str | None
    dest: str | None


@dataclass(frozen=True)
class Delivery:
    """One body for one subscription: pending, then delivered or failed (given up)."""

    id: int
    webhook_id: int
    topic: str
    body: str
    status: str
    attempts: int
    created_at: datetime
    next_at: datetime
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class Attempt:
    """One try to deliver, as logged."""

    delivery_id: int
    at: datetime
    status_code: int | None
    error: str | None
    seconds: float


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker claimed, with where it goes."""

    delivery: Delivery
    url: str
    secret: str


@dataclass(frozen=True)
class Queued:
    """Deliveries to write for one subscription, and where its cursors move."""

    webhook_id: int
    cursors: tuple[int, int]
    """The (outbox, event) cursors the items were read after."""
    moved: tuple[int, int]
    items: list[tuple[str, str]] = field(default_factory=list)
    """(topic, body) pairs."""


class WebhookStore(Protocol):
    """The part of the store port that webhooks need."""

    def add_webhook(self, *, url: str, topics: list[str], secret: str, created_at: datetime,
                    created_by: str, journal: AdminEntry) -> Subscription:
        """Insert a subscription whose cursors start at the newest outbox row and event."""
        ...

    def list_webhooks(self, *, active: bool | None = None) -> list[Subscription]: ...

    def remove_webhook(self, webhook_id: int, *, journal: AdminEntry) -> Subscription:
        """Deactivate a subscription (its pending deliveries stop); NotFound if none."""
        ...

    def outbox_since(self, after: int, *, limit: int, now: datetime) -> list[Notification]:
        """Outbox rows after an id, settled (no older one may still commit), oldest first."""
        ...

    def state_changes_since(self, after: int, *, limit: int, now: datetime
                            ) -> tuple[list[StateChange], int]:
        """State changes after an event id, settled, oldest first; and the last event id
        looked at (events that change no state are skipped but counted)."""
        ...

    def queue_deliveries(self, queued: Queued, *, now: datetime) -> bool:
        """Write the deliveries and move the cursors in one transaction, only while the
        cursors are as read (else nothing: another worker queued them); whether it did."""
        ...

    def claim_webhook_deliveries(self, now: datetime, limit: int, *, worker: str,
                         lease: timedelta) -> list[Claimed]:
        """Claim due pending deliveries of active subscriptions that no live claim holds."""
        ...

    def record_attempt(self, attempt: Attempt, *, worker: str, status: str,
                       next_at: datetime) -> None:
        """Log an attempt and set the delivery's status, attempts and next try, releasing
        this worker's claim, in one transaction."""
        ...

    def webhook_deliveries(self, *, webhook_id: int | None, limit: int) -> list[Delivery]:
        """The newest deliveries (of one subscription), newest first."""
        ...

    def attempts(self, delivery_ids: list[int]) -> list[Attempt]: ...

    def append_admin(self, entries: list[AdminEntry], *, accounts: list[Account] | None = None
                     ) -> list[AdminEntry]: ...


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def delay(attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: doubling, up to the ceiling."""
    factor: int = 2 ** min(max(attempts - 1, 0), 20)
    return min(FIRST * factor, CEILING)


def check_topics(topics: list[str]) -> list[str]:
    """The topics, or BadRequest naming the first one that is not a known form."""
    if not topics:
        raise BadRequest("name at least one topic: notification, notification:KIND, "
                         "state:NAME or state:*")
    for topic in topics:
        family, _, name = topic.partition(":")
        if family not in ("notification", "state") or (family == "state" and not name) \
                or len(topic) > 80 or not topic.isprintable():
            raise BadRequest(f"unknown topic {topic[:80]!r}: use notification, "
                             "notification:KIND, state:NAME or state:*")
    return sorted(set(topics))


def check_url(url: str) -> str:
    """An http(s) URL with a host, or BadRequest."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise BadRequest(f"a webhook URL is http:// or https:// with a host, not {url[:80]!r}")
    return url


class Webhooks:
    """Adding, listing and removing subscriptions, and reading their deliveries (admins)."""

    def __init__(self, store: WebhookStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def add(self, actor: Account, url: str, topics: list[str]) -> Subscription:
        """Subscribe a URL to topics; the answer carries the new secret (shown once)."""
        now = self._admin(actor)
        url, topics = check_url(url), check_topics(topics)
        entry = AdminEntry(at=now, actor=actor.username, kind=WEBHOOK_ADDED, subject=None,
                           details={"url": url, "topics": topics})
        return self.store.add_webhook(url=url, topics=topics, secret=secrets.token_hex(32),
                                      created_at=now, created_by=actor.username, journal=entry)

    def subscriptions(self, actor: Account) -> list[Subscription]:
        """Every subscription, active or not."""
        self._admin(actor)
        return self.store.list_webhooks()

    def remove(self, actor: Account, webhook_id: int) -> Subscription:
        now = self._admin(actor)
        entry = AdminEntry(at=now, actor=actor.username, kind=WEBHOOK_REMOVED,
                           subject=str(webhook_id))
        return self.store.remove_webhook(webhook_id, journal=entry)

    def deliveries(self, actor: Account, *, webhook_id: int | None = None, limit: int = 50
                   ) -> list[tuple[Delivery, list[Attempt]]]:
        """The newest deliveries with every attempt of each."""
        self._admin(actor)
        found = self.store.webhook_deliveries(webhook_id=webhook_id, limit=limit)
        attempts = self.store.attempts([d.id for d in found])
        return [(d, [a for a in attempts if a.delivery_id == d.id]) for d in found]

    def _admin(self, actor: Account) -> datetime:
        now = self.clock.now()
        if SUPERUSER not in actor.roles:
            raise Forbidden(f"managing webhooks needs the {SUPERUSER} role")
        ensure_active(actor, now)
        return now


@dataclass
class Dispatcher:
    """One worker's webhook passes: queue what is new, then deliver what is due."""

    store: WebhookStore
    clock: Clock
    send: Send
    worker: str
    batch: int = 100
    report: Callable[[str], None] = print

    def pass_once(self) -> int:
        """Queue and deliver; how many deliveries it queued or attempted."""
        return self.queue() + self.deliver()

    def queue(self) -> int:
        """Queue the new notifications and state changes for every active subscription."""
        now, queued = self.clock.now(), 0
        for subscription in self.store.list_webhooks(active=True):
            batch = self._collect(subscription, now)
            if batch.cursors != batch.moved and self.store.queue_deliveries(batch, now=now):
                queued += len(batch.items)
        return queued

    def _collect(self, subscription: Subscription, now: datetime) -> Queued:
        notes = self.store.outbox_since(subscription.outbox_cursor, limit=self.batch, now=now)
        changes, last = self.store.state_changes_since(subscription.event_cursor,
                                                       limit=self.batch, now=now)
        items = [(topic, body) for topic, body in (*map(_notification, notes),
                                                   *map(_state_change, changes))
                 if subscription.wants(topic)]
        moved = (notes[-1].id or 0 if notes else subscription.outbox_cursor, last)
        return Queued(subscription.id, (subscription.outbox_cursor, subscription.event_cursor),
                      moved, items)

    def deliver(self) -> int:
        """Attempt every due delivery this worker can claim; how many it attempted."""
        claimed = self.store.claim_webhook_deliveries(self.clock.now(), self.batch,
                                              worker=self.worker, lease=LEASE)
        for each in claimed:
            self._attempt(each)
        return len(claimed)

    def _attempt(self, claimed: Claimed) -> None:
        delivery, body = claimed.delivery, claimed.delivery.body.encode("utf-8")
        headers = {"Content-Type": "application/json", SIGNATURE: sign(claimed.secret, body),
                   "X-Ticketflow-Delivery": str(delivery.id),
                   "X-Ticketflow-Topic": delivery.topic}
        started = self.clock.now()
        answer = self.send(claimed.url, body, headers)
        now = self.clock.now()
        attempt = Attempt(delivery.id, now, answer.status, answer.error,
                          round((now - started).total_seconds(), 3))
        status, next_at = _outcome(delivery, answer, now)
        self.store.record_attempt(attempt, worker=self.worker, status=status, next_at=next_at)
        if not answer.ok:
            self.report(f"webhook delivery {delivery.id} to {claimed.url}: "
                        f"{answer.error or answer.status}; {status}")


def _outcome(delivery: Delivery, answer: Answer, now: datetime) -> tuple[str, datetime]:
    if answer.ok:
        return "delivered", now
    if now - delivery.created_at >= GIVE_UP:
        return "failed", now
    return "pending", now + delay(delivery.attempts + 1)


def _notification(note: Notification) -> tuple[str, str]:
    topic = f"notification:{note.kind}"
    return topic, _body({"topic": topic, "notification": note.id, "ticket": note.ticket_id,
                         "post": note.post, "kind": note.kind, "message": note.message,
                         "at": note.at.isoformat(), "details": note.details})


def _state_change(change: StateChange) -> tuple[str, str]:
    topic = f"state:{change.dest}"
    return topic, _body({"topic": topic, "ticket": change.ticket_id, "process": change.process,
                         "seq": change.seq, "at": change.at.isoformat(), "actor": change.actor,
                         "kind": change.kind, "trigger": change.trigger, "from": change.source,
                         "to": change.dest})


def _body(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
