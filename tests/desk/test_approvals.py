"""Quorum approvals: one journaled vote per account, counted by the desk and by verify.

The concurrency tests run real processes on one database (a SQLite file, PostgreSQL): the
same account voting from several processes at once gets exactly one vote.
"""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from engine.audit.audit import Audit
from engine.core.errors import Forbidden, InvalidTrigger, SpecError
from engine.process.load import load_process, parse_process
from engine.time.clock import VirtualClock
from tests.desk.conftest import PASSWORD, START, build_world
from tui.wiring import open_workspace

NIGHT = {"summary": "restore a node", "vendor_name": "Acme DB", "rights": "operator",
         "access_window": "outside_hours"}
SUPERVISORS = ("sue", "sam", "sid", "sol")


def _staff(url: str) -> Any:
    world = build_world(url)
    for name in SUPERVISORS[1:]:
        world.people[name] = world.workspace.accounts.add(
            world.people["root"], username=name, password=PASSWORD, roles=["supervisor"],
            post="handling_group")
    return world


def _votes(world: Any, ticket_id: int) -> list[tuple[str, str]]:
    return [(e.actor, e.details["vote"]) for e in world.desk.history(ticket_id)
            if "vote" in e.details]


def test_outside_hours_two_supervisors_approve_and_verify_recounts(store_url: str) -> None:
    world = _staff(store_url)
    desk, p = world.desk, world.people
    ticket = desk.open("vendor_access", p["hal"], NIGHT)
    first = desk.approve(ticket.id, p["sue"], data={"approval_reference": "W-9"})
    assert first.state == "requested" and first.data["approval_reference"] == "W-9"
    with pytest.raises(Forbidden, match="'sue' has already voted"):
        desk.approve(ticket.id, p["sue"], data={"approval_reference": "W-9"})
    with pytest.raises(Forbidden):
        desk.approve(ticket.id, p["hal"], data={"approval_reference": "W-9"})
    done = desk.approve(ticket.id, p["sam"], note="checked the vendor's contract")
    assert (done.state, done.data["approved_by"]) == ("approved", "sam")
    assert [e.details for e in desk.history(ticket.id) if "vote" in e.details] == [
        {"vote": "approve", "votes": 1, "needed": 2},
        {"vote": "approve", "votes": 2, "needed": 2}]
    with pytest.raises(InvalidTrigger, match="waits for no approval"):
        desk.approve(ticket.id, p["sid"])
    assert Audit(world.workspace.store, world.clock).verify().ok


def test_a_rejection_refuses_and_a_forged_second_vote_fails_verify(store_url: str) -> None:
    world = _staff(store_url)
    desk, p = world.desk, world.people
    ticket = desk.open("vendor_access", p["hal"], NIGHT)
    desk.approve(ticket.id, p["sue"], data={"approval_reference": "W-1"})
    refused = desk.approve(ticket.id, p["sam"], reject=True, note="no contract")
    assert (refused.state, refused.is_open) == ("refused", False)
    assert _votes(world, ticket.id) == [("sue", "approve"), ("sam", "reject")]
    assert Audit(world.workspace.store, world.clock).verify().ok
    # the same journal, but the rejection recorded as sue's (a forgery): verify refuses it
    store: Any = world.workspace.store
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE events SET actor = 'sue' WHERE ticket_id = :t AND "
                                "seq = 3"), {"t": ticket.id})
    report = Audit(store, world.clock).verify()
    assert any("already voted" in str(v) for v in report.violations), report.violations


FLOW = """\
process: board
title: A board decides
roles: [agent, member]
posts: [desk]
fields:
  summary: {type: text}
states:
  proposed: {kind: start, post: desk}
  accepted: {kind: end}
  declined: {kind: end}
transitions:
  - trigger: vote
    from: proposed
    to: accepted
    posts: ["*"]
    approve: {by: member, quorum: QUORUM, reject_on: REJECT, rejected: declined}
"""


def test_quorum_forms_are_checked_where_written() -> None:
    source = FLOW.replace("QUORUM", "'120%'").replace("REJECT", "0")
    with pytest.raises(SpecError) as caught:
        parse_process(source.replace("roles: [agent, member]", "roles: [agent]"), "b.yaml")
    assert [f"{p.line}:{p.column}: {p.message}" for p in caught.value.problems] == [
        "16:19: role 'member' is not declared",
        "16:35: a quorum is a number, all, a percentage such as 50%, or '= expression'",
        "16:54: a quorum is at least 1"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quorum=st.sampled_from(["1", "2", "3", "all", "'50%'", "'75%'"]),
       reject=st.integers(1, 3),
       ballots=st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=8))
def test_any_sequence_of_votes_settles_as_counted_and_verifies(
        tmp_path_factory: pytest.TempPathFactory, quorum: str, reject: int,
        ballots: list[tuple[int, bool]]) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('board')}/desk.db"
    workspace = open_workspace(url, clock=VirtualClock(START))
    root = workspace.accounts.add(None, username="root", password=PASSWORD, roles=["admin"],
                                  post=None)
    path = tmp_path_factory.mktemp("flow") / "board.yaml"
    path.write_text(FLOW.replace("QUORUM", quorum).replace("REJECT", str(reject)))
    workspace.desk.deploy([load_process(path)], root)
    members = [workspace.accounts.add(root, username=f"m{n}", password=PASSWORD,
                                      roles=["member"], post="desk") for n in range(4)]
    ticket = workspace.desk.open("board", root, {"summary": "x"})
    need = {"all": 4, "'50%'": 2, "'75%'": 3}.get(quorum) or int(quorum)
    voted: set[int] = set()
    counts = {True: 0, False: 0}
    for member, yes in ballots:
        state = workspace.desk.ticket(ticket.id).state
        try:
            workspace.desk.approve(ticket.id, members[member], reject=not yes)
        except (Forbidden, InvalidTrigger):
            assert member in voted or state != "proposed"
            continue
        assert member not in voted and state == "proposed"
        voted.add(member)
        counts[yes] += 1
    expected = ("accepted" if counts[True] >= need else
                "declined" if counts[False] >= reject else "proposed")
    assert workspace.desk.ticket(ticket.id).state == expected
    assert Audit(workspace.store, workspace.desk.clock).verify().ok


def _board(tmp_path: Any, quorum: str) -> tuple[Any, Any, list[Any]]:
    workspace = open_workspace(f"sqlite:///{tmp_path}/desk.db", clock=VirtualClock(START))
    root = workspace.accounts.add(None, username="root", password=PASSWORD, roles=["admin"],
                                  post=None)
    path = tmp_path / "board.yaml"
    path.write_text(FLOW.replace("QUORUM", quorum).replace("REJECT", "3"))
    workspace.desk.deploy([load_process(path)], root)
    members = [workspace.accounts.add(root, username=f"m{n}", password=PASSWORD,
                                      roles=["member"], post="desk") for n in range(4)]
    return workspace, root, members


def test_verify_counts_the_eligible_again_from_the_accounts_history(tmp_path: Any) -> None:
    workspace, root, members = _board(tmp_path, "all")
    ticket = workspace.desk.open("board", root, {"summary": "x"})
    workspace.desk.approve(ticket.id, members[0])
    workspace.desk.clock.advance(timedelta(minutes=1))
    workspace.accounts.update(root, "m3", disabled=True)  # all: now three of three
    workspace.desk.approve(ticket.id, members[1])
    done = workspace.desk.approve(ticket.id, members[2])
    assert done.state == "accepted"
    assert [e.details["eligible"] for e in workspace.desk.history(ticket.id)
            if "vote" in e.details] == [4, 3, 3]
    assert Audit(workspace.store, workspace.desk.clock).verify().ok
    # a journal that claims fewer approvers could act than the accounts' history says
    with workspace.store.engine.begin() as connection:
        connection.execute(text("UPDATE events SET details = replace(details, :was, :forged) "
                                "WHERE ticket_id = :t AND seq = 4"),
                           {"t": ticket.id, "was": '"eligible":3', "forged": '"eligible":2'})
    report = Audit(workspace.store, workspace.desk.clock).verify()
    assert any("eligible" in str(v) for v in report.violations), report.violations


def test_a_vote_names_its_approval_or_takes_the_first_declared(tmp_path: Any) -> None:
    workspace, root, members = _board(tmp_path, "1")
    two = FLOW.replace("QUORUM", "1").replace("REJECT", "1") + """\
  - trigger: ratify
    from: proposed
    to: accepted
    posts: ["*"]
    approve: {by: member, rejected: declined}
"""
    workspace.desk.deploy([parse_process(two, "board.yaml")], root)
    ticket = workspace.desk.open("board", root, {"summary": "x"})
    with pytest.raises(InvalidTrigger, match="'veto' is not an approval waiting here"):
        workspace.desk.approve(ticket.id, members[0], trigger="veto")
    done = workspace.desk.approve(ticket.id, members[0], trigger="ratify")
    assert (done.state, workspace.desk.history(ticket.id)[-1].trigger) == ("accepted",
                                                                            "ratify")
    other = workspace.desk.open("board", root, {"summary": "y"})
    workspace.desk.approve(other.id, members[1])
    assert workspace.desk.history(other.id)[-1].trigger == "vote"


# -- the same account, from several processes at once ------------------------------------

def _vote(url: str, name: str, ticket_id: int, start: Any, results: Any) -> None:
    try:
        workspace = open_workspace(url, clock=VirtualClock(START))
        me = workspace.store.get_account(name)
        workspace.desk.ticket(ticket_id)
        start.wait(timeout=120)
        try:
            workspace.desk.approve(ticket_id, me, data={"approval_reference": "W-7"})
            results.put("approved")
        except Forbidden as exc:
            results.put(f"refused: {exc}")
    except BaseException as exc:
        results.put(f"{type(exc).__name__}: {exc}")


def _contend(url: str, names: list[str]) -> tuple[Any, int, list[str]]:
    world = _staff(url)
    ticket = world.desk.open("vendor_access", world.people["hal"], NIGHT)
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(len(names)), context.Queue()
    children = [context.Process(target=_vote, args=(url, name, ticket.id, start, results))
                for name in names]
    for child in children:
        child.start()
    outcomes = sorted(results.get(timeout=180) for _ in children)
    for child in children:
        child.join(timeout=30)
    return world, ticket.id, outcomes


def test_one_account_voting_from_four_processes_at_once_votes_once(
        shared_store_url: str) -> None:
    world, ticket_id, outcomes = _contend(shared_store_url, ["sue"] * 4)
    assert outcomes[0] == "approved" and all(
        "'sue' has already voted" in outcome for outcome in outcomes[1:]), outcomes
    assert _votes(world, ticket_id) == [("sue", "approve")]
    assert world.desk.ticket(ticket_id).state == "requested"


def test_two_supervisors_voting_at_once_both_count(shared_store_url: str) -> None:
    world, ticket_id, outcomes = _contend(shared_store_url, ["sue", "sam"])
    assert outcomes == ["approved", "approved"]
    assert sorted(_votes(world, ticket_id)) == [("sam", "approve"), ("sue", "approve")]
    assert world.desk.ticket(ticket_id).state == "approved"
    assert Audit(world.workspace.store, world.clock).verify().ok
