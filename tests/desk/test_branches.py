"""Parallel branches on a desk, on every backend: fork, steps per branch, join, the SLA
clocks and stints of each branch, replay, verify (a tampered branch step is illegal),
migration, and the command line (``show``, ``list``, ``fire``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from engine.assessment.stints import Reader, Versions
from engine.audit.audit import Audit
from engine.audit.migration import Migration
from engine.audit.replay import differences
from engine.core.errors import BadRequest, Forbidden, InvalidTrigger, MissingField
from engine.core.model import Ticket
from engine.desk.reading import may_read
from engine.process.load import parse_process
from tests.desk.conftest import PASSWORD, DeskWorld, build_world
from tests.desk.test_cli import ADMIN, Cli
from tests.engine.test_forks import SOURCE


def _staffed(url: str) -> DeskWorld:
    world = build_world(url)
    rob = world.workspace.accounts.add(world.people["root"], username="rob", password=PASSWORD,
                                       roles=["agent"], post="response_group")
    world.people["rob"] = rob
    return world


def _forked(world: DeskWorld, level: int = 3) -> Ticket:
    desk, p = world.desk, world.people
    ticket = desk.open("fault_escalation", p["ann"], {"summary": "array slow", "level": level})
    desk.fire(ticket.id, "hand_up", p["ann"])
    desk.fire(ticket.id, "hand_up", p["rob"], data={"group": "hardware_platform"})
    return desk.fire(ticket.id, "check_in_parallel", p["hal"])


def _replays(world: DeskWorld, ticket_id: int) -> bool:
    stored = world.desk.ticket(ticket_id)
    return differences(stored, Audit(world.workspace.store, world.clock).replay(ticket_id)) == []


def test_fork_branch_steps_and_join_when_all_are_done(store_url: str) -> None:
    world = _staffed(store_url)
    desk, p = world.desk, world.people
    ticket = _forked(world)
    assert (ticket.state, ticket.post, ticket.branches) == (
        "checks", "handling_group", {"hardware": "hardware_check", "software": "software_check"})
    assert [t.trigger for t in desk.actions(ticket, p["rob"])] == ["report_software"]
    assert may_read(p["rob"], ticket) and desk.ticket(ticket.id).branches  # his branch's

    assert [t.trigger for t in desk.actions(ticket, p["hal"])] == ["report_hardware"]
    with pytest.raises(Forbidden, match="post response_group, not handling_group"):
        desk.fire(ticket.id, "report_software", p["hal"], data={"software_result": "sound"})
    with pytest.raises(MissingField, match="hardware_result"):
        desk.fire(ticket.id, "report_hardware", p["hal"])
    world.clock.advance(timedelta(minutes=20))
    half = desk.fire(ticket.id, "report_software", p["rob"], data={"software_result": "sound"})
    assert half.branches == {"hardware": "hardware_check", "software": "software_checked"}
    assert _replays(world, ticket.id)
    with pytest.raises(InvalidTrigger):
        desk.fire(ticket.id, "report_software", p["rob"], data={"software_result": "faulty"})
    joined = desk.fire(ticket.id, "report_hardware", p["hal"], data={"hardware_result": "sound"})
    assert (joined.state, joined.branches, joined.post) == ("handling_tier", {},
                                                            "handling_group")
    steps = [e.details for e in desk.history(ticket.id)][-2:]
    assert steps[0]["branch"] == "software" and steps[0]["step"] == ["software_check",
                                                                     "software_checked"]
    assert steps[1]["joined"] is True and "branches" not in steps[1]
    assert _replays(world, ticket.id)
    assert Audit(world.workspace.store, world.clock).verify().ok


def test_each_branch_has_its_own_sla_clock_and_stint(store_url: str) -> None:
    world = _staffed(store_url)
    desk, p = world.desk, world.people
    ticket = _forked(world, level=1)
    clocks = ticket.sla["clocks"]
    assert {name: (c["post"], c["limit"]) for name, c in clocks.items()
            if name in ("hardware", "software")} == {
        "hardware": ("handling_group", 3600.0), "software": ("response_group", 7200.0)}
    world.clock.advance(timedelta(minutes=30))
    desk.fire(ticket.id, "report_hardware", p["hal"], data={"hardware_result": "sound"})
    after = desk.ticket(ticket.id)
    assert "hardware" not in after.sla["clocks"] and "software" in after.sla["clocks"]
    done = [c for c in after.sla["done"] if c["clock"] == "hardware"]
    assert done[0]["spent"] == 1800.0
    events = desk.history(ticket.id)
    versions = Versions(desk.store.get_version)
    reader = Reader(events[0], versions[events[0].digest])
    for event in events[1:]:
        reader.step(event, versions[event.digest])
    stints = [(s.post, s.end is None) for s in reader.finish().stints]
    assert ("handling_group", False) in stints  # the hardware branch's stint, ended
    assert ("response_group", True) in stints  # the software branch's, still running


def test_the_join_condition_joins_before_every_branch_is_done(store_url: str) -> None:
    world = _staffed(store_url)
    desk, p = world.desk, world.people
    ticket = _forked(world)
    joined = desk.fire(ticket.id, "report_hardware", p["hal"],
                       data={"hardware_result": "faulty"})
    assert (joined.state, joined.branches) == ("handling_tier", {})
    assert "software" not in joined.sla["clocks"]  # the branch left undone stops its clock
    assert not may_read(p["rob"], joined)
    with pytest.raises(Forbidden, match="'rob' may not read"):  # back at the handling group
        desk.fire(ticket.id, "report_software", p["rob"], data={"software_result": "sound"})
    with pytest.raises(InvalidTrigger):
        desk.fire(ticket.id, "report_software", p["hal"], data={"software_result": "sound"})
    assert _replays(world, ticket.id)
    assert Audit(world.workspace.store, world.clock).verify().ok


def test_verify_finds_a_tampered_branch_step_illegal(store_url: str) -> None:
    world = _staffed(store_url)
    desk, p = world.desk, world.people
    ticket = _forked(world)
    desk.fire(ticket.id, "report_software", p["rob"], data={"software_result": "sound"})
    assert Audit(world.workspace.store, world.clock).verify().ok
    store: Any = world.workspace.store
    with store.engine.begin() as connection:  # the software step recorded as hal's
        connection.execute(text("UPDATE events SET actor = 'hal' WHERE ticket_id = :t AND "
                                "trigger = 'report_software'"), {"t": ticket.id})
    report = Audit(store, world.clock).verify()
    assert any("is for the post response_group, not handling_group" in str(v)
               for v in report.violations), report.violations


def test_migration_refuses_a_forked_ticket(store_url: str) -> None:
    world = _staffed(store_url)
    ticket = _forked(world)
    other = world.desk.open("fault_escalation", world.people["ann"], {"summary": "x", "level": 4})
    world.desk.fire(other.id, "hand_up", world.people["ann"])
    world.desk.fire(other.id, "hand_up", world.people["rob"], data={"group": "hardware_platform"})
    source = world.desk.store.get_version(ticket.digest).source + "\n# version 2\n"
    world.desk.deploy([parse_process(source, "fault_escalation.yaml")], world.people["root"])
    with pytest.raises(BadRequest, match=r"in parallel branches .* once they have joined"):
        Migration(world.desk).plan("fault_escalation", 2, {})
    with pytest.raises(BadRequest, match="'checks' is a fork or a branch state: a migration "
                       "does not enter parallel branches"):
        Migration(world.desk).plan("fault_escalation", 2, {"handling_tier": "checks"})


# -- random legal walks --------------------------------------------------------------------

WALK_PEOPLE = {"dee": "desk", "hank": "hardware_team", "sofia": "software_team"}
INPUT = {"hw_result": ["ok", "faulty"], "sw_result": ["ok", "faulty"]}


def _walk_world() -> DeskWorld:
    world = build_world("sqlite://")
    world.desk.deploy([parse_process(SOURCE, "checks.yaml")], world.people["root"])
    for name, post in WALK_PEOPLE.items():
        world.people[name] = world.workspace.accounts.add(
            world.people["root"], username=name, password=PASSWORD, roles=["agent"], post=post)
    return world


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 1), st.integers(0, 90)),
                min_size=1, max_size=12))
def test_random_legal_walks_verify_clean_and_replay(choices: list[tuple[int, int, int]]
                                                     ) -> None:
    world = _walk_world()
    desk = world.desk
    ticket = desk.open("checks", world.people["dee"], {"summary": "walk"})
    for pick, value, minutes in choices:
        ticket = desk.ticket(ticket.id)
        possible = [(t, name) for name in WALK_PEOPLE
                    for t in desk.actions(ticket, world.people[name])]
        if not possible:
            break
        transition, name = possible[pick % len(possible)]
        data = {field: INPUT[field][value] for field in transition.requires}
        world.clock.advance(timedelta(minutes=minutes))
        desk.fire(ticket.id, transition.trigger, world.people[name], data=data)
        assert _replays(world, ticket.id)
    report = Audit(world.workspace.store, world.clock).verify()
    assert report.ok, report.violations


# -- the command line ----------------------------------------------------------------------

def test_show_list_and_fire_in_branches_from_the_cli(shared_store_url: str,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    world = _staffed(shared_store_url)
    ticket = _forked(world)
    world.workspace.store.close()
    cli = Cli(shared_store_url, capsys, monkeypatch)
    shown = cli.json("show", str(ticket.id), user="root", password=PASSWORD)
    assert (shown["state"], shown["branches"]) == (
        "checks", {"hardware": "hardware_check", "software": "software_check"})
    code, out, _ = cli("show", str(ticket.id))
    assert code == 0
    assert "state=checks [hardware: hardware_check, software: software_check]" in out
    code, out, _ = cli("list")
    assert "checks [hardware: hardware_check, software: software_check]" in out
    code, _, err = cli("fire", str(ticket.id), "report_software", "--set",
                       "software_result=sound", user="rob", password=PASSWORD)
    assert code == 0, err
    code, _, err = cli("fire", str(ticket.id), "report_software", "--set",
                       "software_result=sound")
    assert code != 0 and "not possible now" in err and "Traceback" not in err
    shown = cli.json("show", str(ticket.id), user="root", password=PASSWORD)
    assert shown["branches"] == {"hardware": "hardware_check", "software": "software_checked"}
    assert ADMIN  # (the desk's own admin password is the world's, not the CLI fixture's)


def test_the_auditors_replay_shows_each_step_s_branches() -> None:
    from rich.console import Console

    from tui.screens.replay import rebuild, step_table

    world = _staffed("sqlite://")
    ticket = _forked(world)
    world.desk.fire(ticket.id, "report_software", world.people["rob"],
                    data={"software_result": "sound"})
    steps = rebuild(world.desk.history(ticket.id), {})
    assert [s.branches for s in steps[-2:]] == [
        {"hardware": "hardware_check", "software": "software_check"},
        {"hardware": "hardware_check", "software": "software_checked"}]
    console = Console(width=100, record=True)
    console.print(step_table(steps[-1]))
    shown = console.export_text()
    assert "branch software  software_checked" in shown
    assert "branch hardware  hardware_check" in shown
