"""Business calendars: when a desk works, so that limits count working time.

A calendar has a time zone, working hours per weekday (one or more intervals a day), public
holidays from the ``holidays`` package (with the make-up working days it knows, 調休), and
explicit extra days off and extra working days. Working time is real elapsed time inside
the working intervals, so a day with a DST change has its true length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any, Protocol, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.process.spec import CalendarSpec, Weekday

WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
HORIZON_DAYS = 3660
"""How far ahead working time is searched before a calendar counts as never working."""

Interval = tuple[time, time | None]
"""A working interval of one day, local time; an end of None means midnight (24:00)."""
Loc = tuple[str | int, ...]


class WorkingTime(Protocol):
    """What limits need from a calendar (around the clock when a process has none)."""

    def add_working(self, start: datetime, duration: timedelta) -> datetime: ...

    def working_between(self, start: datetime, end: datetime) -> timedelta: ...


class AroundTheClock:
    """Every moment is working time."""

    def add_working(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` after ``start``."""
        return start + max(duration, timedelta(0))

    def working_between(self, start: datetime, end: datetime) -> timedelta:
        """The time from ``start`` to ``end`` (zero if ``end`` is earlier)."""
        return max(end - start, timedelta(0))


@dataclass(frozen=True, eq=False)
class Calendar:
    """Working hours in a time zone, minus holidays, plus make-up working days."""

    zone: tzinfo
    hours: tuple[tuple[Interval, ...], ...]
    """Per weekday, Monday first: the working intervals of the day."""
    closed: frozenset[date] = frozenset()
    opened: frozenset[date] = frozenset()
    public: Any = None
    """A ``holidays`` table (or None)."""
    _days: dict[date, list[tuple[datetime, datetime]]] = field(default_factory=dict,
                                                               repr=False)

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` has working hours at all."""
        return bool(self.intervals(day))

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of a local day, as UTC moments."""
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = [self._moments(day, i) for i in self._hours_of(day)]
        return found

    def _hours_of(self, day: date) -> tuple[Interval, ...]:
        if day in self.opened or (day not in self.closed and self._make_up(day)):
            return self.hours[day.weekday()] or next((h for h in self.hours if h), ())
        if day in self.closed or (self.public is not None and day in self.public):
            return ()
        return self.hours[day.weekday()]

    def _make_up(self, day: date) -> bool:
        if self.public is None:
            return False
        _ = day in self.public  # fills the year's tables, make-up days included
        return day in getattr(self.public, "weekend_workdays", ())

    def _moments(self, day: date, interval: Interval) -> tuple[datetime, datetime]:
        begin, end = interval
        last = datetime.combine(day + timedelta(days=1), time(0), self.zone) if end is None \
            else datetime.combine(day, end, self.zone)
        return datetime.combine(day, begin, self.zone).astimezone(UTC), last.astimezone(UTC)

    def _local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def add_working(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of working time after ``start``."""
        remaining = duration
        if remaining <= timedelta(0):
            return start
        day = self._local_day(start)
        for _ in range(HORIZON_DAYS):
            for begin, end in self.intervals(day):
                begin = max(begin, start)
                if begin < end and end - begin >= remaining:
                    return begin + remaining
                remaining -= max(end - begin, timedelta(0))
            day += timedelta(days=1)
        raise ValueError(f"the calendar has no working time within {HORIZON_DAYS} days")

    def working_between(self, start: datetime, end: datetime) -> timedelta:
        """The working time from ``start`` to ``end`` (zero if ``end`` is earlier)."""
        total, day, last = timedelta(0), self._local_day(start), self._local_day(end)
        while start < end and day <= last:
            for begin, finish in self.intervals(day):
                total += max(min(finish, end) - max(begin, start), timedelta(0))
            day += timedelta(days=1)
        return total


def build_calendar(spec: CalendarSpec | None) -> WorkingTime:
    """The working time of a validated calendar spec (around the clock when None)."""
    if spec is None:
        return AroundTheClock()
    hours = tuple(tuple(parse_hours(spec.hours.get(day, []))) for day in WEEKDAYS)
    public = None
    if spec.holidays is not None:
        import holidays as holiday_tables  # only calendars with holidays pay its import

        public = holiday_tables.country_holidays(spec.holidays.country,
                                                 subdiv=spec.holidays.subdivision)
    return Calendar(zone=ZoneInfo(spec.timezone), hours=hours,
                    closed=frozenset(map(date.fromisoformat, spec.dates)),
                    opened=frozenset(map(date.fromisoformat, spec.working_dates)),
                    public=public)


def parse_hours(value: list[str] | list[list[str]]) -> list[Interval]:
    """``["09:00", "18:00"]`` or a list of such pairs as sorted intervals; ValueError if bad."""
    pairs: list[Any] = [value] if value and all(isinstance(v, str) for v in value) else value
    intervals = []
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"{pair!r} is not a pair like [\"09:00\", \"18:00\"]")
        begin, end = parse_clock_time(str(pair[0])), parse_clock_time(str(pair[1]))
        if begin is None or (end is not None and end <= begin):
            raise ValueError(f"{pair[0]}–{pair[1]} does not end after it begins")
        intervals.append((begin, end))
    intervals.sort(key=lambda i: i[0])
    for (_, end), (begin, _) in pairwise(intervals):
        if end is None or end > begin:
            raise ValueError("working intervals of a day overlap")
    return intervals


def parse_clock_time(text: str) -> time | None:
    """``HH:MM`` as a time; ``24:00`` is midnight at the end of the day (None)."""
    if text == "24:00":
        return None
    try:
        return time.fromisoformat(text) if len(text) == 5 and text[2] == ":" else _bad(text)
    except ValueError:
        return _bad(text)


def _bad(text: str) -> time:
    raise ValueError(f"{text!r} is not a time of day like 09:00")


def calendar_problems(spec: CalendarSpec) -> list[tuple[Loc, str]]:
    """What is wrong with a calendar, each at its place under ``calendar``."""
    problems: list[tuple[Loc, str]] = []
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append((("timezone",), f"unknown time zone {spec.timezone!r}"))
    for day, value in spec.hours.items():
        try:
            parse_hours(value)
        except ValueError as exc:
            problems.append((("hours", day), str(exc)))
    if not any(spec.hours.values()):
        problems.append((("hours",), "a calendar needs working hours on at least one day"))
    problems += _date_problems("dates", spec.dates) + _date_problems(
        "working_dates", spec.working_dates)
    if spec.holidays is not None:
        problems += _holiday_problems(spec)
    return problems


def _date_problems(key: str, dates: list[str]) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    for index, text in enumerate(dates):
        try:
            date.fromisoformat(text)
        except ValueError:
            problems.append(((key, index), f"{text!r} is not a date like 2026-10-01"))
    return problems


def _holiday_problems(spec: CalendarSpec) -> list[tuple[Loc, str]]:
    import holidays as holiday_tables

    source = spec.holidays
    assert source is not None
    try:
        holiday_tables.country_holidays(source.country, subdiv=source.subdivision, years=2000)
    except NotImplementedError:
        key = "subdivision" if source.country in holiday_tables.list_supported_countries() \
            else "country"
        return [(("holidays", key), f"the holidays package knows no {key} "
                 f"{getattr(source, key)!r}")]
    return []
