"""Accounts and login sessions round-trip through the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone

import pytest

from engine.core.errors import NotFound
from engine.core.model import Account
from storage import SqlStore
from tests.storage.samples import NOW

PARIS = timezone(timedelta(hours=1))


def account(username: str = "vera", **values: object) -> Account:
    fields: dict[str, object] = dict(
        display_name="Vera Vendor", roles=["agent", "vendor"], post="handling_group",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", vendor=True,
        expires_at=NOW + timedelta(days=7), created_at=NOW)
    fields.update(values)
    return Account(username=username, **fields)  # type: ignore[arg-type]


def test_an_account_round_trips(store: SqlStore) -> None:
    saved = account(last_login_at=NOW.astimezone(PARIS))
    store.save_account(saved)
    found = store.get_account("vera")
    assert found == saved
    assert found.last_login_at is not None and found.last_login_at.tzinfo is not None
    assert found.last_login_at.utcoffset() == timedelta(0)


def test_saving_again_updates_the_account(store: SqlStore) -> None:
    store.save_account(account())
    store.save_account(account(disabled=True, roles=["agent"], expires_at=None))
    found = store.get_account("vera")
    assert (found.disabled, found.roles, found.expires_at) == (True, ["agent"], None)
    assert store.list_accounts() == [found]


def test_accounts_are_listed_by_username(store: SqlStore) -> None:
    for name in ("zoe", "adam", "mia"):
        store.save_account(account(name, vendor=False))
    assert [a.username for a in store.list_accounts()] == ["adam", "mia", "zoe"]


def test_unknown_accounts_are_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="nobody"):
        store.get_account("nobody")


def test_login_sessions_live_until_they_expire(store: SqlStore) -> None:
    store.save_account(account())
    hashed = account().password_hash
    assert store.save_session(token_hash="t1", username="vera", created_at=NOW,
                              expires_at=NOW + timedelta(hours=8), password_hash=hashed)
    assert store.save_session(token_hash="t2", username="vera", created_at=NOW,
                              expires_at=NOW + timedelta(hours=1), password_hash=hashed)
    assert store.session_user("t1", now=NOW + timedelta(hours=2)) == "vera"
    with pytest.raises(NotFound):
        store.session_user("t2", now=NOW + timedelta(hours=2))
    assert store.end_sessions(before=NOW + timedelta(hours=2)) == 1
    assert store.end_sessions(token_hash="t1") == 1
    with pytest.raises(NotFound):
        store.session_user("t1", now=NOW)


def test_naive_timestamps_are_refused(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.save_account(replace(account(), created_at=NOW.replace(tzinfo=None)))


def test_a_session_is_saved_only_while_the_account_has_the_checked_hash(
        store: SqlStore) -> None:
    store.save_account(account())
    assert not store.save_session(token_hash="t1", username="vera", created_at=NOW,
                                  expires_at=NOW + timedelta(hours=8), password_hash="older")
    store.save_account(account(disabled=True))
    assert not store.save_session(token_hash="t2", username="vera", created_at=NOW,
                                  expires_at=NOW + timedelta(hours=8),
                                  password_hash=account().password_hash)
    assert store.list_sessions("vera", now=NOW) == []
