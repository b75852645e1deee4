"""ISO 8601 durations (``PT30M``, ``P1DT2H``, ``P2W``) as ``timedelta``."""

from __future__ import annotations

import re
from datetime import timedelta

MAX_DURATION = timedelta(days=36525)
"""A hundred years: longer durations are mistakes, and would overflow dates they are added to."""

_PATTERN = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration without years or months; raise ValueError if malformed."""
    match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not match or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT30M or P1DT4H")
    parts = {name: float(value) for name, value in match.groupdict().items() if value}
    try:
        duration = timedelta(**parts)
    except OverflowError:
        duration = MAX_DURATION * 2
    if duration > MAX_DURATION:
        raise ValueError(f"{_short(text)} is longer than 100 years")
    return duration


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:39] + "…")


def format_duration(delta: timedelta) -> str:
    """Render a timedelta as a compact ISO 8601 duration (negative gets a leading minus)."""
    sign = "-" if delta < timedelta(0) else ""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    text = f"P{days}D" if days else "P"
    return sign + (text + ("T" + time if time else "") if (days or time) else "PT0S")


def spoken(delta: timedelta) -> str:
    """A duration as people say it: ``42 s``, ``9 min 05 s``, ``22 min``, ``1 h 05 min``,
    ``2 d 3 h`` — seconds only under ten minutes, where they still matter."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes >= 10:
        return f"{minutes} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
