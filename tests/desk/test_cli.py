"""The command line end to end: every ticket and account command, its JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.stdin import Piped
from tui.cli import run

ROOT = Path(__file__).resolve().parents[2]
ADMIN, AGENT, HANDLER = "Adm1n-pass", "Agent-pass1", "Handl3r-pass"


class Cli:
    """Runs ``ticketflow`` in-process against one database, capturing its output."""

    def __init__(self, url: str, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.capsys, self.monkeypatch = capsys, monkeypatch
        monkeypatch.setenv("TICKETFLOW_DB", url)

    def __call__(self, *argv: str, user: str | None = None, password: str | None = None,
                 stdin: str | None = None) -> tuple[int, str, str]:
        if user:
            self.monkeypatch.setenv("TICKETFLOW_USER", user)
            self.monkeypatch.setenv("TICKETFLOW_PASSWORD", password or "")
        if stdin is not None:
            self.monkeypatch.setattr("sys.stdin", Piped(stdin))
        code = run(list(argv))
        out, err = self.capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    def json(self, *argv: str, **kwargs: str) -> Any:
        code, out, err = self(*argv, "--json", **kwargs)
        assert code == 0, err
        return json.loads(out)



@pytest.fixture
def cli(shared_store_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = Cli(shared_store_url, capsys, monkeypatch)
    assert cli("init", "--admin", "root", "--password-stdin", stdin=ADMIN + "\n")[0] == 0
    assert cli("deploy", str(ROOT / "flows"), user="root", password=ADMIN)[0] == 0
    for name, post, password in (("ann", "service_desk", AGENT),
                                 ("hal", "handling_group", HANDLER)):
        code, _, err = cli("users", "add", name, "--role", "agent", "--post", post,
                           "--password-stdin", stdin=password + "\n", user="root",
                           password=ADMIN)
        assert code == 0, err
    return cli


def test_a_ticket_through_the_cli(cli: Cli) -> None:
    opened = cli.json("open", "service_desk", "--set", "summary=mail down", user="ann",
                      password=AGENT)
    assert isinstance(opened, dict)
    assert {"id", "process", "version", "state", "data", "post", "assignee"} <= set(opened)
    assert (opened["state"], opened["version"], opened["data"]["summary"]) == (
        "submitted", 1, "mail down")
    ticket = str(opened["id"])
    assert cli("fire", ticket, "receive", user="ann", password=AGENT)[0] == 0
    assert cli("fire", ticket, "dispatch", "--set", "assigned_group=hardware_platform")[0] == 0
    assert cli("comment", ticket, "called the customer")[0] == 0
    assert cli("claim", ticket, user="hal", password=HANDLER)[0] == 0
    shown = cli.json("show", ticket)
    assert isinstance(shown, dict)
    assert (shown["state"], shown["post"], shown["assignee"]) == ("dispatched",
                                                                  "handling_group", "hal")
    history = cli.json("history", ticket)
    assert isinstance(history, list)
    assert [e["trigger"] for e in history] == [None, "receive", "dispatch", "comment", "assign"]
    assert {"seq", "at", "actor", "trigger", "source", "dest", "changes", "prev_hash",
            "hash"} <= set(history[0])
    listed = cli.json("list", "--post", "handling_group")
    assert isinstance(listed, list) and [t["id"] for t in listed] == [opened["id"]]


@pytest.mark.parametrize("argv, code, message", [
    (["fire", "99", "receive"], 2, "no such ticket"),
    (["fire", "1", "confirm"], 2, "not possible now"),
    (["open", "service_desk"], 2, "required field 'summary'"),
    (["open", "service_desk", "--set", "summary"], 2, "expected KEY=VALUE"),
    (["open", "service_desk", "--set", "summary=x", "--set", "priority=urgent"], 2,
     "must be one of"),
    (["open", "nonesuch", "--set", "summary=x"], 2, "nonesuch"),
    (["fire", "1", "accept"], 2, "not possible now"),
    (["deploy", "flows"], 3, "admin"),
    (["users", "add", "eve", "--role", "agent", "--password-stdin"], 3, "admin"),
])
def test_bad_input_and_refusals_have_one_line_errors(cli: Cli, argv: list[str], code: int,
                                                     message: str) -> None:
    cli("open", "service_desk", "--set", "summary=seed", user="ann", password=AGENT)
    result, _, err = cli(*argv, stdin="Xx-123456\n")
    assert result == code and err.startswith("error:") and message in err
    assert err.count("\n") == 1


def test_wrong_password_and_weak_passwords(cli: Cli) -> None:
    code, _, err = cli("list", "--mine", user="ann", password="nope")
    assert code == 3 and "wrong password" in err
    code, _, err = cli("users", "add", "bob", "--role", "agent", "--password-stdin",
                       stdin="abcdef\n", user="root", password=ADMIN)
    assert code == 2 and "at least two" in err
    code, _, err = cli("users", "add", "vend", "--role", "admin", "--vendor",
                       "--password-stdin", stdin="Vend0r-pw\n")
    assert code == 3 and "vendor" in err
    accounts = cli.json("users", "list")
    assert isinstance(accounts, list)
    assert sorted(a["username"] for a in accounts) == ["ann", "hal", "root"]
    assert all("password" not in key for a in accounts for key in a)


def test_disabled_accounts_are_refused(cli: Cli) -> None:
    assert cli("users", "disable", "ann", user="root", password=ADMIN)[0] == 0
    code, _, err = cli("open", "service_desk", "--set", "summary=x", user="ann",
                       password=AGENT)
    assert code == 3 and "disabled" in err


def test_deploy_twice_creates_no_new_version(cli: Cli) -> None:
    again = cli.json("deploy", str(ROOT / "flows"), user="root", password=ADMIN)
    assert isinstance(again, list) and not any(d["new"] for d in again)
    versions = cli.json("processes")
    assert isinstance(versions, list)
    assert {v["name"] for v in versions} >= {"service_desk", "fault_escalation",
                                             "vendor_access"}


def test_deploying_an_invalid_file_reports_its_location(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text((ROOT / "tests/flows/mini.yaml").read_text().replace(
        "to: received", "to: nowhere", 1))
    code, _, err = cli("deploy", str(broken), user="root", password=ADMIN)
    assert code == 2 and f"{broken}:" in err and "nowhere" in err


def test_login_sessions_replace_the_password(cli: Cli, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETFLOW_HOME", str(tmp_path / "home"))
    assert cli("login", user="ann", password=AGENT)[0] == 0
    saved = (tmp_path / "home" / "sessions.json")
    assert saved.stat().st_mode & 0o077 == 0 and AGENT not in saved.read_text()
    monkeypatch.delenv("TICKETFLOW_PASSWORD")
    monkeypatch.delenv("TICKETFLOW_USER")
    opened = cli.json("open", "service_desk", "--set", "summary=via session")
    assert isinstance(opened, dict) and opened["opened_by"] == "ann"
    assert cli("logout")[0] == 0
    code, _, err = cli("open", "service_desk", "--set", "summary=x")
    assert code == 2 and "--as" in err


def test_passwords_are_changed_and_accounts_enabled_through_the_cli(cli: Cli) -> None:
    code, out, err = cli("users", "passwd", "ann", "--password-stdin", stdin="N3w-secret\n",
                         user="ann", password=AGENT)
    assert code == 0 and "N3w-secret" not in out + err
    assert cli("list", "--mine", user="ann", password=AGENT)[0] == 3
    assert cli("users", "passwd", "hal", "--password-stdin", stdin="Other-pass1\n",
               user="ann", password="N3w-secret")[0] == 3
    assert cli("users", "disable", "hal", user="root", password=ADMIN)[0] == 0
    assert cli("users", "enable", "hal")[0] == 0
    assert cli("list", "--mine", user="hal", password=HANDLER)[0] == 0


def test_assign_and_unassign_through_the_cli(cli: Cli) -> None:
    opened = cli.json("open", "service_desk", "--set", "summary=vpn", user="ann",
                      password=AGENT)
    assert isinstance(opened, dict)
    ticket = str(opened["id"])
    assigned = cli.json("assign", ticket, "ann")
    assert isinstance(assigned, dict) and assigned["assignee"] == "ann"
    code, _, err = cli("assign", ticket, "hal")
    assert code == 3 and "handling_group" not in err and "service_desk" in err
    cleared = cli.json("assign", ticket, "-")
    assert isinstance(cleared, dict) and cleared["assignee"] is None


# -- search --------------------------------------------------------------------------

def opened_with(cli: Cli, summary: str, **login: str) -> int:
    ticket = cli.json("open", "service_desk", "--set", f"summary={summary}", **login)
    assert isinstance(ticket, dict)
    return int(ticket["id"])


def search_hits(cli: Cli, *words: str, **login: str) -> list[int]:
    found = cli.json("search", *words, **login)
    assert isinstance(found, list)
    return [int(t["id"]) for t in found]


def test_words_filters_and_comments_find_tickets_newest_first(cli: Cli) -> None:
    printer = opened_with(cli, "Printer jammed", user="ann", password=AGENT)
    mail = opened_with(cli, "Mail quota full")
    assert cli("comment", str(mail), "the printer is fine, the mailbox is not")[0] == 0
    assert cli("fire", str(printer), "receive")[0] == 0
    assert search_hits(cli, "print*") == [mail, printer]
    assert search_hits(cli, "printer") == [mail, printer]
    assert search_hits(cli, "printer", "state:received") == [printer]
    assert search_hits(cli, "mailbox") == [mail]
    assert search_hits(cli, "print*", "open:no") == []
    found = cli.json("search", "quota")
    assert isinstance(found, list)
    assert {"id": mail, "state": "submitted", "summary": "Mail quota full"}.items() <= \
        found[0].items()
    code, out, _ = cli("search", "jammed")
    assert code == 0 and f"{printer}" in out and "Printer jammed" in out


def test_an_agent_finds_only_what_it_may_read(cli: Cli) -> None:
    opened_with(cli, "disk failing", user="root", password=ADMIN)  # at the service desk
    assert search_hits(cli, "disk", user="hal", password=HANDLER) == []
    assert len(search_hits(cli, "disk", user="ann", password=AGENT)) == 1


def test_an_unknown_filter_key_is_an_error_naming_it(cli: Cli) -> None:
    opened_with(cli, "anything", user="ann", password=AGENT)
    code, out, err = cli("search", "colour:red", "anything")
    assert code == 2 and out == ""
    assert err.startswith("error:") and "'colour'" in err and err.count("\n") == 1
    code, _, err = cli("search", "open:maybe")
    assert code == 2 and "open:" in err


def test_supervisors_approve_through_the_cli(cli: Cli) -> None:
    for name in ("sue", "sam"):
        code, _, err = cli("users", "add", name, "--role", "supervisor", "--post",
                           "service_desk", "--password-stdin", stdin=HANDLER + "\n",
                           user="root", password=ADMIN)
        assert code == 0, err
    opened = cli.json("open", "vendor_access", "--set", "summary=night fix", "--set",
                      "vendor_name=Acme", "--set", "rights=read_only", "--set",
                      "access_window=outside_hours", user="hal", password=HANDLER)
    number = str(opened["id"])
    code, out, _ = cli("approve", number, "--set", "approval_reference=W-1", user="sue",
                       password=HANDLER)
    assert code == 0 and out.startswith("approved by sue (approve): 1 of 2 needed")
    code, _, err = cli("approve", number, user="sue", password=HANDLER)
    assert code == 3 and err.count("\n") == 1 and "'sue' has already voted" in err
    code, _, err = cli("approve", number, "--trigger", "refuse", user="sam", password=HANDLER)
    assert code == 2 and err.count("\n") == 1 and ("'refuse' is not an approval waiting "
                                                    "here (waiting: approve, approve_verbally)"
                                                    ) in err
    code, out, _ = cli("approve", number, "--reject", "--note", "no contract", user="sam",
                       password=HANDLER)
    assert code == 0 and out.startswith("rejected by sam (approve): 1 of 1 needed")
    assert "state=refused" in out
