"""Timestamps as agents type them in forms: relative, by day, local, or ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tui.moments import resolve

NOW = datetime(2026, 10, 5, 1, 10, tzinfo=UTC)  # 09:10 in Taipei
TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.mark.parametrize(("typed", "moment"), [
    ("now", NOW), ("+2h", NOW + timedelta(hours=2)), ("+1d 30m", NOW + timedelta(days=1,
                                                                                minutes=30)),
    ("+45min", NOW + timedelta(minutes=45)),
    ("tomorrow 09:00", datetime(2026, 10, 6, 9, 0, tzinfo=TAIPEI)),
    ("today 17:30", datetime(2026, 10, 5, 17, 30, tzinfo=TAIPEI)),
    ("tomorrow", datetime(2026, 10, 6, 9, 0, tzinfo=TAIPEI)),
    ("2026-10-07 08:00", datetime(2026, 10, 7, 8, 0, tzinfo=TAIPEI)),
    ("2026-10-07T08:00:00Z", datetime(2026, 10, 7, 8, 0, tzinfo=UTC))])
def test_what_agents_type_names_a_moment(typed: str, moment: datetime) -> None:
    assert resolve(typed, NOW, TAIPEI) == moment


@pytest.mark.parametrize("typed", ["+", "+2x", "tomorrow 25:00", "soon", "2026-10-07T08:00"])
def test_what_names_no_moment_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        resolve(typed, NOW, TAIPEI)
