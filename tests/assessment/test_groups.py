"""Groups within posts in the assessment: each group scored on its own, and journals written
before the process had groups assessing exactly as before."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from engine.process.load import parse_process
from tests.assessment.world import ROOT, World, build_world

FAULTS = ROOT / "flows" / "fault_escalation.yaml"


def without_groups() -> str:
    """The shipped fault process as it was before groups: no `groups:`, one limit table."""
    source = FAULTS.read_text(encoding="utf-8")
    source = re.sub(r"\ngroups:\n(  .*\n)+", "\n", source)
    return re.sub(r"\n      groups:\n(        .*\n)+", "\n", source)


@pytest.fixture
def world(store_url: str) -> Iterator[World]:
    world = build_world(store_url)
    yield world
    world.close()


def faults(world: World) -> list[int]:
    """Three faults at the handling groups: two timely, one missed (by the ladder)."""
    made = []
    for group, minutes in (("hardware_platform", 30), ("business_software", 20),
                           ("hardware_platform", 90)):
        ticket = world.fault_at("response_group")
        world.fire(ticket, "hand_up", "rob", group=group)
        world.wait(minutes=minutes)
        world.desk.fire_due()
        state = world.desk.ticket(ticket).state
        world.fire(ticket, "resolve", "ven" if state == "vendor_tier" else "hal",
                   resolution="fixed")
        world.fire(ticket, "confirm", "ann")
        made.append(ticket)
    return made


def test_journals_before_groups_assess_as_before(world: World) -> None:
    old = parse_process(without_groups(), "fault_escalation.yaml")
    assert not old.spec.groups
    world.desk.deploy([old], world.people["root"])  # the faults below run on it
    faults(world)
    before = world.assessor().report("2026-10").as_dict()
    current = parse_process(FAULTS.read_text(encoding="utf-8") + "# redeployed\n",
                            "fault_escalation.yaml")
    world.desk.deploy([current], world.people["root"])
    after = world.assessor().report("2026-10", by_group=True)
    assert {**after.as_dict(), "groups": None} == {**before, "groups": None}
    handling = [g for g in after.groups or [] if g.post == "handling_group"]
    assert [g.group for g in handling] == [None]  # the old version named no group
    assert handling[0].as_dict()["indicators"] == before["posts"][2]["indicators"]


def test_each_group_is_scored_on_its_own(world: World) -> None:
    hardware, business, missed = faults(world)
    report = world.assessor().report("2026-10", by_group=True)
    post = report.post("handling_group").figure("timely_handling_rate")
    assert (post.numerator, post.denominator) == (2, 3)
    figures = {(g.post, g.group): g.figure("timely_handling_rate") for g in report.groups or []}
    assert (figures["handling_group", "hardware_platform"].numerator,
            figures["handling_group", "hardware_platform"].denominator) == (1, 2)
    assert (figures["handling_group", "business_software"].numerator,
            figures["handling_group", "business_software"].denominator) == (1, 1)
    assert figures["handling_group", "business_software"].score == 20
    explained = world.assessor().explain("2026-10", "timely_handling_rate", "handling_group",
                                         group="hardware_platform")
    assert ([c.ticket_id for c in explained.counted], [c.ticket_id for c in explained.others]
            ) == ([hardware], [missed])
    assert {c.group for c in explained.counted + explained.others} == {"hardware_platform"}
    assert business not in [c.ticket_id for c in explained.counted + explained.others]
