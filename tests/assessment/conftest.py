"""A desk on a virtual clock with the seed processes, for computing assessments."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.assessment.world import World, build_world


@pytest.fixture
def world() -> Iterator[World]:
    """A fresh desk on an in-memory SQLite database, its clock at 2026-10-01 00:00 Taipei."""
    built = build_world("sqlite://")
    yield built
    built.close()
