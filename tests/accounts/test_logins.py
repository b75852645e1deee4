"""Logging in: a login never undoes an account change, brute force locks an account out,
an unknown account costs what a known one does, argon2 runs at the product's cost."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from engine.accounts import passwords
from engine.accounts.accounts import AccountBook
from engine.accounts.policy import lock_period
from engine.core.errors import AuthenticationFailed
from engine.time.clock import VirtualClock
from tests.accounts.conftest import AGENT, Desk, finished
from tui.wiring import open_workspace


def product_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher.from_parameters(passwords.POLICY))


def account(desk: Desk, name: str) -> dict[str, object]:
    [found] = [a for a in desk.json("users", "list", user="root") if a["username"] == name]
    return found


def test_logins_racing_a_disable_never_bring_the_account_back(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    product_hasher(monkeypatch)  # so that each login spends the real ~0.3 s in argon2
    desk("users", "passwd", "ann", "--password-stdin", stdin=AGENT + "\n", user="root")
    for attempt in range(3):
        homes = [desk.home / f"r{attempt}-{n}" for n in range(4)]
        logins = [desk.spawn("login", user="ann", home=home) for home in homes]
        time.sleep(0.4 + 0.3 * attempt)  # the disable lands while logins check the password
        code, _, err = finished(desk.spawn("users", "disable", "ann", user="root"))
        assert code == 0, err
        results = [finished(login) for login in logins]
        assert all(code in (0, 3) for code, _, _ in results), results
        assert account(desk, "ann")["disabled"] is True, f"round {attempt}: disable lost"
        assert desk.json("users", "sessions", "ann", user="root") == []
        for home in homes:  # a session saved before the disable died with it
            monkeypatch.setenv("TICKETFLOW_HOME", str(home))
            assert desk("list", user="ann", password="")[0] in (2, 3)
        monkeypatch.setenv("TICKETFLOW_HOME", str(desk.home))
        assert desk("users", "enable", "ann", user="root")[0] == 0


def test_five_failures_lock_an_account_whatever_the_password_until_an_admin_unlocks(
        desk: Desk) -> None:
    for _ in range(5):
        assert desk("list", user="ann", password="Wrong-pass1")[0] == 3
    code, _, err = desk("list", user="ann")
    assert code == 3 and "locked until" in err and err.startswith("error: ")
    log = desk.json("audit", "log", user="aud")
    locked = [e for e in log if e["kind"] == "account_locked"]
    assert [(e["subject"], e["details"]["failures"]) for e in locked] == [("ann", 5)]
    assert account(desk, "ann")["locked_until"] is not None
    assert desk("users", "unlock", "ann", user="ann")[0] == 3  # admins only
    assert desk("users", "unlock", "ann", user="root")[0] == 0
    assert desk("list", user="ann")[0] == 0
    assert account(desk, "ann")["failed_logins"] == 0
    assert "account_unlocked" in [e["kind"] for e in desk.json("audit", "log", user="aud")]


def test_the_lock_out_doubles_up_to_an_hour(shared_store_url: str) -> None:
    clock = VirtualClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    workspace = open_workspace(shared_store_url, clock=clock)
    book: AccountBook = workspace.accounts
    book.add(None, username="root", password="Adm1n-pass", roles=["admin"], post=None)
    periods = []
    for _ in range(12):
        with pytest.raises(AuthenticationFailed):
            book.login("root", "Wrong-pass1")
        locked = workspace.store.get_account("root").locked_until
        if locked is not None and locked > clock.now():
            periods.append(locked - clock.now())
            with pytest.raises(AuthenticationFailed, match="locked"):
                book.login("root", "Adm1n-pass")
            clock.advance(locked - clock.now())
    minutes = [int(p.total_seconds() // 60) for p in periods]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60]
    assert lock_period(4) is None and lock_period(40) == timedelta(hours=1)
    book.login("root", "Adm1n-pass")  # the lock is over: the right password works again
    assert workspace.store.get_account("root").failed_logins == 0


def test_an_unknown_account_costs_what_a_known_one_does(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    product_hasher(monkeypatch)
    desk("users", "passwd", "hal", "--password-stdin", stdin=AGENT + "\n", user="root")
    desk("users", "unlock", "hal", user="root")
    book = open_workspace(desk.url).accounts

    def cost(name: str) -> float:
        started = time.perf_counter()
        with pytest.raises(AuthenticationFailed, match="wrong password"):
            book.login(name, "Wrong-pass1")
        return time.perf_counter() - started

    cost("nobody")  # the dummy hash is made once per process
    known = sorted(cost("hal") for _ in range(3))[1]
    unknown = sorted(cost("nobody") for _ in range(3))[1]
    assert 0.5 < unknown / known < 2.0, (known, unknown)
    assert known > 0.02  # the product's argon2 cost, not the suite's cheap one


def test_the_argon2_profile_variable_no_longer_weakens_hashes_and_weak_ones_are_rehashed(
        desk: Desk) -> None:
    weak = open_workspace(desk.url).store.get_account("ann").password_hash
    assert "m=8" in weak  # made by the suite's cheap hasher
    code, _, err = finished(desk.spawn("login", user="ann"))
    assert code == 0, err
    stronger = open_workspace(desk.url).store.get_account("ann").password_hash
    assert stronger != weak and "m=65536,t=3,p=4" in stronger
    assert desk("list", user="ann")[0] == 0  # the same password, under the stronger hash


def test_the_product_ignores_the_old_profile_variable(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETFLOW_ARGON2_PROFILE", "cheapest")
    code, _, err = finished(desk.spawn("login", user="hal"))
    assert code == 0, err
    assert "m=65536,t=3,p=4" in open_workspace(desk.url).store.get_account("hal").password_hash


def test_the_last_admin_cannot_disable_or_demote_themself(desk: Desk) -> None:
    code, _, err = desk("users", "disable", "root", user="root")
    assert code == 3 and "last admin" in err
    assert account(desk, "root")["disabled"] is False
    assert desk("users", "add", "ops", "--role", "admin", "--password-stdin",
                stdin="0ps-pass1\n", user="root")[0] == 0
    assert desk("users", "disable", "root", user="root")[0] == 0
    code, _, err = desk("users", "disable", "ops", user="ops", password="0ps-pass1")
    assert code == 3 and "last admin" in err


@pytest.mark.parametrize("name", ["-", "-x", ".hidden", "system", "a b", "", "x" * 65])
def test_account_names_follow_the_rule(desk: Desk, name: str) -> None:
    code, _, err = desk("users", "add", "--role", "agent", "--password-stdin", "--", name,
                        stdin="Fine-pass1\n", user="root")
    assert code == 2 and "not a valid account name" in err
    assert name not in [a["username"] for a in desk.json("users", "list", user="root")]
