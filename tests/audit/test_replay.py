"""Replay rebuilds any ticket at any moment from its journal and process versions alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.audit.audit import Audit
from engine.audit.replay import differences
from engine.core.errors import NotFound
from engine.core.model import TicketQuery
from tests.audit.conftest import tour
from tests.desk.conftest import DeskWorld


def audit(world: DeskWorld) -> Audit:
    return Audit(world.workspace.store, world.clock)


def test_replay_now_equals_every_stored_ticket_after_the_tour(world: DeskWorld) -> None:
    tour(world)
    tickets = world.desk.tickets(TicketQuery(is_open=None, limit=1000))
    assert len(tickets) >= 6
    for ticket in tickets:
        replayed = audit(world).replay(ticket.id)
        assert differences(ticket, replayed) == []
        assert (replayed.state_since, replayed.updated_at) == (ticket.state_since,
                                                               ticket.updated_at)


def test_replay_at_a_moment_shows_the_ticket_as_it_was_then(world: DeskWorld) -> None:
    desk, ann, hal = world.desk, world.people["ann"], world.people["hal"]
    ticket = desk.open("mini", ann, {"summary": "disk full"})
    opened_at = world.clock.now()
    world.clock.advance(timedelta(minutes=5))
    desk.fire(ticket.id, "receive", ann)
    world.clock.advance(timedelta(minutes=5))
    desk.fire(ticket.id, "dispatch", ann)
    desk.claim(ticket.id, hal)
    world.clock.advance(timedelta(minutes=5))
    desk.fire(ticket.id, "resolve", hal, data={"resolution": "cleaned"})

    at_open = audit(world).replay(ticket.id, opened_at + timedelta(minutes=1))
    assert (at_open.state, at_open.post, at_open.assignee, at_open.is_open, at_open.seq) == (
        "submitted", "service_desk", None, True, 1)
    middle = audit(world).replay(ticket.id, opened_at + timedelta(minutes=12))
    assert (middle.state, middle.post, middle.assignee) == ("handling", "handling_group", "hal")
    assert "resolution" not in middle.data
    end = audit(world).replay(ticket.id)
    assert (end.state, end.is_open, end.data["resolution"]) == ("closed", False, "cleaned")


def test_replay_before_a_ticket_existed_or_of_no_ticket_is_refused(world: DeskWorld) -> None:
    ticket = world.desk.open("mini", world.people["ann"], {"summary": "x"})
    with pytest.raises(NotFound, match="did not exist yet"):
        audit(world).replay(ticket.id, world.clock.now() - timedelta(seconds=1))
    with pytest.raises(NotFound):
        audit(world).replay(9999)
