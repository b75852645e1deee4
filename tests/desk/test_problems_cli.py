"""Problem records on the command line: link and unlink (journaled on both tickets), the
known error's workaround on the linked tickets, closing notifies their holders, verify
checks the links — on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.desk.test_cli import ADMIN, AGENT, HANDLER, ROOT, Cli

PAT = "Pr0blem-pass"


@pytest.fixture
def desk(shared_store_url: str, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Faults 1-3 opened by ann at the desk, problem 4; hal at a handling group, pat the
    problem manager."""
    cli = Cli(shared_store_url, capsys, monkeypatch)
    assert cli("init", "--admin", "root", "--password-stdin", stdin=ADMIN + "\n")[0] == 0
    assert cli("deploy", str(ROOT / "flows"), user="root", password=ADMIN)[0] == 0
    for name, post, password in (("ann", "service_desk", AGENT),
                                 ("hal", "handling_group", HANDLER),
                                 ("pat", "problem_management", PAT)):
        code, _, err = cli("users", "add", name, "--role", "agent", "--post", post,
                           "--password-stdin", stdin=password + "\n", user="root",
                           password=ADMIN)
        assert code == 0, err
    for summary in ("disk errors", "disk errors again", "printer jam"):
        cli.json("open", "fault_escalation", "--set", f"summary={summary}", "--set",
                 "level=2", user="ann", password=AGENT)
    assert cli.json("open", "problem", "--set", "summary=SAN firmware bug")["id"] == 4
    return cli


def triggers(desk: Cli, ticket: int) -> list[tuple[str, str | None, dict[str, int]]]:
    return [(e["kind"], e["trigger"], e["details"]) for e in desk.json("history", str(ticket))
            if e["kind"] == "link"]


def test_link_and_unlink_are_journaled_on_both_tickets(desk: Cli) -> None:
    linked = desk.json("problems", "link", "1", "4", "--note", "same SAN", user="ann",
                       password=AGENT)
    assert (linked["ticket"], linked["problem"], linked["linked_by"]) == (1, 4, "ann")
    code, out, _ = desk("problems", "link", "2", "4")
    assert (code, out) == (0, "ticket 2 linked to problem 4\n")
    desk.json("problems", "unlink", "2")
    assert triggers(desk, 1) == [("link", "problem_linked", {"problem": 4})]
    assert triggers(desk, 2) == [("link", "problem_linked", {"problem": 4}),
                                 ("link", "problem_unlinked", {"problem": 4})]
    assert triggers(desk, 4) == [("link", "ticket_linked", {"ticket": 1}),
                                 ("link", "ticket_linked", {"ticket": 2}),
                                 ("link", "ticket_unlinked", {"ticket": 2})]
    notes = [e["note"] for e in desk.json("history", "4", user="root", password=ADMIN)]
    assert notes[1] == "same SAN"
    shown = desk.json("problems", "show", "4")
    assert (shown["linked"], [t["id"] for t in shown["tickets"]]) == (1, [1])
    assert [(p["id"], p["linked"]) for p in desk.json("problems", "list")] == [(4, 1)]


@pytest.mark.parametrize(("argv", "error"), [
    (("link", "1", "2"), "error: ticket 2 is a fault_escalation ticket, not a problem\n"),
    (("link", "4", "4"), "error: ticket 4 is a problem itself; link incidents and faults to "
                         "a problem\n"),
    (("link", "1", "99"), "error: ticket 99: no such ticket\n"),
    (("unlink", "2"), "error: ticket 2 is linked to no problem\n"),
    (("show", "1"), "error: ticket 1 is a fault_escalation ticket, not a problem\n"),
])
def test_bad_links_are_refused_and_change_nothing(desk: Cli, argv: tuple[str, ...],
                                                  error: str) -> None:
    desk.json("problems", "link", "1", "4", user="ann", password=AGENT)
    before = [desk.json("history", str(t), user="root", password=ADMIN) for t in (1, 2, 4)]
    code, _, err = desk("problems", *argv, user="ann", password=AGENT)
    assert (code, err) == (2, error)
    assert [desk.json("history", str(t), user="root", password=ADMIN)
            for t in (1, 2, 4)] == before


def test_a_ticket_links_to_one_problem_and_never_to_a_closed_one(desk: Cli) -> None:
    desk.json("problems", "link", "1", "4", user="ann", password=AGENT)
    assert desk.json("open", "problem", "--set", "summary=another")["id"] == 5
    code, _, err = desk("problems", "link", "1", "5")
    assert (code, err) == (3, "error: ticket 1 is linked to problem 4 already; unlink it "
                              "first\n")
    desk("fire", "5", "investigate", user="pat", password=PAT)
    desk("fire", "5", "find_root_cause", "--set", "root_cause=none")
    desk("fire", "5", "resolve", "--set", "resolution=nothing to do")
    desk("fire", "5", "close")
    code, _, err = desk("problems", "link", "2", "5", user="ann", password=AGENT)
    assert (code, err) == (2, "error: problem 5 is closed: link to an open problem\n")
    assert [p["id"] for p in desk.json("problems", "list", "--open")] == [4]


def test_the_known_error_shows_its_workaround_on_the_linked_tickets(desk: Cli) -> None:
    desk.json("problems", "link", "1", "4", user="ann", password=AGENT)
    assert desk.json("show", "1")["problem"] == {"id": 4, "state": "new", "open": True,
                                                 "summary": "SAN firmware bug",
                                                 "workaround": None}
    desk("fire", "4", "investigate", user="pat", password=PAT)
    desk("fire", "4", "record_workaround", "--set", "workaround=fail over to san-2")
    code, out, _ = desk("show", "1", user="ann", password=AGENT)
    assert code == 0
    assert out.endswith("  problem: #4 known_error SAN firmware bug\n"
                        "  workaround (known error): fail over to san-2\n")
    assert desk.json("problems", "list")[0]["workaround"] == "fail over to san-2"
    desk("fire", "4", "find_root_cause", "--set", "root_cause=firmware 4.2",
         user="pat", password=PAT)
    assert desk.json("show", "1", user="ann", password=AGENT)["problem"]["workaround"] == \
        "fail over to san-2"
    desk("fire", "4", "resolve", "--set", "resolution=firmware 4.3", user="pat",
         password=PAT)
    assert desk.json("show", "1", user="ann", password=AGENT)["problem"]["workaround"] is None


def test_closing_the_problem_notifies_the_holders_of_open_linked_tickets(desk: Cli) -> None:
    for ticket in ("1", "2", "3"):
        desk.json("problems", "link", ticket, "4", user="ann", password=AGENT)
    desk("claim", "1")
    desk("fire", "3", "resolve", "--set", "resolution=cleared the jam")
    desk("fire", "3", "confirm")  # closed: nobody to tell
    for trigger, field in (("investigate", None), ("find_root_cause", "root_cause=fw"),
                           ("resolve", "resolution=firmware 4.3 installed")):
        extra = ("--set", field) if field else ()
        assert desk("fire", "4", trigger, *extra, user="pat", password=PAT)[0] == 0
    assert desk.json("outbox", user="root", password=ADMIN) == []
    assert desk("fire", "4", "close", user="pat", password=PAT)[0] == 0
    notes = desk.json("outbox", user="root", password=ADMIN)
    assert [(n["ticket"], n["post"], n["kind"], n["details"]["assignee"]) for n in notes] == [
        (1, "service_desk", "problem_closed", "ann"),
        (2, "service_desk", "problem_closed", None)]
    assert notes[0]["message"] == ("problem 4 (SAN firmware bug) behind ticket 1 was closed: "
                                   "firmware 4.3 installed")


def test_verify_checks_the_links_against_both_journals(desk: Cli, shared_store_url: str
                                                       ) -> None:
    desk.json("problems", "link", "1", "4", user="ann", password=AGENT)
    desk.json("problems", "link", "2", "4")
    desk.json("problems", "unlink", "2")
    code, out, _ = desk("audit", "verify", user="root", password=ADMIN)
    assert code == 0 and "no violation" in out
    engine = create_engine(shared_store_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM problem_links WHERE ticket_id = 1"))
        connection.execute(text("INSERT INTO problem_links (ticket_id, problem_id, "
                                "linked_at, linked_by) VALUES (3, 4, :at, 'ann')"),
                           {"at": "2026-12-01 00:00:00+00:00"})
    engine.dispose()
    code, out, _ = desk("audit", "verify")
    assert code == 1
    assert "ticket 1: the ticket is linked to problem None, its journal says 4" in out
    assert "ticket 3: the ticket is linked to problem 4, its journal says None" in out


def test_only_agents_and_supervisors_link(desk: Cli) -> None:
    code, _, err = desk("problems", "link", "1", "4", user="root", password=ADMIN)
    assert (code, err) == (3, "error: ticket 1 in state 'desk_tier': linking tickets to "
                              "problems needs the role agent or supervisor\n")
    assert desk("problems", "link", "1", "4", user="hal", password=HANDLER)[0] == 0
