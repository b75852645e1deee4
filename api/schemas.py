"""The API's request and response bodies (pydantic), and how engine objects map to them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from engine.accounts import vendor
from engine.core.model import ProcessVersion, Ticket, Timer
from engine.process.durations import format_duration
from engine.time.sla import RunningSla

Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=10_000)]
"""Any text without NUL (PostgreSQL cannot store one)."""
Name = Annotated[str, StringConstraints(pattern=r"^[^\x00]{1,64}$")]
"""A process, trigger, event, state, post or account name."""
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
"""A ticket id: a positive integer of the schema's 32-bit ``integer`` columns."""


class Body(BaseModel):
    """A request body: unknown keys refused."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    kind: str
    title: str
    message: str
    ticket: int | None = None
    state: str | None = None
    problems: list[str] | None = None


class ErrorOut(BaseModel):
    """Every error answer: one object with a message."""

    error: ErrorDetail


class OpenTicket(Body):
    process: Name
    data: dict[Text, Any] = Field(default_factory=dict, description="Field values.")
    parent: Id | None = None


class Fire(Body):
    trigger: Name
    data: dict[Text, Any] = Field(default_factory=dict)
    note: Text | None = None


class Comment(Body):
    text: Text


class Record(Body):
    event: Name
    note: Text | None = None


class Assign(Body):
    assignee: Name | None = Field(description="An account of the ticket's post; null unassigns.")


class AlertIn(Body):
    source: Annotated[str, StringConstraints(pattern=r"^[^\x00]{1,200}$")]
    key: Annotated[str, StringConstraints(pattern=r"^[^\x00]{1,200}$")]
    summary: Annotated[str, StringConstraints(pattern=r"^[^\x00]{1,200}$")]
    level: int = Field(ge=1, le=4, description="1 the most severe.")
    details: dict[Text, Any] = Field(default_factory=dict)
    status: Literal["firing", "resolved"] = "firing"


class TicketOut(BaseModel):
    id: int
    process: str
    digest: str
    state: str
    branches: dict[str, str] = Field(
        default_factory=dict, description="In a fork: branch → its active state.")
    data: dict[str, Any]
    post: str | None
    assignee: str | None
    open: bool
    parent: int | None
    opened_at: datetime
    opened_by: str
    updated_at: datetime
    revision: int = Field(description="Grows with every change; the ETag.")
    events: int


class Credential(BaseModel):
    username: str
    password: str
    expires_at: datetime | None


class Fired(TicketOut):
    credentials: list[Credential] = Field(
        default_factory=list, description="Temporary vendor passwords, shown once.")


class TimerOut(BaseModel):
    trigger: str
    due_at: datetime
    state: str
    kind: str


class TicketDetail(TicketOut):
    timers: list[TimerOut]
    actions: list[str] = Field(description="Triggers this account may fire now (guards aside).")


class Page(BaseModel):
    items: list[TicketOut]
    next: int | None = Field(description="Pass as `after` for the next page; null at the end.")


class ClockOut(BaseModel):
    clock: str
    post: str | None
    running: bool
    spent: str
    limit: str | None
    remaining: str | None
    due_at: datetime | None
    warned: bool
    breached: bool


class Clocks(BaseModel):
    clocks: list[ClockOut]
    timers: list[TimerOut]


class ProcessOut(BaseModel):
    name: str
    version: int
    digest: str
    deployed_by: str
    deployed_at: datetime


class ProcessDetail(ProcessOut):
    title: str
    states: list[str]
    triggers: list[str]
    fields: list[str]


class AlertOut(BaseModel):
    ticket: TicketOut
    opened: bool = Field(description="True when this alert opened the ticket.")
    repeats: int
    status: str


class Me(BaseModel):
    username: str
    display_name: str
    roles: list[str]
    post: str | None
    token: str


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    """A ticket as the API shows it."""
    return {"id": ticket.id, "process": ticket.process, "digest": ticket.digest,
            "state": ticket.state, "branches": ticket.branches, "data": ticket.data,
            "post": ticket.post,
            "assignee": ticket.assignee, "open": ticket.is_open, "parent": ticket.parent_id,
            "opened_at": ticket.opened_at, "opened_by": ticket.opened_by,
            "updated_at": ticket.updated_at, "revision": ticket.version, "events": ticket.seq}


def credential_out(credential: vendor.Credential) -> Credential:
    return Credential(username=credential.username, password=credential.password,
                      expires_at=credential.expires_at)


def timer_out(timer: Timer) -> TimerOut:
    return TimerOut(trigger=timer.trigger, due_at=timer.due_at, state=timer.state,
                    kind=timer.kind)


def clock_out(clock: RunningSla) -> ClockOut:
    return ClockOut(clock=clock.clock, post=clock.post, running=clock.running,
                    spent=_duration(clock.spent) or "PT0S", limit=_duration(clock.limit),
                    remaining=_duration(clock.remaining), due_at=clock.due_at,
                    warned=clock.warned, breached=clock.breached)


def process_out(version: ProcessVersion) -> ProcessOut:
    return ProcessOut(name=version.name, version=version.number, digest=version.digest,
                      deployed_by=version.deployed_by, deployed_at=version.deployed_at)


def _duration(delta: timedelta | None) -> str | None:
    return format_duration(delta) if delta is not None else None
