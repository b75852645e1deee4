"""Closing a problem reaches the holders of its linked tickets by mail (the post's address
and the assignee's) and by webhook (``notification:problem_closed``), through the outbox."""

from __future__ import annotations

from datetime import timedelta

from engine.desk.problems import Problems
from engine.desk.webhooks import Dispatcher
from engine.mail.outgoing import Outgoing
from tests.api.test_webhooks import Receiver
from tests.desk.conftest import PASSWORD, DeskWorld
from tests.mail.conftest import Sink, free_port, mail_settings
from tests.mail.test_outgoing import deliver
from tui import delivery


def closed_problem(world: DeskWorld) -> tuple[int, int]:
    """A fault held by ann linked to a problem that is then closed: their ids."""
    desk, ann, hal = world.desk, world.people["ann"], world.people["hal"]
    pat = world.workspace.accounts.add(world.people["root"], username="pat", password=PASSWORD,
                                       roles=["agent"], post="problem_management")
    fault = desk.open("fault_escalation", ann, {"summary": "disk errors", "level": 2})
    desk.claim(fault.id, ann)
    problem = desk.open("problem", ann, {"summary": "SAN firmware bug"})
    Problems(desk).link(fault.id, problem.id, ann)
    for trigger, data in (("investigate", {}), ("find_root_cause", {"root_cause": "fw 4.2"}),
                          ("resolve", {"resolution": "firmware 4.3 installed"})):
        desk.fire(problem.id, trigger, hal, data=data)
    desk.fire(problem.id, "close", pat)
    return fault.id, problem.id


def test_the_post_and_the_assignee_are_mailed(world: DeskWorld, sink: Sink) -> None:
    outgoing = Outgoing(world.desk, mail_settings(sink.port), "w1")
    fault, problem = closed_problem(world)
    deliver(world, outgoing)
    got = sorted((str(m["To"]), m["Subject"]) for m in sink.messages)
    assert got == [("ann@desk.test", f"[#{fault}] Problem closed: disk errors"),
                   ("team@desk.test", f"[#{fault}] Problem closed: disk errors")]
    body = sink.messages[0].get_content()
    assert f"problem {problem} (SAN firmware bug) behind ticket {fault} was closed: " \
           "firmware 4.3 installed" in body
    assert all(m["Auto-Submitted"] == "auto-generated" for m in sink.messages)


def test_a_webhook_subscribed_to_problem_closed_gets_it(world: DeskWorld) -> None:
    receiver = Receiver(free_port())
    receiver.start()
    try:
        subscription = world.workspace.webhooks.add(
            world.people["root"], receiver.url, ["notification:problem_closed"])
        receiver.secret = subscription.secret
        fault, _ = closed_problem(world)
        world.clock.advance(timedelta(minutes=1))  # settled: no older row may still commit
        dispatcher = Dispatcher(store=world.workspace.webhooks.store, clock=world.clock,
                                send=delivery.post, worker="w1", report=lambda message: None)
        while dispatcher.pass_once():
            pass
    finally:
        receiver.stop()
    [posted] = receiver.received
    assert posted["signed"]
    assert (posted["body"]["kind"], posted["body"]["ticket"], posted["body"]["post"]) == (
        "problem_closed", fault, "service_desk")
