"""Every tier boundary of every indicator, exactly on it and just below, for more than one
post: tickets are added one story at a time and the month's report is checked at each point.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.assessment.boundaries import SEED_TIERS, seed_score, walk
from tests.assessment.world import WHO, World

Story = Callable[[World], object]


def _resolved(world: World, tier: str, *, reopened: bool) -> None:
    """A fault resolved at a tier and confirmed, the first time or after a reopening."""
    ticket = world.fault() if tier == "service_desk" else world.fault_at(tier)
    agent = WHO[tier]
    world.fire(ticket, "resolve", agent, resolution="replaced the card")
    if reopened:
        world.fire(ticket, "reopen", "ann")
        world.fire(ticket, "resolve", agent, resolution="replaced the cable too")
    world.fire(ticket, "confirm", "ann")


def _desk_part(world: World, seconds: float) -> None:
    ticket = world.fault(level=1)  # the desk tier's limit for level 1 is PT5M
    world.wait(seconds=seconds)
    world.fire(ticket, "hand_up", "ann")


def _response_part(world: World, seconds: float) -> None:
    ticket = world.fault_at("response_group", level=2)  # the response tier's limit: PT30M
    world.wait(seconds=seconds)
    world.fire(ticket, "hand_up", "rob", group="hardware_platform")


def _pended(world: World, tier: str) -> None:
    ticket = world.fault() if tier == "service_desk" else world.fault_at(tier)
    world.fire(ticket, "pend", "ann" if tier == "service_desk" else "hal",
               pending_reason="waiting for parts")


def _complained(world: World, tier: str, event: str) -> None:
    ticket = world.submit() if tier == "service_desk" else world.fault_at(tier)
    world.record(ticket, event)


def _held(world: World, tier: str) -> None:
    if tier == "service_desk":
        world.submit()
    else:
        world.fault_at(tier)


CASES: list[tuple[str, str, Story, Story]] = [
    ("timely_response_rate", "service_desk",
     lambda w: w.received_after(5), lambda w: w.received_after(5.5)),
    ("timely_reply_rate", "service_desk",
     lambda w: w.replied_after(600), lambda w: w.replied_after(600.5)),
    ("first_time_resolution_rate", "service_desk",
     lambda w: _resolved(w, "service_desk", reopened=False),
     lambda w: _resolved(w, "service_desk", reopened=True)),
    ("first_time_resolution_rate", "response_group",
     lambda w: _resolved(w, "response_group", reopened=False),
     lambda w: _resolved(w, "response_group", reopened=True)),
    ("timely_handling_rate", "service_desk",
     lambda w: _desk_part(w, 300), lambda w: _desk_part(w, 301)),
    ("timely_handling_rate", "response_group",
     lambda w: _response_part(w, 1800), lambda w: _response_part(w, 1800.5)),
    ("pending_rate", "service_desk",
     lambda w: _pended(w, "service_desk"), lambda w: _held(w, "service_desk")),
    ("pending_rate", "handling_group",
     lambda w: _pended(w, "handling_group"), lambda w: _held(w, "handling_group")),
    ("complaint_rate", "service_desk",
     lambda w: _complained(w, "service_desk", "complaint"), lambda w: _held(w, "service_desk")),
    ("complaint_rate", "response_group",
     lambda w: _complained(w, "response_group", "complaint"),
     lambda w: _held(w, "response_group")),
    ("escalated_complaint_rate", "service_desk",
     lambda w: _complained(w, "service_desk", "escalated_complaint"),
     lambda w: _held(w, "service_desk")),
    ("escalated_complaint_rate", "response_group",
     lambda w: _complained(w, "response_group", "escalated_complaint"),
     lambda w: _held(w, "response_group")),
]


@pytest.mark.parametrize(("indicator", "post", "hit", "miss"), CASES,
                         ids=[f"{case[0]}-{case[1]}" for case in CASES])
def test_every_tier_boundary_on_and_just_below(world: World, indicator: str, post: str,
                                               hit: Story, miss: Story) -> None:
    points = walk([bound for bound, _ in SEED_TIERS[indicator]])
    hits = total = 0
    seen = []
    for numerator, denominator in points:
        for _ in range(numerator - hits):
            hit(world)
        for _ in range(denominator - total - (numerator - hits)):
            miss(world)
        hits, total = numerator, denominator
        figure = world.figure("2026-10", post, indicator)
        seen.append((figure.numerator, figure.denominator, figure.score))
    expected = [(n, d, seed_score(indicator, n, d)) for n, d in points]
    assert seen == expected
    assert {score for _, _, score in expected} == {score for _, score in SEED_TIERS[indicator]}
