"""Alert intake: monitoring systems post alerts; the first opens a ticket, repeats count."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.answers import answer
from api.deps import Acting, Checked
from api.schemas import AlertIn, AlertOut, TicketOut, ticket_out
from engine.desk.intake import Alert

router = APIRouter(tags=["alerts"], route_class=Checked)


@router.post("/alerts", response_model=AlertOut, responses={201: {"model": AlertOut}})
def post_alert(body: AlertIn, caller: Acting) -> Response:
    """Open a ticket for a new alert (201), or add a repeat or the resolution to the open
    ticket of its source and key (200). Retries and concurrent posts give one ticket."""
    actor = caller.account()
    alert = Alert(source=body.source, key=body.key, summary=body.summary, level=body.level,
                  details=body.details, status=body.status)
    outcome = caller.services.intake.receive(alert, actor)
    return answer(AlertOut, {"ticket": TicketOut.model_construct(**ticket_out(outcome.ticket)),
                             "opened": outcome.opened, "repeats": outcome.repeats,
                             "status": outcome.status},
                  status=201 if outcome.opened else 200,
                  headers={"ETag": f'"{outcome.ticket.version}"'})
