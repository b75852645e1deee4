"""The change feed: a committed ticket change is heard on another connection at once, a
refused one never (PostgreSQL names the tickets; SQLite says only that something changed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.core.errors import Conflict
from storage import SqlStore, open_store
from storage.live import Feed, open_feed
from tests.storage.samples import opening, step, ticket, version


@pytest.fixture
def shared(shared_store_url: str) -> Iterator[tuple[SqlStore, Feed]]:
    with open_store(shared_store_url) as store:
        store.save_version(version())
        feed = open_feed(shared_store_url)
        assert feed is not None
        try:
            yield store, feed
        finally:
            feed.close()


def heard(feed: Feed) -> frozenset[int] | None:
    """What the feed hears within a generous wait (it returns as soon as it hears)."""
    return feed.wait(10.0)


def test_a_committed_change_is_heard_with_its_ticket(shared: tuple[SqlStore, Feed],
                                                     shared_store_url: str) -> None:
    store, feed = shared
    opened = store.open_ticket(opening(ticket()))
    named = not shared_store_url.startswith("sqlite")
    assert heard(feed) == (frozenset({opened.id}) if named else frozenset())
    store.apply(step(opened, dest="triaged"))
    assert heard(feed) == (frozenset({opened.id}) if named else frozenset())


def test_a_refused_change_is_not_heard(shared: tuple[SqlStore, Feed],
                                       shared_store_url: str) -> None:
    store, feed = shared
    opened = store.open_ticket(opening(ticket()))
    assert heard(feed) is not None
    store.apply(step(opened, dest="triaged"))
    assert heard(feed) is not None
    with pytest.raises(Conflict):
        store.apply(step(opened, dest="closed"))  # from a version that moved on
    assert feed.wait(0.3) is None


def test_an_in_memory_database_has_no_feed() -> None:
    assert open_feed("sqlite://") is None
