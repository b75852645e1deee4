"""The requester's page: ``/r/{token}`` shows a ticket's status and public replies; its
Confirm and Not solved buttons post to ``/r/{token}/confirm`` and ``/r/{token}/reopen``.

The signed token in the path is the credential (no session, no cookie): a site that does not
know it cannot make the browser act, so the forms need no further CSRF token. After an
answer the browser is sent back (303) to the page, which shows the new status.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Desk
from api.errors import status_of
from api.pages import error_page, page
from api.wiring import Services
from engine.core.errors import InvalidTrigger, NotFound, TicketflowError
from engine.core.journal import Event
from engine.core.model import Requester, Ticket
from engine.desk import plan
from engine.desk.links import LinkSigner
from engine.desk.requesters import Requesters

router = APIRouter(prefix="/r", include_in_schema=False)
MARKS = {"confirm": "You confirmed that it is solved",
         "reopen": "You said that it is not solved", "reply": "The service desk replied"}
"""What a step marked for the requester says on their page."""


@router.get("/{token}", response_class=HTMLResponse)
def show(token: str, services: Desk) -> Response:
    """The ticket's status, its public history and the answers it waits for."""
    try:
        people, signer = _people(services)
        ticket, requester = people.follow(signer, token)
        return page("requester.html", _view(people, ticket, requester, token))
    except TicketflowError as error:
        return _refused(error)


@router.post("/{token}/confirm")
def confirm(token: str, services: Desk) -> Response:
    """The Confirm button: the requester says the problem is solved."""
    return _answer(services, token, solved=True)


@router.post("/{token}/reopen")
def reopen(token: str, services: Desk) -> Response:
    """The Not solved button: the ticket goes back to the desk."""
    return _answer(services, token, solved=False)


def _answer(services: Services, token: str, *, solved: bool) -> Response:
    """Fire the requester's answer, then show the page (its new status) again."""
    try:
        people, signer = _people(services)
        people.answer_by_link(signer, token, solved)
    except InvalidTrigger as error:  # answered already, or the desk moved the ticket on
        return _refused(error, back=f"../{token}")
    except TicketflowError as error:
        return _refused(error)
    return RedirectResponse(f"../{token}", status_code=303)


def _people(services: Services) -> tuple[Requesters, LinkSigner]:
    if services.signer is None:
        raise NotFound("this desk has no requester links (no link secret is set)")
    return services.requesters, services.signer


def _refused(error: TicketflowError, back: str | None = None) -> HTMLResponse:
    message = " ".join(str(error).split()) or error.title
    status = status_of(error)
    if status >= 500:
        message = "the desk cannot answer now; please try again in a minute"
    return error_page(status, error.title, message, back)


def _view(people: Requesters, ticket: Ticket, requester: Requester,
          token: str) -> dict[str, Any]:
    """What the template shows."""
    spec = people.desk.compiled(ticket.digest).spec
    state = spec.states.get(ticket.state)
    status = (state.title if state and state.title else ticket.state.replace("_", " "))
    marks: dict[str, str] = {t.trigger: t.requester for t in spec.transitions if t.requester}
    entries = [_entry(event, marks, ticket) for event in people.public_history(ticket.id)]
    return {"ticket": ticket, "requester": requester, "token": token,
            "summary": ticket.data.get("summary") or f"Request #{ticket.id}",
            "status": status if ticket.is_open else f"{status} (finished)",
            "confirm": people.answer_step(ticket, True) is not None,
            "reopen": people.answer_step(ticket, False) is not None,
            "entries": entries}


def _entry(event: Event, marks: dict[str, str], ticket: Ticket) -> dict[str, Any]:
    """One line of the page's history."""
    yours = plan.requester_of(event.actor) is not None
    note = event.note
    if event.kind == "open":
        what = "You opened the request" if yours else "The service desk opened the request"
        note = note or ticket.data.get("description")
    elif event.trigger in marks:
        what = MARKS.get(marks[event.trigger], "The service desk answered")
    else:
        what = "You wrote" if yours else "The service desk wrote"
    return {"at": event.at, "what": what, "note": note,
            "who": "you" if yours else "desk"}
