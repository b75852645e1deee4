"""What each indicator counts, for which post and in which month, driven through the desk."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine.assessment.table import parse_assessment
from engine.core.errors import BadRequest
from engine.process.load import load_process
from tests.assessment.world import SHIPPED, World, local


def counted(world: World, period: str, post: str, indicator: str) -> tuple[int, int]:
    figure = world.figure(period, post, indicator)
    return figure.numerator, figure.denominator


def custom(world: World, old: str, new: str) -> World:
    """The world assessed with the shipped file, one passage replaced."""
    source = SHIPPED.read_text(encoding="utf-8")
    assert old in source
    world.assessment = parse_assessment(source.replace(old, new), "custom.yaml")
    return world


# -- periods: calendar months in the desk's time zone -------------------------------------


def test_a_response_counts_in_the_local_month_it_happened(world: World) -> None:
    world.until(local(2026, 10, 31, 23, 59, 58))
    world.received_after(4)  # received 2026-11-01 00:00:02 in Taipei, still October in UTC
    assert counted(world, "2026-10", "service_desk", "timely_response_rate") == (0, 0)
    assert counted(world, "2026-11", "service_desk", "timely_response_rate") == (1, 1)


def test_a_part_spanning_the_month_end_counts_when_it_ends(world: World) -> None:
    world.until(local(2026, 10, 31, 23, 50))
    timely, late = world.fault(level=4), world.fault(level=4)  # desk tier limit: PT30M
    world.wait(minutes=30)
    world.fire(timely, "hand_up", "ann")
    world.wait(seconds=1)
    world.fire(late, "hand_up", "ann")
    assert counted(world, "2026-10", "service_desk", "timely_handling_rate") == (0, 0)
    assert counted(world, "2026-11", "service_desk", "timely_handling_rate") == (1, 2)


def test_the_yearly_assessment_counts_the_whole_years_tickets(world: World) -> None:
    world.received_after(2)
    world.until(local(2026, 11, 3, 9, 0))
    world.received_after(3)
    world.received_after(60)
    world.received_after(60)
    assert counted(world, "2026-10", "service_desk", "timely_response_rate") == (1, 1)
    assert counted(world, "2026-11", "service_desk", "timely_response_rate") == (1, 3)
    year = world.figure("2026", "service_desk", "timely_response_rate")
    assert (year.numerator, year.denominator, year.score) == (2, 4, 0)  # 50%, not a mean


def test_a_period_is_a_month_or_a_year(world: World) -> None:
    for text in ("2026-13", "2026-1-1", "26-10", "october", ""):
        with pytest.raises(BadRequest):
            world.assessor().report(text)


# -- which post a ticket counts for --------------------------------------------------------


def test_a_ticket_handled_by_three_tiers_counts_for_each_tier(world: World) -> None:
    ticket = world.fault(level=1)  # limits: desk PT5M, response PT15M, handling PT1H
    world.wait(minutes=4)
    world.fire(ticket, "hand_up", "ann")
    world.wait(minutes=20)
    world.fire(ticket, "hand_up", "rob", group="system_software")
    world.wait(minutes=30)
    world.fire(ticket, "resolve", "hal", resolution="replaced the disk")
    results = {post: counted(world, "2026-10", post, "timely_handling_rate")
               for post in ("service_desk", "response_group", "handling_group", "vendor")}
    assert results == {"service_desk": (1, 1), "response_group": (0, 1),
                       "handling_group": (1, 1), "vendor": (0, 0)}


def test_an_escalation_by_timer_is_late_even_at_the_limit(world: World) -> None:
    ticket = world.fault(level=1)
    world.wait(minutes=5)
    world.desk.fire_due()
    assert world.desk.ticket(ticket).state == "response_tier"
    assert counted(world, "2026-10", "service_desk", "timely_handling_rate") == (0, 1)
    explained = world.assessor().explain("2026-10", "timely_handling_rate", "service_desk")
    assert explained.others[0].measured == timedelta(minutes=5)


def test_paused_time_is_not_counted_and_pending_is_judged_at_the_month_end(
        world: World) -> None:
    world.until(local(2026, 10, 31, 22, 0))
    ticket = world.fault_at("handling_group", level=1)  # handling tier limit: PT1H
    world.wait(minutes=40)
    world.fire(ticket, "pend", "hal", pending_reason="waiting for the vendor's part")
    world.until(local(2026, 11, 2, 9, 0))
    world.fire(ticket, "resume", "hal")
    world.wait(minutes=20)
    world.fire(ticket, "resolve", "hal", resolution="part fitted")
    assert counted(world, "2026-10", "handling_group", "pending_rate") == (1, 1)
    assert counted(world, "2026-11", "handling_group", "pending_rate") == (0, 1)
    assert counted(world, "2026-11", "handling_group", "timely_handling_rate") == (1, 1)


def test_pending_during_the_period_is_a_choice(world: World) -> None:
    ticket = world.fault()
    world.fire(ticket, "pend", "ann", pending_reason="customer away")
    world.wait(hours=1)
    world.fire(ticket, "resume", "ann")
    assert counted(world, "2026-10", "service_desk", "pending_rate") == (0, 1)
    custom(world, "counts: at_period_end", "counts: during_period")
    assert counted(world, "2026-10", "service_desk", "pending_rate") == (1, 1)


def test_working_time_follows_the_process_calendar(world: World) -> None:
    path = Path(__file__).parent / "processes" / "office_hours.yaml"
    world.desk.deploy([load_process(path)], world.people["root"])
    world.until(local(2026, 10, 30, 17, 30))  # a Friday; office hours 09:00-18:00
    quick, slow = (world.submit("office_hours") for _ in range(2))
    world.wait(minutes=5)
    world.fire(quick, "take", "ann")
    world.fire(slow, "take", "ann")
    world.until(local(2026, 11, 2, 10, 0))  # Monday: 25 + 60 working minutes
    world.fire(quick, "fix", "hal")
    world.until(local(2026, 11, 2, 11, 36))  # 25 + 156 > 120
    world.fire(slow, "fix", "hal")
    assert counted(world, "2026-10", "service_desk", "timely_handling_rate") == (2, 2)
    assert counted(world, "2026-11", "handling_group", "timely_handling_rate") == (1, 2)


# -- first-time resolution ------------------------------------------------------------------


def test_a_return_or_a_reopening_is_not_a_first_time_resolution(world: World) -> None:
    returned = world.at_handling()
    world.fire(returned, "send_back", "hal", return_reason="wrong group")
    world.fire(returned, "dispatch", "ann", assigned_group="hardware_platform")
    world.fire(returned, "accept", "hal")
    world.fire(returned, "finish", "hal", resolution="fixed")
    world.closed(returned)
    reopened = world.at_handling()
    world.fire(reopened, "finish", "hal", resolution="fixed")
    world.fire(reopened, "reply", "ann")
    world.fire(reopened, "reopen", "ann")
    world.fire(reopened, "finish", "hal", resolution="fixed again")
    world.closed(reopened)
    clean = world.at_handling()
    world.fire(clean, "finish", "hal", resolution="fixed")
    world.closed(clean)
    explained = world.assessor().explain("2026-10", "first_time_resolution_rate",
                                         "handling_group")
    assert [c.ticket_id for c in explained.counted] == [clean]
    assert [c.ticket_id for c in explained.others] == [returned, reopened]


def test_the_customers_confirmation_is_needed_unless_configured(world: World) -> None:
    world.closed(world.solved_at_desk(), confirmed=False)
    assert counted(world, "2026-10", "service_desk", "first_time_resolution_rate") == (0, 1)
    custom(world, "confirmation: true", "confirmation: false")
    assert counted(world, "2026-10", "service_desk", "first_time_resolution_rate") == (1, 1)


def test_a_reopened_ticket_closing_next_month_leaves_the_first_month_alone(
        world: World) -> None:
    ticket = world.fault()
    world.fire(ticket, "resolve", "ann", resolution="rebooted")
    world.fire(ticket, "confirm", "ann")
    world.until(local(2026, 11, 5, 10, 0))
    world.record(ticket, "complaint")
    assert counted(world, "2026-10", "service_desk", "first_time_resolution_rate") == (1, 1)
    assert counted(world, "2026-11", "service_desk", "complaint_rate") == (1, 1)


# -- timely reply ------------------------------------------------------------------------------


def test_a_reply_is_timed_from_the_latest_handling_and_every_one_must_be_timely(
        world: World) -> None:
    ticket = world.at_handling()
    world.fire(ticket, "finish", "hal", resolution="fixed")
    world.wait(minutes=5)
    world.fire(ticket, "reply", "ann")
    world.fire(ticket, "reopen", "ann")
    world.fire(ticket, "finish", "hal", resolution="fixed again")
    world.wait(minutes=11)
    world.fire(ticket, "reply", "ann")
    explained = world.assessor().explain("2026-10", "timely_reply_rate", "service_desk")
    assert explained.counted == []
    assert [(c.ticket_id, c.measured) for c in explained.others] == [
        (ticket, timedelta(minutes=11))]


# -- complaints ----------------------------------------------------------------------------------


def test_a_complaint_counts_for_the_post_holding_the_ticket(world: World) -> None:
    at_desk, at_group = world.submit(), world.at_handling()
    world.record(at_group, "complaint")
    world.record(at_desk, "escalated_complaint", "sue")
    assert counted(world, "2026-10", "handling_group", "complaint_rate") == (1, 1)
    assert counted(world, "2026-10", "service_desk", "complaint_rate") == (0, 2)
    assert counted(world, "2026-10", "service_desk", "escalated_complaint_rate") == (1, 2)


def test_an_indicator_can_be_limited_to_some_processes(world: World) -> None:
    world.record(world.submit(), "complaint")
    world.record(world.fault(), "complaint")
    custom(world, "    tag: complaint\n", "    tag: complaint\n    processes: [fault_escalation]\n")
    assert counted(world, "2026-10", "service_desk", "complaint_rate") == (1, 1)


# -- no tickets: n/a ---------------------------------------------------------------------------


def test_a_post_without_tickets_has_no_score_and_no_total(world: World) -> None:
    post = world.assessor().report("2026-10", ["vendor"]).post("vendor")
    assert [f.rate_text for f in post.figures] == ["n/a"] * 5
    assert [f.score for f in post.figures] == [None] * 5
    assert post.total is None and post.total_text == "n/a"
    assert post.as_dict()["total"] is None
    assert post.as_dict()["indicators"][0]["score"] is None
    custom(world, "    formula: handling\n", "    formula: handling\n    when_empty: 0\n")
    assert world.figure("2026-10", "vendor", "timely_handling_rate").score == 0


def test_a_total_skips_the_indicators_with_nothing_counted(world: World) -> None:
    world.submit()
    post = world.assessor().report("2026-10", ["service_desk"]).post("service_desk")
    scored = [f.score for f in post.figures if f.score is not None]
    assert scored and len(scored) < len(post.figures)
    assert post.total == sum(scored)


def test_asking_for_what_is_not_assessed_is_bad_input(world: World) -> None:
    assessor = world.assessor()
    with pytest.raises(BadRequest, match="not assessed"):
        assessor.report("2026-10", ["nowhere"])
    with pytest.raises(BadRequest, match="no indicator"):
        assessor.explain("2026-10", "speed", "service_desk")
    with pytest.raises(BadRequest, match="does not apply"):
        assessor.explain("2026-10", "timely_response_rate", "vendor")


# -- the SLA's clocks: ladder tiers and journaled breaches -----------------------------------


def test_a_ladder_tier_times_every_state_of_its_post_as_one_part(world: World) -> None:
    path = Path(__file__).parent / "processes" / "ladder_desk.yaml"
    world.desk.deploy([load_process(path)], world.people["root"])
    timely, late = world.submit("ladder_desk"), world.submit("ladder_desk")
    world.wait(minutes=6)
    world.fire(timely, "triage", "ann")
    world.fire(late, "triage", "ann")
    world.wait(minutes=4)
    world.fire(timely, "pass_on", "ann")  # 6 + 4 minutes: on the tier's PT10M limit
    world.wait(seconds=1)
    world.fire(late, "pass_on", "ann")
    explained = world.assessor().explain("2026-10", "timely_handling_rate", "service_desk")
    assert [(c.ticket_id, c.clock) for c in explained.counted] == [(timely, "service_desk")]
    assert [(c.ticket_id, c.measured) for c in explained.others] == [
        (late, timedelta(minutes=10, seconds=1))]


def test_a_breach_the_sla_journaled_makes_the_part_late(world: World) -> None:
    ticket = world.received_after(1)  # 'received' has a PT15M limit and no escalation
    world.wait(minutes=15)
    world.desk.fire_due()
    assert "sla_breach" in [e.trigger for e in world.desk.history(ticket)]
    world.fire(ticket, "dispatch", "ann", assigned_group="system_software")
    explained = world.assessor().explain("2026-10", "timely_handling_rate", "service_desk")
    assert [(c.ticket_id, c.clock, c.measured) for c in explained.others] == [
        (ticket, "received", timedelta(minutes=15))]


# -- why each ticket is on its side ------------------------------------------------------------


def reasons(world: World, post: str, indicator: str) -> dict[int, str]:
    explained = world.assessor().explain("2026-10", indicator, post)
    return {c.ticket_id: c.reason for c in [*explained.counted, *explained.others]}


def test_each_count_says_why_it_is_on_its_side(world: World) -> None:
    quick, slow = world.received_after(2), world.received_after(9)
    confirmed, unconfirmed = world.solved_at_desk(), world.solved_at_desk()
    world.closed(confirmed)
    world.closed(unconfirmed, confirmed=False)
    world.record(quick, "complaint")
    assert reasons(world, "service_desk", "timely_response_rate") == {
        quick: "received_in_time", slow: "received_late", confirmed: "received_in_time",
        unconfirmed: "received_in_time"}
    assert reasons(world, "service_desk", "timely_reply_rate") == {
        confirmed: "replied_in_time", unconfirmed: "replied_in_time"}
    assert reasons(world, "service_desk", "first_time_resolution_rate") == {
        confirmed: "first_time", unconfirmed: "unconfirmed"}
    assert reasons(world, "service_desk", "complaint_rate")[quick] == "complained"
    assert reasons(world, "service_desk", "complaint_rate")[slow] == "no_complaint"
    assert set(reasons(world, "service_desk", "timely_handling_rate").values()) <= {
        "handled_in_time", "handled_late", "breached", "handed_on"}
    assert set(reasons(world, "service_desk", "pending_rate").values()) == {"not_pending"}
