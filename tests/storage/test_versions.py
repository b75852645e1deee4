"""Process versions: saved once per content hash, numbered per process, never changed."""

from __future__ import annotations

import pytest

from engine.core.errors import NotFound
from storage import SqlStore
from tests.storage.samples import version


def test_saving_the_same_version_twice_keeps_one_row(store: SqlStore) -> None:
    first = store.save_version(version())
    again = store.save_version(version())
    assert (first.number, again.number) == (1, 1)
    assert store.list_versions() == [first]


def test_versions_are_numbered_per_process(store: SqlStore) -> None:
    one = store.save_version(version("mini", "a"))
    two = store.save_version(version("mini", "b"))
    other = store.save_version(version("other", "c"))
    assert [v.number for v in (one, two, other)] == [1, 2, 1]
    assert store.current_version("mini") == two
    assert store.list_versions("mini") == [one, two]
    assert store.list_versions() == [one, two, other]


def test_a_version_is_found_by_its_digest_with_its_source(store: SqlStore) -> None:
    saved = store.save_version(version("mini", "process: mini\n# é ✓\n"))
    found = store.get_version(saved.digest)
    assert found == saved
    assert found.source.endswith("# é ✓\n")
    assert found.deployed_at.utcoffset() is not None


def test_unknown_versions_are_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.get_version("0" * 64)
    with pytest.raises(NotFound, match="nothing"):
        store.current_version("nothing")
    assert store.list_versions("nothing") == []
