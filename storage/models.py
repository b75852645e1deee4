"""The SQLModel tables: the one source of truth for Alembic, the ORM, reads and the hot path.

Column names match the fields of the engine's objects (``engine.core.model``,
``engine.core.journal``) so rows map to them by name. Every timestamp is timezone-aware UTC
(:class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Index,
    LargeBinary,
    MetaData,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declared_attr
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from engine.core.model import NO_DUE
from storage.errors import EVENT_SEQ_KEY

NO_DUE_TEXT = "9999-12-31 00:00:00.000000"
"""``NO_DUE`` as SQLite stores it (PostgreSQL reads it as a timestamp too): the default of
rows written without it (bulk loads)."""

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING
metadata: MetaData = SQLModel.metadata



class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} (ticketflow stores UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json() -> Any:
    return Field(default_factory=dict, sa_type=JSON, nullable=False)


class ProcessVersionRow(SQLModel, table=True):
    """A deployed, immutable process version, keyed by its content hash."""

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("name", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, index=True)
    number: int
    digest: str = Field(max_length=64, unique=True)
    source: str = Field(sa_type=Text)
    path: str = Field(max_length=1024)
    deployed_by: str = Field(max_length=64)
    deployed_at: datetime = Field(sa_type=UTCDateTime)


class TicketRow(SQLModel, table=True):
    """One ticket: its state, data and the optimistic-lock version counter."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index(None, "is_open", "post", "id"),
        Index(None, "assignee", "id"),
        Index(None, "state", "id"),
        Index(None, "process", "id"),
        Index(None, "parent_id"),
        Index(None, "is_open", "sla_due", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    process: str = Field(max_length=64)
    digest: str = Field(max_length=64, foreign_key="process_versions.digest")
    state: str = Field(max_length=64)
    data: dict[str, Any] = _json()
    post: str | None = Field(default=None, max_length=64)
    assignee: str | None = Field(default=None, max_length=64)
    is_open: bool
    opened_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    opened_by: str = Field(max_length=64)
    parent_id: int | None = Field(default=None, foreign_key="tickets.id")
    version: int = 1
    seq: int = 0
    head: str = Field(default="", max_length=64)
    state_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sla: dict[str, Any] = _json()
    sla_due: datetime = Field(default=NO_DUE, sa_type=UTCDateTime, sa_column_kwargs={
        "server_default": NO_DUE_TEXT})
    """The earliest due time of its SLA clocks (``engine.core.model.sla_due``), kept by the
    hot path with ``sla``: queues sort by it through an index."""
    branches: dict[str, str] = Field(default_factory=dict, sa_type=JSON, sa_column_kwargs={
        "server_default": "{}"})
    """In a fork: branch → its active state (``engine.core.model.Ticket.branches``)."""

    @declared_attr  # type: ignore[arg-type]
    def __mapper_args__(cls) -> dict[str, Any]:
        # The ORM's own optimistic lock on the same counter (the hot path checks it in SQL).
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class EventRow(SQLModel, table=True):
    """One journal entry; never updated or deleted."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("ticket_id", "seq", name=EVENT_SEQ_KEY),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    seq: int
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    trigger: str | None = Field(default=None, max_length=64)
    source: str | None = Field(default=None, max_length=64)
    dest: str | None = Field(default=None, max_length=64)
    changes: dict[str, Any] = _json()
    digest: str = Field(max_length=64)
    note: str | None = Field(default=None, sa_type=Text)
    details: dict[str, Any] = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class TimerRow(SQLModel, table=True):
    """A trigger due on a ticket at a moment: pending, then fired or cancelled."""

    __tablename__ = "timers"
    __table_args__ = (Index(None, "status", "due_at"), Index(None, "ticket_id", "status"))

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    trigger: str = Field(max_length=64)
    due_at: datetime = Field(sa_type=UTCDateTime)
    state: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)
    kind: str = Field(default="timer", max_length=16)
    fired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    """The worker that claimed it (``claim_due_timers``), until ``claimed_until``."""
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    child_id: int | None = None
    """For a ``child_end`` timer: the child ticket whose end it brings to its parent."""


class NotificationRow(SQLModel, table=True):
    """The outbox: a message to a post, written with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "post", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    post: str = Field(max_length=64)
    ticket_id: int = Field(foreign_key="tickets.id")
    kind: str = Field(max_length=16)
    message: str = Field(sa_type=Text)
    at: datetime = Field(sa_type=UTCDateTime)
    details: dict[str, Any] = _json()


class AccountRow(SQLModel, table=True):
    """A person or a vendor's temporary login; the password only as an argon2 hash."""

    __tablename__ = "accounts"

    username: str = Field(primary_key=True, max_length=64)
    display_name: str = Field(max_length=200)
    roles: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    post: str | None = Field(default=None, max_length=64)
    password_hash: str = Field(max_length=200)
    vendor: bool = False
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled: bool = False
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_logins: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Consecutive failed logins since the last successful one (or an unlock)."""
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Logins are refused, whatever the password, until then (brute-force lock-out)."""
    group: str | None = Field(default=None, max_length=64)
    """The group of its post the account works in."""


class VendorAccessRow(SQLModel, table=True):
    """The one open access of a vendor account: its primary key makes a second one fail."""

    __tablename__ = "vendor_accesses"

    username: str = Field(primary_key=True, foreign_key="accounts.username", max_length=64)
    ticket_id: int = Field(foreign_key="tickets.id")
    opened_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class SettingRow(SQLModel, table=True):
    """A desk-wide setting (``ticketflow settings``), changed by admins and journaled."""

    __tablename__ = "settings"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)
    """The value as text; ``engine.accounts.policy`` parses and checks it."""


class SavedViewRow(SQLModel, table=True):
    """A queue view an account saved (``engine.core.model.SavedView``)."""

    __tablename__ = "saved_views"

    username: str = Field(primary_key=True, foreign_key="accounts.username", max_length=64)
    name: str = Field(primary_key=True, max_length=200)
    queue: str = Field(max_length=32)
    search: str = Field(sa_type=Text)
    sort: str = Field(max_length=16)
    descending: bool


class LoginSessionRow(SQLModel, table=True):
    """A short-lived login: only the hash of its token is stored."""

    __tablename__ = "login_sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    username: str = Field(foreign_key="accounts.username", max_length=64, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class AdminEntryRow(SQLModel, table=True):
    """One entry of the admin journal (deploys, migrations, accounts, logins, seals)."""

    __tablename__ = "admin_journal"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    subject: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class RequesterRow(SQLModel, table=True):
    """A person the desk serves: one row per mail address (kept lower-case)."""

    __tablename__ = "requesters"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254, unique=True)
    phone: str | None = Field(default=None, max_length=64)
    organisation: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)


class TicketRequesterRow(SQLModel, table=True):
    """Which requester a ticket is for; written with the ticket, in its transaction."""

    __tablename__ = "ticket_requesters"
    __table_args__ = (Index(None, "requester_id", "ticket_id"),)

    ticket_id: int = Field(primary_key=True, foreign_key="tickets.id",
                           sa_column_kwargs={"autoincrement": False})
    requester_id: int = Field(foreign_key="requesters.id")


class MailDeliveryRow(SQLModel, table=True):
    """One mail to one address: planned once from its source, sent once, retried on failure."""

    __tablename__ = "mail_deliveries"
    __table_args__ = (UniqueConstraint("source", "source_id", "kind", "recipient"),
                      Index(None, "status", "next_attempt_at"))

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    recipient: str = Field(max_length=254)
    subject: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    message_id: str = Field(max_length=255, unique=True)
    source: str = Field(max_length=16)
    source_id: int
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    in_reply_to: str | None = Field(default=None, max_length=255)
    automatic: bool = True
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiTokenRow(SQLModel, table=True):
    """An API token acting as an account: only the hash of the token is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    username: str = Field(foreign_key="accounts.username", max_length=64, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


ALERT_KEY = "pk_alerts"
"""The key that lets only one post of a new alert open its ticket."""


class AlertRow(SQLModel, table=True):
    """An alert's source and key, and the ticket they point at (the latest one opened)."""

    __tablename__ = "alerts"

    source: str = Field(primary_key=True, max_length=200)
    key: str = Field(primary_key=True, max_length=200)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    level: int
    repeats: int = 0
    status: str = Field(default="firing", max_length=16)
    first_at: datetime = Field(sa_type=UTCDateTime)
    last_at: datetime = Field(sa_type=UTCDateTime)


class WebhookRow(SQLModel, table=True):
    """A webhook subscription: where to POST, which topics, the secret that signs bodies."""

    __tablename__ = "webhooks"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    topics: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    secret: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    active: bool = True
    outbox_cursor: int = 0
    """The last outbox id looked at for this subscription."""
    event_cursor: int = 0
    """The last journal event id looked at for this subscription."""


class WebhookDeliveryRow(SQLModel, table=True):
    """One body to POST to one subscription: pending until delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index(None, "status", "next_at"), Index(None, "webhook_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhooks.id")
    topic: str = Field(max_length=80)
    body: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    next_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MailCursorRow(SQLModel, table=True):
    """How far mail has been planned from a source (the journal, the outbox): a row id."""

    __tablename__ = "mail_cursors"

    name: str = Field(primary_key=True, max_length=16)
    position: int = 0


class InboundRow(SQLModel, table=True):
    """One received mail and what became of it (a ticket, a comment, the quarantine)."""

    __tablename__ = "mail_inbound"
    __table_args__ = (Index(None, "sender", "received_at"), Index(None, "status", "id"),
                      Index(None, "message_id"))

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(sa_type=UTCDateTime)
    sender: str = Field(max_length=254)
    message_id: str | None = Field(default=None, max_length=255)
    subject: str = Field(sa_type=Text)
    size: int
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, sa_type=Text)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    raw: bytes | None = Field(default=None, sa_type=LargeBinary)


class AttachmentRow(SQLModel, table=True):
    """A file's content, stored once by its SHA-256 (the journal names it by that hash)."""

    __tablename__ = "attachments"

    hash: str = Field(primary_key=True, max_length=64)
    size: int
    content: bytes = Field(sa_type=LargeBinary)


class DeliveryAttemptRow(SQLModel, table=True):
    """One try to deliver: when, the answer (an HTTP status) or the error, how long."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index(None, "delivery_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_deliveries.id")
    at: datetime = Field(sa_type=UTCDateTime)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    seconds: float


class ItemRow(SQLModel, table=True):
    """A configuration item (the CMDB): what tickets are about, who owns and maintains it."""

    __tablename__ = "items"

    name: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=64)
    owner_group: str | None = Field(default=None, max_length=64)
    vendor: str | None = Field(default=None, max_length=64)
    criticality: str = Field(max_length=16)


class ItemRelationRow(SQLModel, table=True):
    """One relation of an item to another: it ``runs_on`` or ``depends_on`` it."""

    __tablename__ = "item_relations"
    __table_args__ = (Index(None, "target"),)

    item: str = Field(primary_key=True, max_length=64, foreign_key="items.name")
    relation: str = Field(primary_key=True, max_length=16)
    target: str = Field(primary_key=True, max_length=64, foreign_key="items.name")


class ProblemLinkRow(SQLModel, table=True):
    """A ticket's link to the problem behind it: at most one per ticket. Each link and
    unlink is journaled on both tickets (``problem_linked``, ``ticket_linked``)."""

    __tablename__ = "problem_links"

    ticket_id: int = Field(primary_key=True, foreign_key="tickets.id")
    problem_id: int = Field(foreign_key="tickets.id", index=True)
    linked_at: datetime = Field(sa_type=UTCDateTime)
    linked_by: str = Field(max_length=64)


class ArticleRow(SQLModel, table=True):
    """A knowledge-base article (``KB-<id>``): its status and latest version."""

    __tablename__ = "articles"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(max_length=16)
    version: int
    """The latest version's number: edits and status changes are conditional on it."""
    created_at: datetime = Field(sa_type=UTCDateTime)


class ArticleVersionRow(SQLModel, table=True):
    """One version of an article: what it said, who wrote it and when (never changed)."""

    __tablename__ = "article_versions"

    article_id: int = Field(primary_key=True, foreign_key="articles.id")
    version: int = Field(primary_key=True)
    title: str = Field(max_length=200)
    body: str = Field(sa_type=Text)
    tags: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    items: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    author: str = Field(max_length=64)
    at: datetime = Field(sa_type=UTCDateTime)
