"""The timer bench measures what its table says: 1 worker on SQLite, 1, 2 and 4 worker
processes on PostgreSQL (when it is there), each timer checked fired exactly once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import timers
from tests.conftest import PG_ENV


def test_every_case_fires_each_timer_once(tmp_path: Path) -> None:
    cases = timers.run(tmp_path, timers=8)
    expected = ["sqlite_1"] + (["postgresql_1", "postgresql_2", "postgresql_4"]
                               if os.environ.get(PG_ENV) else [])
    assert list(cases) == expected
    for name, case in cases.items():
        assert case["duplicates"] == 0 and case["handled"] >= 8, (name, case)
        assert case["workers"] == int(name.rsplit("_", 1)[1])
    row = timers.line(cases, "2026-11-27T10:00:00", "a machine")
    assert row.startswith("| 2026-11-27 10:00 | 8 | ") and row.count("|") == 8


def test_the_check_refuses_timers_left_unfired(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'timers.db'}"
    timers.build(url, 3)
    with pytest.raises(RuntimeError, match="0 timers fired twice, 3 never, 3 tickets waiting"):
        timers.check(url, 3)
