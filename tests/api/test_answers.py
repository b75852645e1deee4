"""Answers built once (api/answers.py): the bytes FastAPI would send after validating."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter

from api.answers import answer
from api.schemas import Fired, TicketDetail, TicketOut, ticket_out, timer_out
from api.wiring import Services
from engine.core.model import Timer
from tests.api.conftest import ApiWorld
from tests.api.test_tickets import V1, open_ticket


def validated(model: type[BaseModel], content: dict[str, object]) -> bytes:
    """What FastAPI sends for a route that returns ``content`` with this response_model."""
    adapter = TypeAdapter(model)
    return adapter.dump_json(adapter.validate_python(content))


def test_a_built_answer_is_the_json_validation_would_give(
        client: TestClient, world: ApiWorld, services: Services) -> None:
    ticket = services.desk.ticket(open_ticket(client, world)["id"])
    due = datetime(2026, 12, 6, 12, 30, tzinfo=UTC)
    timer = Timer(id=1, ticket_id=ticket.id, trigger="escalate", due_at=due,
                  state=ticket.state, kind="timer")
    detail = {**ticket_out(ticket), "actions": ["close"], "timers": [timer_out(timer)]}
    fired = {**ticket_out(ticket), "credentials": []}
    for model, content in ((TicketOut, ticket_out(ticket)), (TicketDetail, detail),
                           (Fired, fired)):
        built = answer(model, content, status=201, headers={"ETag": '"1"'})
        assert bytes(built.body) == validated(model, content)
        assert (built.status_code, built.headers["etag"], built.media_type) == (
            201, '"1"', "application/json")


def test_the_routes_answer_what_their_models_say(client: TestClient, world: ApiWorld) -> None:
    ticket = open_ticket(client, world)
    shown = client.get(f"{V1}/tickets/{ticket['id']}", headers=world.headers("ann"))
    assert shown.headers["content-type"] == "application/json"
    assert TicketDetail.model_validate(shown.json()).id == ticket["id"]
    listed = client.get(f"{V1}/tickets", headers=world.headers("ann"))
    assert [item["id"] for item in listed.json()["items"]][:1] == [ticket["id"]]
