"""Login sessions end on a password change, a disable, a revoke, expiry and a vendor
account's closure; re-opening the account does not revive them (OWASP ASVS 4, V3.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.accounts.sessions import LoginSessions
from engine.core.errors import AuthenticationFailed
from engine.time.clock import VirtualClock
from tests.accounts.conftest import AGENT, Desk, in_days
from tui.wiring import open_workspace


def logged_in(desk: Desk, name: str, password: str | None = None) -> None:
    code, out, err = desk("login", user=name, password=password)
    assert code == 0 and "logged in" in out, err


def by_session(desk: Desk, *argv: str) -> tuple[int, str, str]:
    """A command acting through the saved login session (no password given)."""
    return desk(*argv, user=None)


@pytest.mark.parametrize("ending", [
    ("users", "passwd", "ann", "--password-stdin"),
    ("users", "disable", "ann"),
    ("users", "revoke", "ann"),
])
def test_an_admin_change_ends_the_accounts_sessions(desk: Desk, ending: tuple[str, ...]
                                                    ) -> None:
    logged_in(desk, "ann")
    assert by_session(desk, "list")[0] == 0
    [session] = desk.json("users", "sessions", "ann", user="root")
    assert set(session) == {"username", "session", "created_at", "expires_at"}
    code, _, err = desk(*ending, user="root", stdin="N3w-pass1\n")
    assert code == 0, err
    assert desk.json("users", "sessions", "ann", user="root") == []
    code, _, err = by_session(desk, "list")
    assert code == 3 and "log in again" in err
    if ending[1] == "revoke":
        log = desk.json("audit", "log", user="aud")
        assert ("sessions_ended", "root", "ann") in [(e["kind"], e["actor"], e["subject"])
                                                     for e in log]


def test_your_own_password_change_ends_your_sessions_too(desk: Desk) -> None:
    logged_in(desk, "ann")
    code, _, err = desk("users", "passwd", "ann", "--password-stdin", user="ann",
                        stdin="N3w-pass1\n")
    assert code == 0, err
    assert by_session(desk, "list")[0] == 3
    logged_in(desk, "ann", "N3w-pass1")
    assert by_session(desk, "list")[0] == 0


def test_listing_and_revoking_sessions_is_for_admins(desk: Desk) -> None:
    logged_in(desk, "ann")
    assert len(desk.json("users", "sessions", "ann", user="ann")) == 1  # your own
    assert desk("users", "sessions", "ann", user="hal")[0] == 3
    assert desk("users", "revoke", "ann", user="hal")[0] == 3
    assert desk("users", "sessions", "nobody", user="root")[0] == 2


def test_sessions_expire_at_the_latest_with_their_account(shared_store_url: str) -> None:
    clock = VirtualClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    workspace = open_workspace(shared_store_url, clock=clock)
    workspace.accounts.add(None, username="root", password="Adm1n-pass", roles=["admin"],
                           post=None)
    root = workspace.accounts.login("root", "Adm1n-pass")
    workspace.accounts.add(root, username="tmp", password=AGENT, roles=["agent"], post=None,
                           expires_at=clock.now() + timedelta(hours=1))
    sessions = LoginSessions(workspace.store, clock)
    token = sessions.start(workspace.accounts.login("tmp", AGENT))
    [listed] = sessions.listed("tmp")
    assert listed.expires_at == clock.now() + timedelta(hours=1)
    clock.advance(timedelta(hours=1))
    with pytest.raises(AuthenticationFailed, match="log in again"):
        sessions.resume(token)


def vendor_access(desk: Desk, account: str) -> tuple[int, str]:
    """Open a vendor access through the CLI; the ticket and the temporary password."""
    opened = desk.json("open", "vendor_access", "--set", "summary=patch",
                       "--set", "vendor_name=Acme", "--set", "rights=operator", user="hal")
    ticket = str(opened["id"])
    assert desk("fire", ticket, "approve", "--set", "approval_reference=memo-7",
                user="sue")[0] == 0
    fired = desk.json("fire", ticket, "open_access", "--set", f"vendor_account={account}",
                      "--set", f"access_expires_at={in_days(1)}", user="sue")
    return opened["id"], fired["credentials"][0]["password"]


def test_a_vendor_accounts_closure_ends_its_sessions_and_reopening_does_not_revive_them(
        desk: Desk) -> None:
    ticket, password = vendor_access(desk, "vendor_acme")
    logged_in(desk, "vendor_acme", password)
    assert by_session(desk, "list")[0] == 0
    assert desk("fire", str(ticket), "end_access", user="hal")[0] == 0
    assert desk.json("users", "sessions", "vendor_acme", user="root") == []
    vendor_access(desk, "vendor_acme")  # the same account, opened again
    code, _, err = by_session(desk, "users", "passwd", "vendor_acme", "--password-stdin")
    assert code == 3 and "log in again" in err
