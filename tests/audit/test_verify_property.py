"""A whole-desk verify gives, for every ticket, the verdict of verifying that ticket alone.

``verify`` remembers a step's verdict and reuses it for every step in the same situation
(:mod:`engine.audit.replanning`); if the situation it keys by leaves out something a plan
reads, one ticket's verdict leaks into another's. Generated processes whose guards,
``set``s and ``assign``s read ``state``, the actor, the actor's post, the post and the
assignee, generated journals (legal ones, and forged ones rechained consistently), and
the property: each ticket's violations in a whole-desk verify — in one process and in
parallel workers — are exactly those of verifying it alone.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, update

from engine.audit.audit import Audit
from engine.audit.parallel import verify_in_parallel
from engine.core.errors import ServiceError
from engine.core.journal import GENESIS, seal
from engine.process.load import parse_process
from engine.time.clock import VirtualClock
from storage.models import metadata
from tests.conftest import PG_ENV, backend_url
from tests.desk.conftest import START
from tui.wiring import Workspace, open_workspace

EVENTS, TICKETS = metadata.tables["events"], metadata.tables["tickets"]
TASKS = ["s0", "s1", "s2"]
POSTS = ["desk", "lab"]
PEOPLE = {"ann": (["agent"], "desk"), "bob": (["agent"], "lab"),
          "cat": (["agent"], "desk"), "sue": (["supervisor"], "lab")}
GUARDS = [None, None, None, 'state != "s1"', 'state == "s0" or actor_post == "lab"',
          'actor != "bob"', 'actor_post == "desk"', "n < 2", 'state + str(n) != "s11"',
          'note != state']
SETS = [{}, {"note": "= state"}, {"note": "= state"}, {"note": "= state"},
        {"note": "= state + actor"}, {"who": "= actor"},
        {"n": "= n + 1"}, {"who": "= str(actor_post)"}, {"note": "= state", "n": "= n + 1"},
        {"note": "= who", "who": '= state + "/" + actor'}]
ASSIGNS = [None, "actor", "nobody", '= actor if state == "s0" else null',
           '= "cat" if actor_post == "desk" else null']
TRIGGERS = {6: "go1", 7: "go2", 8: "close"}
EXAMPLES = int(os.environ.get("TICKETFLOW_EXAMPLES", 25))


@st.composite
def processes(draw: st.DrawFn) -> str:
    """A process file whose steps read state, actor, post and assignee."""
    shared = draw(st.sampled_from([None, *POSTS]))  # one post for every state, often
    states: dict[str, Any] = {name: {"post": shared or draw(st.sampled_from(POSTS))}
                              for name in TASKS}
    states["s0"]["kind"] = "start"
    states["done"] = {"kind": "end"}
    transitions: list[dict[str, Any]] = [  # every state reachable, whatever is drawn
        {"trigger": "go1", "from": "s0", "to": "s1", "posts": ["*"]},
        {"trigger": "go2", "from": "s1", "to": "s2", "posts": ["*"]},
        {"trigger": "close", "from": "s2", "to": "done", "posts": ["*"]}]
    for number in range(draw(st.integers(2, 6))):
        transition: dict[str, Any] = {
            "trigger": f"t{number}",
            "from": draw(st.lists(st.sampled_from(TASKS), min_size=1, max_size=3,
                                  unique=True)),
            "to": draw(st.sampled_from([*TASKS, "done"])),
            "roles": ["agent", "supervisor"]}
        if draw(st.booleans()):
            transition["posts"] = ["*"]
        for key, pool in (("when", GUARDS), ("set", SETS), ("assign", ASSIGNS)):
            value = draw(st.sampled_from(pool))
            if value:
                transition[key] = value
        if number == 0:  # at least one step that leaves two states and reads which
            transition["from"] = draw(st.sampled_from([["s1", "s2"], ["s0", "s1"],
                                                       ["s0", "s2"], TASKS]))
            transition["set"] = draw(st.sampled_from([each for each in SETS
                                                      if "state" in str(each)]))
        transitions.append(transition)
    return yaml.safe_dump({
        "process": "prop", "title": "Property", "roles": ["agent", "supervisor", "admin"],
        "posts": POSTS,
        "fields": {"note": {"type": "text"}, "who": {"type": "text"},
                   "n": {"type": "integer", "default": 0}},
        "states": states, "transitions": transitions}, sort_keys=False)


Step = tuple[int, int, str, str]
"""(ticket index, transition number, actor, kind: fire, claim or assign)."""
steps = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 8),
                           st.sampled_from(sorted(PEOPLE)),
                           st.sampled_from(["fire", "fire", "fire", "claim", "assign"])),
                 min_size=8, max_size=40)
Forgery = tuple[int, int, str, str] | None
"""(ticket index, event index, field, value): a recorded change rewritten, rechained."""
forgeries = st.none() | st.tuples(
    st.integers(0, 3), st.integers(1, 12), st.sampled_from(["note", "who", "n", "_assignee"]),
    st.sampled_from(["s0", "s1", "s2", "ann", "bob", "cat", "s0ann", "lab"]))


def workspace_with(url: str, source: str) -> Workspace:
    clock = VirtualClock(START)
    workspace = open_workspace(url, clock=clock)
    admin = None
    for name, (roles, post) in [("root", (["admin"], None)), *PEOPLE.items()]:
        account = workspace.accounts.add(admin, username=name, password="Str0ng-pass",
                                         roles=roles, post=post)
        admin = admin or account
    assert admin is not None
    workspace.desk.deploy([parse_process(source, "prop.yaml")], admin)
    return workspace


def play(workspace: Workspace, plan: list[Step]) -> list[int]:
    """Open four tickets and try every step; refusals are part of a desk's life."""
    desk, people = workspace.desk, {a.username: a for a in workspace.store.list_accounts()}
    clock: Any = desk.clock
    tickets = [desk.open("prop", people["ann"]).id for _ in range(4)]
    for index, number, actor, kind in plan:
        clock.advance(timedelta(minutes=1))
        ticket = tickets[index]
        try:
            if kind == "fire":
                desk.fire(ticket, TRIGGERS.get(number, f"t{number}"), people[actor])
            elif kind == "claim":
                desk.claim(ticket, people[actor])
            else:
                desk.assign(ticket, "cat", people[actor])
        except ServiceError:
            pass
    return tickets


def forge(workspace: Workspace, tickets: list[int], forgery: Forgery) -> None:
    """Rewrite one recorded change and rechain the journal, as a careful forger would."""
    if forgery is None:
        return
    index, at, field, value = forgery
    events = workspace.store.events(tickets[index])
    if at >= len(events) or events[at].kind not in ("fire", "assign"):
        return
    before = events[at].changes.get(field, [None, None])[0]
    written: Any = len(value) if field == "n" else value
    events[at] = replace(events[at], changes={**events[at].changes,
                                              field: [before, written]})
    chained, previous = [], GENESIS
    for event in events:
        event = seal(replace(event, prev_hash=previous))
        chained.append(event)
        previous = event.hash
    with workspace.store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(delete(EVENTS).where(EVENTS.c.ticket_id == tickets[index]))
        connection.execute(insert(EVENTS), [vars(event) for event in chained])
        connection.execute(update(TICKETS).where(TICKETS.c.id == tickets[index]).values(
            head=chained[-1].hash))


def violations(report: Any, ticket: int | None = None) -> list[tuple[Any, ...]]:
    return sorted((v.ticket or 0, v.seq or 0, v.problem) for v in report.violations
                   if ticket is None or v.ticket == ticket)


def check(kind: str, source: str, plan: list[Step], forgery: Forgery
          ) -> list[tuple[Any, ...]]:
    """Play, forge, and compare each ticket's verdicts; the whole desk's violations."""
    with tempfile.TemporaryDirectory() as directory, \
            backend_url(kind, Path(directory)) as url:
        workspace = workspace_with(url, source)
        tickets = play(workspace, plan)
        forge(workspace, tickets, forgery)
        audit = Audit(workspace.store, workspace.desk.clock)
        whole = audit.verify()
        for ticket in tickets:
            assert violations(whole, ticket) == violations(audit.verify([ticket]), ticket)
        parallel = verify_in_parallel(lambda: open_workspace(url).store, None, 2)
        assert violations(parallel) == violations(whole)
        assert parallel.events == whole.events
        if forgery is None:
            assert whole.ok, violations(whole)
        workspace.store.close()
        return violations(whole)


@pytest.mark.parametrize("kind", ["sqlite-file", pytest.param("postgresql",
                                                              marks=pytest.mark.pg)])
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(source=processes(), plan=steps, forgery=forgeries)
def test_each_ticket_gets_the_verdict_it_gets_alone(kind: str, source: str, plan: list[Step],
                                                    forgery: Forgery) -> None:
    if kind == "postgresql" and not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} not set")
    check(kind, source, plan, forgery)


def test_the_issues_example_is_among_them() -> None:
    """``finish`` from ``[a, b]`` setting ``came_from = state``, as generated here: t0 from
    [s1, s2] sets note to the state; one ticket through s1, another through s2."""
    source = yaml.safe_dump({
        "process": "prop", "title": "Property", "roles": ["agent", "supervisor", "admin"],
        "posts": POSTS,
        "fields": {"note": {"type": "text"}, "who": {"type": "text"},
                   "n": {"type": "integer", "default": 0}},
        "states": {"s0": {"kind": "start", "post": "desk"}, "s1": {"post": "desk"},
                   "s2": {"post": "desk"}, "done": {"kind": "end"}},
        "transitions": [
            {"trigger": "t0", "from": ["s1", "s2"], "to": "done",
             "set": {"note": "= state"}},
            {"trigger": "t1", "from": ["s0"], "to": "s1"},
            {"trigger": "t2", "from": ["s0"], "to": "s2"}]})
    plan: list[Step] = [(0, 1, "ann", "fire"), (0, 0, "ann", "fire"),
                        (1, 2, "ann", "fire"), (1, 0, "ann", "fire")]
    check("sqlite-file", source, plan, None)  # legal: t0 from s2 sets note s2
    forged = check("sqlite-file", source, plan, (1, 2, "note", "s1"))  # from s1, it says
    assert (2, 3, "recorded changes to 'note' are not what the step does") in forged
