"""Every read acts as an authenticated account: agents read their post's tickets (and those
assigned to them or opened by them), supervisors, auditors and admins read all."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import Desk

READS = [
    ("list",), ("show", "1"), ("history", "1"), ("replay", "1"), ("sla", "1"), ("outbox",),
    ("processes",), ("users", "list"), ("audit", "report", "--week", "2026-W49"),
    ("audit", "log"), ("audit", "verify"), ("export", "--format", "jsonl"),
    ("assess", "--period", "2026-11"), ("settings", "show"),
]


@pytest.fixture
def ticket(desk: Desk) -> int:
    opened = desk.json("open", "service_desk", "--set", "summary=mail down", user="ann")
    return int(opened["id"])


@pytest.mark.parametrize("argv", READS, ids=lambda argv: " ".join(argv[:2]))
def test_reads_need_a_login(desk: Desk, ticket: int, argv: tuple[str, ...]) -> None:
    code, out, err = desk(*argv, user=None)
    assert (code, out) == (2, "") and "acting account" in err and err.count("\n") == 1
    code, _, err = desk(*argv, user="aud", password="Wrong-pass1")
    assert code == 3 and "wrong password" in err
    assert desk(*argv, user="aud")[0] in (0, 1), argv  # 1: a check that ran (verify)


def test_an_agent_reads_the_tickets_of_their_post_and_no_others(desk: Desk, ticket: int
                                                                ) -> None:
    other = desk.json("open", "vendor_access", "--set", "summary=patch", "--set",
                      "vendor_name=Acme", "--set", "rights=operator", user="hal")["id"]
    assert [t["id"] for t in desk.json("list", user="ann")] == [ticket]
    assert [t["id"] for t in desk.json("list", user="hal")] == [other]
    assert sorted(t["id"] for t in desk.json("list", user="aud")) == [ticket, other]
    assert sorted(t["id"] for t in desk.json("list", user="sue")) == [ticket, other]
    for argv in (("show", str(other)), ("history", str(other)), ("replay", str(other)),
                 ("sla", str(other))):
        code, _, err = desk(*argv, user="ann")
        assert code == 3 and "may not read this ticket" in err
    assert desk("history", str(ticket), user="ann")[0] == 0
    code, _, err = desk("outbox", "--post", "handling_group", user="ann")
    assert code == 3 and "notifications of their post" in err


def test_desk_wide_reads_are_for_auditors_and_admins(desk: Desk, ticket: int) -> None:
    for argv in (("users", "list"), ("audit", "log"), ("audit", "verify"),
                 ("export", "--format", "csv"), ("audit", "report", "--week", "2026-W49")):
        code, _, err = desk(*argv, user="ann")
        assert code == 3 and "needs the role" in err, argv
    assert desk("assess", "--period", "2026-11", user="sue")[0] == 0
    assert desk("assess", "--period", "2026-11", user="ann")[0] == 3
    assert desk("backup", str(desk.home / "copy"), user="aud")[0] == 3
