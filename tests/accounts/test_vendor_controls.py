"""Vendor accounts stay in their box: vendor roles only, a bounded expiry, one open access
per account held by a unique key, and role names checked against the deployed processes."""

from __future__ import annotations

import pytest

import engine.desk.desk as Desk_
from tests.accounts.conftest import Desk, finished, in_days


def add(desk: Desk, name: str, *options: str) -> tuple[int, str, str]:
    return desk("users", "add", name, *options, "--password-stdin", stdin="Vend0r-pass\n",
                user="root")


def test_a_vendor_account_gets_vendor_roles_only(desk: Desk) -> None:
    code, _, err = add(desk, "vx", "--vendor", "--role", "supervisor", "--expires",
                       in_days(1))
    assert code == 3 and "vendor roles only" in err
    assert add(desk, "vx", "--vendor", "--role", "vendor", "--expires", in_days(1))[0] == 0
    code, _, err = desk("users", "disable", "vx", user="root")
    assert code == 0, err


def test_a_vendor_account_expires_no_later_than_the_desks_limit(desk: Desk) -> None:
    code, _, err = add(desk, "vx", "--vendor", "--role", "vendor")
    assert code == 2 and "needs an expiry" in err
    code, _, err = add(desk, "vx", "--vendor", "--role", "vendor", "--expires", in_days(8))
    assert code == 3 and "at most 7 day(s)" in err
    assert desk("settings", "set", "vendor_access_max_days", "10", user="ann")[0] == 3
    assert desk("settings", "set", "vendor_access_max_days", "0", user="root")[0] == 2
    assert desk("settings", "set", "vendor_access_max_days", "10", user="root")[0] == 0
    [shown] = desk.json("settings", "show", user="aud")
    assert (shown["key"], shown["value"], shown["default"]) == ("vendor_access_max_days", 10, 7)
    assert add(desk, "vx", "--vendor", "--role", "vendor", "--expires", in_days(8))[0] == 0
    log = desk.json("audit", "log", user="aud")
    assert ("setting_changed", "vendor_access_max_days", 10) in [
        (e["kind"], e["subject"], e["details"].get("value")) for e in log]


def approved(desk: Desk) -> str:
    opened = desk.json("open", "vendor_access", "--set", "summary=patch",
                       "--set", "vendor_name=Acme", "--set", "rights=operator", user="hal")
    ticket = str(opened["id"])
    assert desk("fire", ticket, "approve", "--set", "approval_reference=memo-7",
                user="sue")[0] == 0
    return ticket


def test_open_access_refuses_an_expiry_beyond_the_limit(desk: Desk) -> None:
    ticket = approved(desk)
    for far in ("9999-12-30T00:00:00+00:00", in_days(7.5)):
        code, _, err = desk("fire", ticket, "open_access", "--set", "vendor_account=vendor_x",
                            "--set", f"access_expires_at={far}", user="sue")
        assert code == 3 and "vendor limit" in err, err
    assert desk.json("show", ticket, user="sue")["state"] == "approved"
    assert desk("fire", ticket, "open_access", "--set", "vendor_account=vendor_x",
                "--set", f"access_expires_at={in_days(6.9)}", user="sue")[0] == 0


def test_two_tickets_opening_one_vendor_account_at_once_give_one_password(desk: Desk) -> None:
    for round_ in range(2):
        account = f"vendor_race{round_}"
        tickets = [approved(desk), approved(desk)]
        racing = [desk.spawn("fire", ticket, "open_access", "--json",
                             "--set", f"vendor_account={account}",
                             "--set", f"access_expires_at={in_days(1)}", user="sue")
                  for ticket in tickets]
        results = [finished(process) for process in racing]
        assert sorted(code for code, _, _ in results) == [0, 3], results
        loser = next(err for code, _, err in results if code == 3)
        assert "open already" in loser or "open access" in loser, loser
        states = [desk.json("show", t, user="sue")["state"] for t in tickets]
        assert sorted(states) == ["access_open", "approved"]
        opened = [e for e in desk.json("audit", "log", user="aud")
                  if e["kind"] == "vendor_account_opened" and e["subject"] == account]
        assert len(opened) == 1


def test_the_unique_key_holds_when_both_openings_read_before_either_commits(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both steps saw no open account (as in a race): the second commit fails on the key."""
    tickets = [approved(desk), approved(desk)]
    monkeypatch.setattr(Desk_.Desk, "_account", lambda self, name: None)
    codes = [desk("fire", ticket, "open_access", "--set", "vendor_account=vendor_same",
                  "--set", f"access_expires_at={in_days(1)}", user="sue") for ticket in tickets]
    assert [code for code, _, _ in codes] == [0, 3]
    assert "already has an open access" in codes[1][2]
    assert desk.json("show", tickets[1], user="sue")["state"] == "approved"


@pytest.mark.parametrize("role", ["", "Admin", " admin", "superuser", "system"])
def test_unknown_role_names_are_refused(desk: Desk, role: str) -> None:
    code, _, err = add(desk, "newbie", "--role", role)
    assert code in (2, 3) and err.startswith("error: ")
    assert "newbie" not in [a["username"] for a in desk.json("users", "list", user="root")]


def test_roles_the_deployed_processes_declare_are_accepted(desk: Desk) -> None:
    assert add(desk, "newbie", "--role", "auditor", "--role", "agent")[0] == 0
    code, _, err = add(desk, "other", "--role", "Admin")
    assert code == 2 and "unknown role 'Admin'" in err and "supervisor" in err
