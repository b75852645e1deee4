"""Reliability suite settings: slow tests run only when TICKETFLOW_SLOW=1."""

from __future__ import annotations

import os

import pytest

SLOW_ENV = "TICKETFLOW_SLOW"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip this suite's tests marked slow unless TICKETFLOW_SLOW=1."""
    if os.environ.get(SLOW_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"slow: set {SLOW_ENV}=1 to run it")
    for item in items:
        if "slow" in item.keywords and "reliability" in str(item.path):
            item.add_marker(skip)
