"""A store on every backend, and one with a process version deployed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage import SqlStore, open_store
from tests.storage.samples import version


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    with open_store(store_url) as opened:
        yield opened


@pytest.fixture
def deployed(store: SqlStore) -> SqlStore:
    """A store with the sample process version saved (tickets refer to it)."""
    store.save_version(version())
    return store
