"""SLA clocks on a business calendar: warnings, breaches, the ladder, pauses, level changes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.desk.alarms import ALARM_KIND
from engine.process.durations import spoken
from tests.time.conftest import CST, MONDAY_NINE, TimeWorld, build_world


def local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(CST).replace(tzinfo=None) if moment else None


def clock_of(world: TimeWorld, ticket_id: int) -> tuple[str, bool, timedelta | None,
                                                        datetime | None]:
    [running] = world.desk.slas(ticket_id)
    return running.clock, running.running, running.remaining, local(running.due_at)


def test_a_new_ticket_runs_its_tier_clock_with_the_limit_of_its_level(world: TimeWorld) -> None:
    ticket_id = world.open(level=1)
    assert clock_of(world, ticket_id) == ("desk", True, timedelta(minutes=30),
                                          datetime(2026, 9, 14, 9, 30))
    world.wait(timedelta(minutes=10))
    assert clock_of(world, ticket_id)[2] == timedelta(minutes=20)
    assert world.desk.timers(ticket_id) == []  # SLA timers are not process timers


def test_a_level_1_fault_climbs_all_four_tiers_when_nobody_acts(world: TimeWorld) -> None:
    ticket_id = world.open(level=1)
    world.wait(timedelta(hours=5, minutes=30))
    ticket = world.desk.ticket(ticket_id)
    assert (ticket.state, ticket.post) == ("vendor", "vendor")
    assert ticket.data["escalations"] == 1 and ticket.data["priority"] == "high"
    assert world.triggers(ticket_id) == [
        None, "sla_warning", "sla_breach", "escalate", "sla_warning", "sla_breach", "escalate",
        "sla_warning", "sla_breach", "escalate"]
    moves = [(e.source, e.dest, local(e.at)) for e in world.desk.history(ticket_id)
             if e.trigger == "escalate"]
    assert moves == [("desk", "response", datetime(2026, 9, 14, 9, 30)),
                     ("response", "handling", datetime(2026, 9, 14, 10, 30)),
                     ("handling", "vendor", datetime(2026, 9, 14, 14, 30))]
    # the vendor has P1D = 24 working hours: Monday 14:30 → Thursday 11:30
    assert clock_of(world, ticket_id)[3] == datetime(2026, 9, 17, 11, 30)


def test_breaches_are_journaled_with_their_due_time_and_notify_posts(world: TimeWorld) -> None:
    ticket_id = world.open(level=1)
    world.wait(timedelta(minutes=31))
    breach = next(e for e in world.desk.history(ticket_id) if e.trigger == "sla_breach")
    assert (breach.kind, breach.actor, breach.changes) == (ALARM_KIND, "system",
                                                          {"escalations": [0, 1]})
    assert breach.details == {"clock": "desk", "due_at": breach.at.isoformat(),
                              "limit": "PT30M", "spent": "PT30M", "post": "service_desk"}
    desk_inbox = world.desk.notifications("service_desk")
    assert [(n.kind, n.ticket_id) for n in desk_inbox] == [("sla_warning", ticket_id),
                                                          ("sla_breach", ticket_id)]
    assert "desk missed its limit of 30 min (30 min spent)" in desk_inbox[1].message
    [handed] = world.desk.notifications("response_group")
    assert handed.kind == "sla_breach" and handed.at == breach.at
    assert world.desk.notifications("service_desk", after=desk_inbox[-1].id) == []


def test_limits_count_working_hours_only() -> None:
    friday = build_world("sqlite://", datetime(2026, 9, 18, 17, 45, tzinfo=CST))
    ticket_id = friday.open(level=1)
    # Sunday 2026-09-20 is a make-up working day in China (調休, from the holidays package)
    assert clock_of(friday, ticket_id)[3] == datetime(2026, 9, 20, 9, 15)
    friday.wait(timedelta(days=1, hours=15, minutes=29))  # Sunday 09:14
    assert friday.desk.ticket(ticket_id).state == "desk"
    friday.wait(timedelta(minutes=1))
    assert friday.desk.ticket(ticket_id).state == "response"


def test_pending_pauses_the_clock_and_resuming_keeps_the_time_spent(world: TimeWorld) -> None:
    ticket_id = at_handling(world)  # handling since 09:00, limit PT4H
    world.wait(timedelta(hours=1))
    world.desk.fire(ticket_id, "pend", world.people["hal"])
    world.wait(timedelta(hours=1, minutes=30))
    [paused] = world.desk.slas(ticket_id)
    assert (paused.running, paused.spent, paused.due_at) == (False, timedelta(hours=1), None)
    world.desk.fire(ticket_id, "resume", world.people["hal"])
    assert clock_of(world, ticket_id) == ("handling_group", True, timedelta(hours=3),
                                          datetime(2026, 9, 14, 14, 30))
    world.wait(timedelta(hours=2, minutes=59))
    assert world.desk.ticket(ticket_id).state == "handling"
    world.wait(timedelta(minutes=1))
    assert world.desk.ticket(ticket_id).state == "vendor"


def test_a_pending_timer_counts_working_time_too(world: TimeWorld) -> None:
    ticket_id = at_handling(world)
    world.clock.set(datetime(2026, 9, 14, 13, 0, tzinfo=CST))
    world.desk.fire(ticket_id, "pend", world.people["hal"])
    world.clock.set(datetime(2026, 9, 14, 17, 0, tzinfo=CST))
    world.desk.fire(ticket_id, "resume", world.people["hal"])
    world.desk.fire(ticket_id, "pend", world.people["hal"])
    [timer] = world.desk.timers(ticket_id)
    assert local(timer.due_at) == datetime(2026, 9, 15, 10, 0)  # PT2H: 17–18 and 09–10


def test_a_post_tier_times_all_its_states_as_one_stint(world: TimeWorld) -> None:
    ticket_id = at_handling(world)
    world.wait(timedelta(hours=1))
    world.desk.fire(ticket_id, "review", world.people["hal"])
    assert clock_of(world, ticket_id) == ("handling_group", True, timedelta(hours=3),
                                          datetime(2026, 9, 14, 13, 0))
    world.wait(timedelta(hours=3))
    assert world.desk.ticket(ticket_id).state == "vendor"


def test_changing_the_level_recomputes_the_due_time_from_the_time_spent(
        world: TimeWorld) -> None:
    ticket_id = world.open(level=3)  # PT2H
    world.wait(timedelta(minutes=20))
    world.desk.fire(ticket_id, "regrade", world.people["ann"], data={"level": 2})  # PT1H
    assert clock_of(world, ticket_id) == ("desk", True, timedelta(minutes=40),
                                          datetime(2026, 9, 14, 10, 0))
    world.wait(timedelta(minutes=25))
    world.desk.fire(ticket_id, "regrade", world.people["ann"], data={"level": 1})  # PT30M
    assert clock_of(world, ticket_id)[2] == timedelta(minutes=-15)
    world.wait(timedelta(0))  # already overdue: the breach fires at once
    assert world.desk.ticket(ticket_id).state == "response"
    assert world.triggers(ticket_id) == [None, "regrade", "sla_warning", "regrade",
                                         "sla_breach", "escalate"]


def test_a_resolved_ticket_keeps_its_stints_and_runs_no_clock(world: TimeWorld) -> None:
    ticket_id = world.open(level=1)
    world.wait(timedelta(minutes=40))
    world.desk.fire(ticket_id, "resolve", world.people["rob"])
    assert world.desk.slas(ticket_id) == []
    assert world.desk.store.pending_timers(ticket_id) == []
    done = world.desk.ticket(ticket_id).sla["done"]
    assert [(d["clock"], d["post"], d["spent"], d["limit"], d["breached"]) for d in done] == [
        ("desk", "service_desk", 1800.0, 1800.0, True),
        ("response", "response_group", 600.0, 3600.0, False)]


def test_overdue_timers_fire_in_due_order_after_downtime(world: TimeWorld) -> None:
    late = world.open(level=3)  # desk due 11:00
    world.clock.advance(timedelta(minutes=10))
    urgent = world.open(level=1)  # desk due 09:40
    world.clock.set(MONDAY_NINE + timedelta(days=1))  # the workers were down for a day
    while world.desk.fire_due():
        pass
    fired = world.desk.notifications(None)
    dues = [n.details["due_at"] for n in fired]
    assert dues == sorted(dues)
    assert [(n.ticket_id, n.kind) for n in fired[:3]] == [
        (urgent, "sla_breach"), (urgent, "sla_breach"), (late, "sla_breach")]
    assert "sla_warning" not in {n.kind for n in fired}  # each overtaken by its breach
    for event in world.desk.history(urgent):
        if event.kind == ALARM_KIND:
            assert event.at == world.clock.now() and event.details["due_at"] < \
                event.at.isoformat()
    # each tier's clock starts when the ticket reaches it, so the catch-up is one step each
    assert world.desk.ticket(urgent).state == "response"


def at_handling(world: TimeWorld) -> int:
    ticket_id = world.open(level=3)
    world.desk.fire(ticket_id, "hand_up", world.people["ann"])
    world.desk.fire(ticket_id, "route", world.people["rob"])
    return ticket_id


@pytest.mark.parametrize(("seconds", "said"), [
    (5, "5 s"), (65, "1 min 05 s"), (599, "9 min 59 s"), (1351, "22 min"), (3900, "1 h 05 min"),
    (86400, "1 d"), (2 * 86400 + 3 * 3600 + 59, "2 d 3 h"), (-240, "4 min 00 s")])
def test_durations_are_said_as_people_say_them(seconds: int, said: str) -> None:
    assert spoken(timedelta(seconds=seconds)) == said


def test_a_warning_overtaken_by_its_breach_tells_nobody(world: TimeWorld) -> None:
    ticket_id = world.open(level=1)  # desk: warning at 24 min, breach at 30 min
    world.clock.advance(timedelta(minutes=31))  # nobody fired the warning in time
    while world.desk.fire_due():
        pass
    assert [n.kind for n in world.desk.notifications("service_desk")] == ["sla_breach"]
    alarms = [e.trigger for e in world.desk.history(ticket_id) if e.kind == ALARM_KIND]
    assert alarms[:2] == ["sla_warning", "sla_breach"]  # both journaled
