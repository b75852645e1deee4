"""Timestamps as agents type them: ``+2h``, ``+1d 30m``, ``now``, ``today 17:00``,
``tomorrow 09:00``, a local ``2026-10-05 09:00``, or ISO 8601 with its time zone."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, tzinfo

from engine.process.fields import parse_timestamp

RELATIVE = re.compile(r"^\+\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$")
"""``+`` then days, hours and minutes, each optional, in that order: ``+2h``, ``+1d 30m``."""
DAY = re.compile(r"^(today|tomorrow)(?:\s+(\d{1,2}):(\d{2}))?$")
"""``today`` or ``tomorrow``, at a time of day (default 09:00)."""
LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
"""A date and time with no time zone: read in the agent's time zone."""


def resolve(text: str, now: datetime, zone: tzinfo | None) -> datetime:
    """The moment ``text`` names, as of ``now`` in ``zone``; ValueError if it names none."""
    typed = text.strip().lower()
    if typed == "now":
        return now
    relative = RELATIVE.match(typed)
    if relative and any(relative.groups()):
        days, hours, minutes = (int(part or 0) for part in relative.groups())
        return now + timedelta(days=days, hours=hours, minutes=minutes)
    day = DAY.match(typed)
    if day:
        return _at(now, zone, day[1] == "tomorrow", int(day[2] or 9), int(day[3] or 0))
    if LOCAL.match(typed):
        return datetime.fromisoformat(typed).replace(tzinfo=zone or now.astimezone().tzinfo)
    return parse_timestamp(text.strip())


def _at(now: datetime, zone: tzinfo | None, tomorrow: bool, hour: int, minute: int) -> datetime:
    if hour > 23 or minute > 59:
        raise ValueError(f"{hour:02d}:{minute:02d} is not a time of day")
    local = now.astimezone(zone)
    date = local.date() + timedelta(days=1 if tomorrow else 0)
    return datetime.combine(date, time(hour, minute), tzinfo=local.tzinfo)
