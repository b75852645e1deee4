"""The engine's plain objects: tickets, timers, accounts, process versions.

They are what the machine drives and what the store maps rows to and from; none of
them is a database row (transitions attaches methods with ``setattr``, which SQLModel
objects refuse).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.core.journal import GENESIS


@dataclass(eq=False)
class Ticket:
    """One running (or finished) instance of a process version."""

    id: int
    process: str
    digest: str
    """The content hash of the process version it runs on."""
    state: str
    data: dict[str, Any]
    post: str | None
    assignee: str | None
    is_open: bool
    opened_at: datetime
    updated_at: datetime
    opened_by: str
    parent_id: int | None = None
    version: int = 1
    """The optimistic-lock counter; every committed change increments it."""
    seq: int = 0
    """How many journal events the ticket has."""
    head: str = GENESIS
    """The hash of the ticket's latest journal event."""
    state_since: datetime | None = None
    """When the ticket entered its current state."""
    sla: dict[str, Any] = field(default_factory=dict)
    """SLA bookkeeping: time spent, due times (see engine.time.sla)."""
    branches: dict[str, str] = field(default_factory=dict)
    """In a fork (``state`` is the fork): branch → its active state (an end state once the
    branch is done); empty otherwise (see engine.process.forks)."""

    def where(self) -> str:
        """The state as people read it: ``checks [hardware: hardware_check, software:
        software_checked]`` in a fork, else the state alone."""
        if not self.branches:
            return self.state
        return f"{self.state} [{', '.join(f'{b}: {s}' for b, s in self.branches.items())}]"

    def __copy__(self) -> Ticket:
        """A shallow copy; ``copy.copy``'s generic path was the costliest step of planning."""
        clone = object.__new__(Ticket)
        clone.__dict__.update(self.__dict__)
        return clone


NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)
"""The SLA due time of a ticket with no SLA clock due: after every real one."""


def sla_due(sla: dict[str, Any]) -> datetime:
    """The earliest due time of a ticket's SLA clocks (``Ticket.sla``; a breached clock
    keeps its due time, paused or not), or :data:`NO_DUE`: what queues sort by."""
    dues = [clock["due"] for clock in sla.get("clocks", {}).values() if clock.get("due")]
    return datetime.fromisoformat(min(dues)) if dues else NO_DUE


@dataclass(frozen=True)
class Timer:
    """A trigger due to fire on a ticket at a moment; a row, fired by workers."""

    ticket_id: int
    trigger: str
    due_at: datetime
    state: str
    """The state that armed it; leaving that state cancels it."""
    id: int | None = None
    status: str = "pending"
    """pending, fired or cancelled."""
    kind: str = "timer"
    """timer (a process timer), sla_warning, sla_breach, child_end (a child's end, to be
    brought to its parent: armed in the child's closing transaction, due at once)."""
    child_id: int | None = None
    """For a ``child_end`` timer: the child ticket that ended."""


SLA_KINDS = ["sla_warning", "sla_breach"]
"""The kinds of timer an SLA clock arms (its warning, its breach): no process timers."""


@dataclass
class Account:
    """A person (or a vendor's temporary login) who acts on the desk."""

    username: str
    display_name: str
    roles: list[str]
    post: str | None
    password_hash: str
    vendor: bool = False
    expires_at: datetime | None = None
    disabled: bool = False
    created_at: datetime | None = None
    last_login_at: datetime | None = None
    failed_logins: int = 0
    """Consecutive failed logins since the last successful one (or an unlock)."""
    locked_until: datetime | None = None
    """Logins are refused, whatever the password, until then (brute-force lock-out)."""
    group: str | None = None
    """The group of its post the account works in (a handling group, a vendor company)."""

    def can_act(self, now: datetime) -> bool:
        """Whether the account is enabled and not expired at ``now``."""
        return not self.disabled and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class ProcessVersion:
    """A deployed, immutable process version: its source keyed by its content hash."""

    name: str
    digest: str
    source: str
    path: str
    deployed_by: str
    deployed_at: datetime
    number: int = 0
    """1 for the first version of the process deployed, 2 for the next, ..."""


@dataclass(frozen=True)
class Notification:
    """A message to a post, kept in the outbox that the terminal app and other systems read."""

    post: str
    ticket_id: int
    kind: str
    """sla_warning, sla_breach, ..."""
    message: str
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True)
class Change:
    """Everything one state change writes, committed together or not at all."""

    ticket: Ticket
    """The ticket as it is after the change (its ``version`` already incremented)."""
    expected_version: int
    """The version the change was computed from; another one in the database is a conflict."""
    events: list[Any]
    """The sealed journal events appended, in order."""
    arm: list[Timer] = field(default_factory=list)
    cancel_states: list[str] = field(default_factory=list)
    """Pending timers armed by these states are cancelled."""
    fired_timer: int | None = None
    """The id of the timer this change fires, marked fired in the same transaction."""
    children: list[NewTicket] = field(default_factory=list)
    """Child tickets this change opens (their ``parent_id`` is this ticket's id)."""
    cancel_kinds: list[str] = field(default_factory=list)
    """Pending timers of the ticket of these kinds are cancelled (SLA timers re-armed)."""
    notifications: list[Notification] = field(default_factory=list)
    """Rows for the outbox, written in the same transaction."""
    accounts: list[Account] = field(default_factory=list)
    """Accounts the step creates or changes (vendor accounts), saved in the same transaction."""
    admin: list[Any] = field(default_factory=list)
    """Admin journal entries (``engine.core.admin_journal.AdminEntry``, unchained) it appends."""


@dataclass(frozen=True)
class TicketQuery:
    """A filter over tickets, paged by id (keyset pagination: ``after`` the last id seen)."""

    state: str | None = None
    post: str | None = None
    assignee: str | None = None
    process: str | None = None
    is_open: bool | None = None
    overdue_at: datetime | None = None
    """Only tickets with an open SLA clock past its limit at this moment (breached, or
    running with its due time passed)."""
    at_risk_at: datetime | None = None
    """Only tickets with a running SLA clock past its warning point at this moment but not
    yet past its limit."""
    states: tuple[str, ...] = ()
    """Only tickets in one of these states (none given: any)."""
    unassigned: bool = False
    parent_id: int | None = None
    readable_by: tuple[str, str | None] | None = None
    """Only the tickets this (username, post) may read: at its post, assigned to it or
    opened by it (``engine.desk.reading``); None: no such restriction."""
    words: tuple[str, ...] = ()
    """Only the tickets whose text (fields, journal notes, requester) has every word (``w*``:
    a word starting with ``w``; ``engine.desk.search``)."""
    requester: str | None = None
    """Only the tickets of a requester whose address or name starts with this (lower-case)."""
    sort: str = "id"
    """The order: ``id`` (the opening order), ``sla_due``, ``priority``, ``state``,
    ``assignee`` or ``requester`` (:data:`SORTS`), ties by id; ``after`` is still the last
    ticket seen, whose own sort value the store looks up."""
    group: str | None = None
    """Only the tickets held by this group of their post (a group's queue)."""
    group_fields: tuple[tuple[str, str], ...] = ()
    """With ``group``: (post, field) for each post divided into groups, the field naming
    the group (``Desk.group_fields``)."""
    item: str | None = None
    """Only the tickets linked to this configuration item."""
    item_fields: tuple[str, ...] = ()
    """With ``item``: the fields that link tickets to items (``Desk.item_fields``)."""
    after: int | None = None
    limit: int = 50
    descending: bool = False


SORTS = ("id", "sla_due", "priority", "state", "assignee", "requester")


@dataclass(frozen=True)
class SavedView:
    """A queue as an account left it — its search, sort and order — kept under a name."""

    username: str
    name: str
    queue: str
    """The key of the queue it narrows (``mine``, ``post``, ``unassigned``, …)."""
    search: str = ""
    sort: str = "id"
    descending: bool = True


@dataclass(frozen=True)
class NewTicket:
    """A ticket to insert: the store assigns its id, then seals its events with it."""

    ticket: Ticket
    events: list[Any]
    timers: list[Timer] = field(default_factory=list)
    requester_id: int | None = None
    """The requester the ticket is for, linked in the same transaction."""


@dataclass(frozen=True)
class Requester:
    """A person the desk serves (a customer): opens tickets by mail, gets the desk's replies."""

    name: str
    email: str
    """Lower-case; one requester per address."""
    phone: str | None = None
    organisation: str | None = None
    created_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class Delivery:
    """One mail the desk sends to one address, and how its delivery stands."""

    kind: str
    """received, reply, confirm (to requesters); sla_warning, sla_breach, escalation."""
    recipient: str
    subject: str
    body: str
    message_id: str
    """Without angle brackets; the same on every attempt."""
    source: str
    """Where it comes from: ``journal`` (an event) or ``outbox`` (a notification)."""
    source_id: int
    ticket_id: int | None = None
    in_reply_to: str | None = None
    automatic: bool = True
    """Sent with ``Auto-Submitted: auto-generated`` (an agent's personal reply is not)."""
    status: str = "pending"
    """pending, sent or failed."""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class Inbound:
    """One mail the desk received, and what became of it."""

    received_at: datetime
    sender: str
    message_id: str | None
    subject: str
    size: int
    status: str
    """opened (a new ticket), comment, confirmed, reopened, duplicate or quarantined."""
    reason: str | None = None
    """Why it was quarantined (or what it did)."""
    ticket_id: int | None = None
    raw: bytes | None = None
    """The whole message, kept when it is quarantined."""
    id: int | None = None


@dataclass(frozen=True)
class Attachment:
    """A file that came with a mail, stored once by the SHA-256 of its content."""

    filename: str
    content_type: str
    size: int
    hash: str
