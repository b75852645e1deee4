"""Business calendars: weekends, holidays, make-up days, working-hour boundaries, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.process.calendars import AroundTheClock, Calendar, build_calendar, calendar_problems
from engine.process.spec import CalendarSpec

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
WEEK = ["mon", "tue", "wed", "thu", "fri"]


def calendar(**spec: object) -> Calendar:
    values: dict[str, object] = {"timezone": "Asia/Shanghai",
                                 "hours": {d: ["09:00", "18:00"] for d in WEEK}}
    values.update(spec)
    built = build_calendar(CalendarSpec.model_validate(values))
    assert isinstance(built, Calendar)
    return built


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0,
       minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def local(moment: datetime, zone: ZoneInfo = SHANGHAI) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def test_friday_evening_plus_eight_working_hours_lands_on_monday() -> None:
    friday_five = at(SHANGHAI, 2026, 9, 11, 17)
    assert local(calendar().add_working(friday_five, timedelta(hours=8))) == \
        datetime(2026, 9, 14, 16)


def test_eleven_hours_spill_into_tuesday() -> None:
    friday_five = at(SHANGHAI, 2026, 9, 11, 17)
    assert local(calendar().add_working(friday_five, timedelta(hours=11))) == \
        datetime(2026, 9, 15, 10)


def test_a_limit_ending_at_closing_time_is_due_at_closing_time() -> None:
    assert local(calendar().add_working(at(SHANGHAI, 2026, 9, 14, 17), timedelta(hours=1))) \
        == datetime(2026, 9, 14, 18)


def test_work_before_opening_and_after_closing_starts_at_the_next_opening() -> None:
    cal = calendar()
    assert local(cal.add_working(at(SHANGHAI, 2026, 9, 14, 7), timedelta(hours=1))) == \
        datetime(2026, 9, 14, 10)
    assert local(cal.add_working(at(SHANGHAI, 2026, 9, 14, 18), timedelta(minutes=1))) == \
        datetime(2026, 9, 15, 9, 1)


def test_zero_duration_is_the_start_itself() -> None:
    sunday = at(SHANGHAI, 2026, 9, 13, 3)
    assert calendar().add_working(sunday, timedelta(0)) == sunday


def test_a_lunch_break_is_not_working_time() -> None:
    cal = calendar(hours={"mon": [["09:00", "12:00"], ["13:30", "18:00"]]})
    assert local(cal.add_working(at(SHANGHAI, 2026, 9, 14, 11), timedelta(hours=2))) == \
        datetime(2026, 9, 14, 14, 30)
    assert cal.working_between(at(SHANGHAI, 2026, 9, 14, 11), at(SHANGHAI, 2026, 9, 14, 14)) \
        == timedelta(hours=1, minutes=30)


def test_public_holidays_are_skipped_and_make_up_days_worked() -> None:
    cal = calendar(holidays={"country": "CN"})
    # 2026-09-30 (Wed) 17:00 + 2h: National Day week 10-01..10-07 is off; the first working
    # day after it is Thursday 10-08.
    assert local(cal.add_working(at(SHANGHAI, 2026, 9, 30, 17), timedelta(hours=2))) == \
        datetime(2026, 10, 8, 10)
    # Saturday 2026-10-10 is a make-up working day (調休) and works Monday's hours.
    assert cal.is_working_day(datetime(2026, 10, 10).date())
    assert not cal.is_working_day(datetime(2026, 10, 11).date())


def test_explicit_days_off_and_working_days() -> None:
    cal = calendar(dates=["2026-09-14"], working_dates=["2026-09-13"])
    assert not cal.is_working_day(datetime(2026, 9, 14).date())
    sunday_nine = at(SHANGHAI, 2026, 9, 13, 9)
    assert local(cal.add_working(sunday_nine, timedelta(hours=10))) == datetime(2026, 9, 15, 10)


def test_working_between_counts_only_working_hours() -> None:
    cal = calendar()
    friday_five, monday_ten = at(SHANGHAI, 2026, 9, 11, 17), at(SHANGHAI, 2026, 9, 14, 10)
    assert cal.working_between(friday_five, monday_ten) == timedelta(hours=2)
    assert cal.working_between(monday_ten, friday_five) == timedelta(0)


def test_a_spring_forward_day_has_23_hours_around_the_clock() -> None:
    cal = calendar(timezone="America/New_York",
                   hours={d: ["00:00", "24:00"] for d in [*WEEK, "sat", "sun"]})
    sunday, monday = at(NEW_YORK, 2026, 3, 8), at(NEW_YORK, 2026, 3, 9)
    assert cal.working_between(sunday, monday) == timedelta(hours=23)
    saturday_noon = at(NEW_YORK, 2026, 3, 7, 12)
    assert local(cal.add_working(saturday_noon, timedelta(hours=24)), NEW_YORK) == \
        datetime(2026, 3, 8, 13)


def test_office_hours_keep_their_local_times_across_a_fall_back() -> None:
    cal = calendar(timezone="America/New_York")
    friday_five = at(NEW_YORK, 2026, 10, 30, 17)  # DST ends on Sunday 2026-11-01
    due = cal.add_working(friday_five, timedelta(hours=8))
    assert local(due, NEW_YORK) == datetime(2026, 11, 2, 16)
    assert due.utcoffset() == timedelta(0) and due.astimezone(NEW_YORK).utcoffset() == \
        timedelta(hours=-5)
    assert cal.working_between(friday_five, due) == timedelta(hours=8)


def test_around_the_clock_is_plain_elapsed_time() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = AroundTheClock()
    assert clock.add_working(start, timedelta(hours=30)) == start + timedelta(hours=30)
    assert clock.working_between(start + timedelta(hours=1), start) == timedelta(0)


@settings(max_examples=60, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
       minutes=st.integers(min_value=0, max_value=60 * 24 * 20))
def test_working_between_undoes_add_working(start: datetime, minutes: int) -> None:
    cal = _HOLIDAY_CALENDAR
    begin = start.replace(tzinfo=SHANGHAI)
    due = cal.add_working(begin, timedelta(minutes=minutes))
    assert cal.working_between(begin, due) == timedelta(minutes=minutes)


_HOLIDAY_CALENDAR = calendar(holidays={"country": "CN"},
                             hours={**{d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in WEEK}})


@pytest.mark.parametrize(("spec", "where", "message"), [
    ({"timezone": "Mars/Olympus"}, ("timezone",), "unknown time zone"),
    ({"hours": {"mon": ["18:00", "09:00"]}}, ("hours", "mon"), "does not end after"),
    ({"hours": {"mon": ["9am", "18:00"]}}, ("hours", "mon"), "not a time of day"),
    ({"hours": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, ("hours", "mon"),
     "overlap"),
    ({"hours": {}}, ("hours",), "at least one day"),
    ({"dates": ["2026-13-01"]}, ("dates", 0), "not a date"),
    ({"holidays": {"country": "XX"}}, ("holidays", "country"), "no country"),
    ({"holidays": {"country": "CN", "subdivision": "ZZ"}}, ("holidays", "subdivision"),
     "no subdivision"),
])
def test_calendar_problems_name_their_place(spec: dict[str, object], where: tuple[str, ...],
                                            message: str) -> None:
    values: dict[str, object] = {"timezone": "Asia/Shanghai", "hours": {"mon": ["09:00",
                                                                                 "18:00"]}}
    values.update(spec)
    problems = calendar_problems(CalendarSpec.model_validate(values))
    assert [loc for loc, _ in problems] == [where]
    assert message in problems[0][1]
