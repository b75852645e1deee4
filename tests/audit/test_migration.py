"""Migrating open tickets between process versions: checked, journaled, reversible."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.audit.audit import Audit
from engine.audit.migration import Migration, parse_mapping
from engine.core.errors import BadRequest, Forbidden
from engine.core.model import SLA_KINDS
from engine.process.load import parse_process
from tests.desk.conftest import ROOT, DeskWorld

MINI = ROOT / "tests" / "flows" / "mini.yaml"


@pytest.fixture
def two_versions(world: DeskWorld) -> dict[str, int]:
    """Tickets of mini v1 in handling, pending and closed; mini v2 names pending 'parked'."""
    desk, ann, hal = world.desk, world.people["ann"], world.people["hal"]
    ids = {}
    for name, path in (("handling", ["receive", "dispatch"]),
                       ("pending", ["receive", "dispatch", "hold"]),
                       ("closed", ["receive", "expire_now"])):
        ticket = desk.open("mini", ann, {"summary": name})
        for trigger in path:
            if trigger == "expire_now":
                desk.fire(ticket.id, "dispatch", ann)
                desk.fire(ticket.id, "resolve", hal, data={"resolution": "done"})
                continue
            desk.fire(ticket.id, trigger, hal if trigger == "hold" else ann)
        ids[name] = ticket.id
    desk.claim(ids["handling"], hal)
    source = Path(MINI).read_text(encoding="utf-8").replace("pending", "parked")
    desk.deploy([parse_process(source, str(MINI))], world.people["root"])
    return ids


def verified(world: DeskWorld) -> None:
    report = Audit(world.workspace.store, world.clock).verify()
    assert report.ok, report.violations


def test_a_ticket_that_would_land_nowhere_stops_the_whole_migration(
        world: DeskWorld, two_versions: dict[str, int]) -> None:
    migration = Migration(world.desk)
    with pytest.raises(BadRequest, match=r"1 ticket\(s\) cannot move.*'pending' does not "
                                         r"exist.*--map pending=STATE"):
        migration.run("mini", 2, {}, world.people["root"])
    assert {world.desk.ticket(i).digest for i in two_versions.values()} == {
        world.desk.versions("mini")[0].digest}


def test_migrating_forward_and_back_is_journaled_and_verifies(
        world: DeskWorld, two_versions: dict[str, int]) -> None:
    desk, root = world.desk, world.people["root"]
    v1, v2 = (version.digest for version in desk.versions("mini"))
    migration = Migration(desk)
    planned = migration.plan("mini", 2, {"pending": "parked"})
    assert [(m.ticket_id, m.source, m.dest) for m in planned] == [
        (two_versions["handling"], "handling", "handling"),
        (two_versions["pending"], "pending", "parked")]
    assert desk.ticket(two_versions["pending"]).digest == v1  # planning moved nothing
    migration.run("mini", 2, parse_mapping(["pending=parked"]), root)
    parked = desk.ticket(two_versions["pending"])
    assert (parked.state, parked.digest) == ("parked", v2)
    kept = desk.ticket(two_versions["handling"])
    assert (kept.digest, kept.assignee) == (v2, "hal")
    assert desk.ticket(two_versions["closed"]).digest == v1
    last = desk.history(parked.id)[-1]
    assert (last.kind, last.source, last.dest, last.details) == (
        "migrate", "pending", "parked", {"from": v1, "to": v2})
    moves = [e for e in world.workspace.store.admin_entries() if e.kind == "migrate"]
    assert [(e.subject, e.details["from_version"], e.details["to_version"]) for e in moves] == [
        (str(two_versions["handling"]), 1, 2), (str(parked.id), 1, 2)]
    desk.fire(parked.id, "resume", world.people["hal"])
    verified(world)
    migration.run("mini", 1, {"parked": "pending"}, root)
    assert desk.ticket(parked.id).digest == v1
    verified(world)


def test_migration_needs_an_admin_and_an_existing_version(
        world: DeskWorld, two_versions: dict[str, int]) -> None:
    with pytest.raises(Forbidden):
        Migration(world.desk).run("mini", 2, {"pending": "parked"}, world.people["sue"])
    with pytest.raises(BadRequest, match="no version 7"):
        Migration(world.desk).plan("mini", 7, {})
    with pytest.raises(BadRequest, match="OLD=NEW"):
        parse_mapping(["pending"])



def sla_timers(world: DeskWorld, ticket_id: int) -> list[tuple[str, str, object]]:
    return sorted((t.trigger, t.kind, t.due_at)
                  for t in world.workspace.store.pending_timers(ticket_id)
                  if t.kind in SLA_KINDS)


def test_a_running_sla_clock_keeps_its_warning_and_breach_across_a_migration(
        world: DeskWorld) -> None:
    desk, ann = world.desk, world.people["ann"]
    ticket = desk.open("mini", ann, {"summary": "clock runs"})
    desk.fire(ticket.id, "receive", ann)
    before = sla_timers(world, ticket.id)
    assert {kind for _, kind, _ in before} == set(SLA_KINDS)
    source = Path(MINI).read_text(encoding="utf-8").replace("Mini desk", "Mini desk, v2")
    desk.deploy([parse_process(source, str(MINI))], world.people["root"])
    Migration(desk).run("mini", 2, {}, world.people["root"])
    assert desk.ticket(ticket.id).digest == desk.versions("mini")[1].digest
    assert sla_timers(world, ticket.id) == before
    verified(world)
