"""Requesters on every backend: records, tickets for them, their answers, links, verify."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.audit.audit import Audit
from engine.core.errors import Conflict, Forbidden, InvalidLink, InvalidTrigger, MissingField
from engine.core.model import Requester
from engine.desk.links import LinkSigner
from engine.desk.requesters import Requesters
from tests.articles import publish_articles
from tests.desk.conftest import DeskWorld

SECRET = b"a desk secret of 32 bytes-------"


def to_confirming(world: DeskWorld, ticket_id: int, note: str = "fixed it") -> None:
    ann = world.people["ann"]
    desk = world.desk
    desk.fire(ticket_id, "receive", ann)
    publish_articles(desk.store)
    desk.fire(ticket_id, "solve_at_desk", ann,
              data={"knowledge_article": "KB-1", "resolution": "restarted"})
    desk.fire(ticket_id, "reply", ann, note=note)


def test_records_add_find_edit_and_refuse_bad_details(world: DeskWorld) -> None:
    people = Requesters(world.desk)
    ann = world.people["ann"]
    added = people.add(Requester(name="Mei Lin", email="Mei@Example.COM", phone="123"), ann)
    assert (added.email, added.name, added.phone) == ("mei@example.com", "Mei Lin", "123")
    with pytest.raises(Conflict):
        people.add(Requester(name="Other", email="mei@example.com"), ann)
    with pytest.raises(MissingField, match="not a mail address"):
        people.add(Requester(name="x", email="not-an-address"), ann)
    with pytest.raises(Forbidden):
        people.add(Requester(name="x", email="x@example.com"), world.people["aud"])
    edited = people.edit("mei@example.com", ann, organisation="Telecom C", phone="")
    assert (edited.organisation, edited.phone, edited.id) == ("Telecom C", None, added.id)
    assert people.find_or_add("MEI@example.com").id == added.id
    assert people.find_or_add("new@example.com", "New One").name == "New One"
    assert [r.email for r in people.page()] == ["mei@example.com", "new@example.com"]


def test_a_requester_confirms_their_own_ticket_and_verify_proves_it(world: DeskWorld) -> None:
    people = Requesters(world.desk)
    ticket = people.open_for("service_desk", "mei@example.com", world.people["ann"],
                             {"summary": "mail down"})
    mei = people.of_ticket(ticket.id)
    assert mei is not None and mei.id is not None
    assert [t.id for t in people.tickets(mei.id)] == [ticket.id]
    stranger = people.find_or_add("eve@example.com")
    with pytest.raises(InvalidTrigger, match="not waiting"):
        people.answer(ticket.id, mei, solved=True)
    to_confirming(world, ticket.id)
    with pytest.raises(Forbidden, match="not yours"):
        people.answer(ticket.id, stranger, solved=True)
    people.comment(ticket.id, mei, "works again, thanks")
    closed = people.answer(ticket.id, mei, solved=True)
    assert (closed.state, closed.is_open) == ("closed", False)
    actors = [(e.actor, e.trigger) for e in world.desk.history(ticket.id)][-2:]
    assert actors == [(f"requester:{mei.id}", "comment"), (f"requester:{mei.id}", "confirm")]
    report = Audit(world.desk.store, world.clock).verify()
    assert report.ok, report.violations
    public = [e.trigger for e in people.public_history(ticket.id)]
    assert public == [None, "reply", "comment", "confirm"]


def test_a_requester_may_not_fire_other_steps(world: DeskWorld) -> None:
    people = Requesters(world.desk)
    ticket = people.open_for("service_desk", "mei@example.com", world.people["ann"],
                             {"summary": "mail down"})
    mei = people.of_ticket(ticket.id)
    assert mei is not None
    from engine.desk.requesters import actor_of
    with pytest.raises(Forbidden):
        world.desk.fire(ticket.id, "receive", actor_of(mei))
    with pytest.raises(Forbidden):
        world.desk.open("service_desk", actor_of(mei), {"summary": "x"})


def test_links_are_signed_expire_and_answer(world: DeskWorld) -> None:
    people = Requesters(world.desk)
    signer = LinkSigner(SECRET)
    ticket = people.open_for("service_desk", "mei@example.com", world.people["ann"],
                             {"summary": "mail down"})
    mei = people.of_ticket(ticket.id)
    assert mei is not None and mei.id is not None
    token = people.link_token(signer, ticket.id, mei.id, timedelta(days=1))
    assert people.follow(signer, token)[0].id == ticket.id
    forged = token.replace(f"{ticket.id}.", f"{ticket.id + 1}.", 1)
    with pytest.raises(InvalidLink, match="not made by this desk"):
        people.follow(signer, forged)
    for damaged in ("garbage", "\u0661.\u0662.\u0663.abc"):  # Arabic-Indic digits too
        with pytest.raises(InvalidLink, match="damaged"):
            people.follow(signer, damaged)
    with pytest.raises(InvalidLink, match="not made by this desk"):
        people.follow(LinkSigner(b"another secret of enough bytes!!"), token)
    to_confirming(world, ticket.id)
    reopened = people.answer_by_link(signer, token, solved=False)
    assert (reopened.state, reopened.data["reopened"]) == ("handling", 1)
    world.clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(InvalidLink, match="expired"):
        people.follow(signer, token)
    assert Audit(world.desk.store, world.clock).verify().ok


def forge(world: DeskWorld, ticket_id: int, actor: str, trigger: str, kind: str) -> None:
    """Write a step into the journal as ``actor`` without the desk's checks (a forgery)."""
    from engine.core.model import Change
    from engine.desk import plan

    desk, now = world.desk, world.clock.now()
    ticket = desk.ticket(ticket_id)
    compiled = desk.compiled(ticket.digest)
    if kind == "fire":
        outcome = plan.plan_outcome(compiled, ticket, trigger, world.people["ann"], {}, now)
        moved, changes = outcome.moved, outcome.changes
    else:
        moved, changes = plan.replace_fields(ticket), {}
    event = plan.new_event(moved, at=now, actor=actor, kind=kind, trigger=trigger,
                           source=ticket.state, changes=changes, note="forged")
    desk.store.apply(Change(ticket=plan.advanced(moved, event, now),
                            expected_version=ticket.version, events=[event]))


def test_verify_catches_requester_steps_that_were_not_theirs_to_take(
        world: DeskWorld) -> None:
    people = Requesters(world.desk)
    ticket = people.open_for("service_desk", "mei@example.com", world.people["ann"],
                             {"summary": "mail down"})
    mei = people.of_ticket(ticket.id)
    eve = people.find_or_add("eve@example.com")
    assert mei is not None and eve.id is not None
    forge(world, ticket.id, f"requester:{eve.id}", "comment", "event")
    forge(world, ticket.id, f"requester:{mei.id}", "receive", "fire")
    problems = [str(v) for v in Audit(world.desk.store, world.clock).verify().violations]
    assert f"ticket {ticket.id} seq 2: requester {eve.id} acted on a ticket that is not " \
           "theirs" in problems
    assert any(p.startswith(f"ticket {ticket.id} seq 3: not allowed: 'receive' needs the "
                            "role agent") for p in problems), problems


def test_an_address_taken_by_another_requester_is_a_conflict(world: DeskWorld) -> None:
    people = Requesters(world.desk)
    ann = world.people["ann"]
    people.add(Requester(name="Mei", email="mei@example.com"), ann)
    lee = people.add(Requester(name="Lee", email="lee@example.com"), ann)
    with pytest.raises(Conflict, match="is another requester's"):
        people.edit(str(lee.id), ann, email="MEI@example.com")
    assert people.get(str(lee.id)).email == "lee@example.com"
