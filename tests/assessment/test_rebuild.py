"""Last month's report, rebuilt after more events arrived, gives the same figures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.assessment.world import World, build_world, local


@pytest.fixture
def backend_world(store_url: str) -> Iterator[World]:
    world = build_world(store_url)
    yield world
    world.close()


def october(world: World) -> dict[str, int]:
    """A month of work that leaves tickets open, pending and reopenable at its end."""
    tickets = {"late_reply": world.replied_after(700), "closed": world.fault()}
    world.fire(tickets["closed"], "resolve", "ann", resolution="rebooted")
    world.fire(tickets["closed"], "confirm", "ann")
    tickets["pending"] = world.fault_at("handling_group")
    world.fire(tickets["pending"], "pend", "hal", pending_reason="parts on order")
    tickets["handling"] = world.fault_at("response_group", level=4)
    tickets["complained"] = world.submit()
    world.record(tickets["complained"], "complaint")
    world.until(local(2026, 10, 31, 23, 59, 59))
    tickets["unreceived"] = world.submit()
    return tickets


def november(world: World, tickets: dict[str, int]) -> None:
    """Events on October's tickets, and new ones, after October ended."""
    world.until(local(2026, 11, 1, 0, 0, 1))
    world.fire(tickets["unreceived"], "receive", "ann")
    world.fire(tickets["pending"], "resume", "hal")
    world.fire(tickets["pending"], "resolve", "hal", resolution="part fitted")
    world.fire(tickets["pending"], "reopen", "ann")
    world.fire(tickets["handling"], "hand_up", "rob", group="business_software")
    world.record(tickets["closed"], "escalated_complaint", "sue")
    world.record(tickets["late_reply"], "complaint")
    world.received_after(1)
    world.desk.fire_due()


def test_last_months_report_is_rebuilt_unchanged(backend_world: World) -> None:
    world = backend_world
    tickets = october(world)
    before = world.assessor().report("2026-10").as_dict()
    november_before = world.assessor().report("2026-11").as_dict()
    november(world, tickets)
    assert world.assessor().report("2026-10").as_dict() == before
    assert world.assessor().report("2026-11").as_dict() != november_before
    desk = next(p for p in before["posts"] if p["post"] == "service_desk")
    figures = {i["indicator"]: (i["numerator"], i["denominator"]) for i in desk["indicators"]}
    assert figures["timely_reply_rate"] == (0, 1)
    assert figures["complaint_rate"] == (1, 6)
    group = next(p for p in before["posts"] if p["post"] == "handling_group")
    assert group["indicators"][2] == {**group["indicators"][2], "indicator": "pending_rate",
                                      "numerator": 1, "denominator": 1, "score": -3}
