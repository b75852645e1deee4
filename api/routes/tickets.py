"""Tickets: open, fire, comment, record, claim, assign, show, history, list, SLA clocks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.answers import answer
from api.deps import Acting, Checked, Revision
from api.schemas import (
    Assign,
    Clocks,
    Comment,
    Fire,
    Fired,
    Id,
    Name,
    OpenTicket,
    Page,
    Record,
    TicketDetail,
    TicketOut,
    clock_out,
    credential_out,
    ticket_out,
    timer_out,
)
from engine.accounts.vendor import Credential
from engine.core.journal import Event
from engine.core.model import Ticket, TicketQuery
from engine.desk.reading import check_read, readable

router = APIRouter(prefix="/tickets", tags=["tickets"], route_class=Checked)


def _tag(ticket: Ticket, model: type[TicketOut] = TicketOut, *, status: int = 200,
         headers: dict[str, str] | None = None, **more: Any) -> Response:
    """The ticket's body (with the ``more`` fields of a larger model), its revision in the
    ETag header."""
    return answer(model, {**ticket_out(ticket), **more}, status=status,
                  headers={"ETag": f'"{ticket.version}"', **(headers or {})})


@router.post("", status_code=201, response_model=TicketOut)
def open_ticket(body: OpenTicket, caller: Acting) -> Response:
    """Open a ticket of a process's current version."""
    actor = caller.account()
    ticket = caller.services.desk.open(body.process, actor, body.data, parent_id=body.parent)
    return _tag(ticket, status=201, headers={"Location": f"/api/v1/tickets/{ticket.id}"})


@router.get("", response_model=Page)
def list_tickets(
    caller: Acting,
    state: Annotated[Name | None, Query()] = None,
    post: Annotated[Name | None, Query()] = None,
    process: Annotated[Name | None, Query()] = None,
    assignee: Annotated[Name | None, Query(description="Only this account's tickets.")] = None,
    open: Annotated[bool | None, Query(description="true: open only; false: closed only; "
                                                   "absent: both.")] = None,
    after: Annotated[Id | None, Query(description="The `next` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    """Tickets the account may read, newest first, a page at a time (keyset paging on the
    id)."""
    actor = caller.account()
    query = TicketQuery(state=state, post=post, process=process, assignee=assignee,
                        is_open=open, after=after, limit=limit, descending=True)
    tickets = caller.services.desk.tickets(readable(actor, query))
    more = len(tickets) == limit and tickets[-1].id > 1
    return answer(Page, {"items": [TicketOut.model_construct(**ticket_out(t)) for t in tickets],
                         "next": tickets[-1].id if more else None})


@router.get("/{ticket_id}", response_model=TicketDetail)
def show(ticket_id: Id, caller: Acting) -> Response:
    """A ticket with its pending timers and the triggers this account may fire."""
    actor = caller.account()
    desk = caller.services.desk
    ticket = check_read(actor, desk.ticket(ticket_id))
    actions = [t.trigger for t in desk.actions(ticket, actor)]
    return _tag(ticket, TicketDetail, actions=sorted(set(actions)),
                timers=[timer_out(t) for t in desk.timers(ticket_id)])


@router.post("/{ticket_id}/fire", response_model=Fired)
def fire(ticket_id: Id, body: Fire, caller: Acting, revision: Revision
         ) -> Response:
    """Fire a trigger (roles, post, guard and fields checked as everywhere)."""
    actor = caller.account()
    received: list[Credential] = []
    ticket = caller.services.desk.fire(ticket_id, body.trigger, actor, data=body.data,
                                       note=body.note, expected_version=revision,
                                       deliver=received.append)
    return _tag(ticket, Fired, credentials=[credential_out(c) for c in received])


@router.post("/{ticket_id}/comments", response_model=TicketOut)
def comment(ticket_id: Id, body: Comment, caller: Acting, revision: Revision
            ) -> Response:
    """Add a comment to the ticket's journal."""
    actor = caller.account()
    return _tag(caller.services.desk.record(ticket_id, "comment", actor, note=body.text,
                                            expected_version=revision))


@router.post("/{ticket_id}/events", response_model=TicketOut)
def record(ticket_id: Id, body: Record, caller: Acting, revision: Revision
           ) -> Response:
    """Record an event of the process that changes no state (a customer reply, ...)."""
    actor = caller.account()
    return _tag(caller.services.desk.record(ticket_id, body.event, actor, note=body.note,
                                            expected_version=revision))


@router.post("/{ticket_id}/claim", response_model=TicketOut)
def claim(ticket_id: Id, caller: Acting, revision: Revision) -> Response:
    """Take a ticket of your post for yourself."""
    actor = caller.account()
    return _tag(caller.services.desk.claim(ticket_id, actor, expected_version=revision))


@router.post("/{ticket_id}/assign", response_model=TicketOut)
def assign(ticket_id: Id, body: Assign, caller: Acting, revision: Revision
           ) -> Response:
    """Give a ticket to an account of its post (null: unassign)."""
    actor = caller.account()
    return _tag(caller.services.desk.assign(ticket_id, body.assignee, actor,
                                            expected_version=revision))


@router.get("/{ticket_id}/history", response_model=list[Event])
def history(ticket_id: Id, caller: Acting) -> list[Event]:
    """The ticket's hash-chained journal, oldest first."""
    check_read(caller.account(), caller.services.desk.ticket(ticket_id))
    return caller.services.desk.history(ticket_id)


@router.get("/{ticket_id}/sla", response_model=Clocks)
def sla(ticket_id: Id, caller: Acting) -> Clocks:
    """The ticket's open SLA clocks with their remaining working time, and its timers."""
    desk = caller.services.desk
    check_read(caller.account(), desk.ticket(ticket_id))
    return Clocks(clocks=[clock_out(c) for c in desk.slas(ticket_id)],
                  timers=[timer_out(t) for t in desk.timers(ticket_id)])
