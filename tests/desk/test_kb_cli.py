"""``ticketflow kb`` and article hits in ``ticketflow search``, on a SQLite file and on
PostgreSQL: write, publish, edit, read old versions and the trail, solve a ticket with a
published article, count it per month, draft an article from a resolved ticket."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.desk.test_cli import ADMIN, AGENT, Cli
from tests.desk.test_cli import cli as cli

ARTICLE = """---
title: Printer shows paper jam
tags: [printer]
---
Open **tray 2** and pull the sheet out.
"""
ROOT_ = {"user": "root", "password": ADMIN}
ANN = {"user": "ann", "password": AGENT}


def solve(cli: Cli, article: str) -> tuple[int, str, str]:
    assert cli("open", "service_desk", "--set", "summary=printer jams", "--set",
               "description=paper stuck in tray 2", **ANN)[0] == 0
    [ticket] = cli.json("list", **ANN)[:1]
    assert cli("fire", str(ticket["id"]), "receive", **ANN)[0] == 0
    return cli("fire", str(ticket["id"]), "solve_at_desk", "--set",
               f"knowledge_article={article}", "--set", "resolution=pulled the sheet", **ANN)


def test_write_publish_edit_and_read_every_version(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "jam.md"
    path.write_text(ARTICLE, encoding="utf-8")
    assert cli("kb", "add", str(path), **ANN) == (0, "KB-1 added: version 1, draft\n", "")
    code, _, err = solve(cli, "KB-1")
    assert (code, err) == (2, "error: ticket 1 in state 'received': field "
                              "'knowledge_article': KB-1 is not published (it is draft)\n")
    code, _, err = cli("kb", "publish", "KB-1", **ANN)
    assert (code, err) == (3, "error: changing an article to published needs the role "
                              "supervisor or admin\n")
    assert cli.json("kb", "publish", "KB-1", **ROOT_)["status"] == "published"
    source = cli("kb", "show", "KB-1", "--source", **ANN)[1]
    edited = source.replace("tray 2", "tray 3")
    assert cli.json("kb", "edit", "KB-1", "-", stdin=edited, **ANN)["status"] == "draft"
    assert "tray 3" in cli.json("kb", "show", "KB-1", **ANN)["body"]
    assert "tray 2" in cli.json("kb", "show", "KB-1", "--version", "1", **ANN)["body"]
    trail = cli.json("kb", "history", "KB-1", **ANN)["trail"]
    assert [(e["actor"], e["kind"], e["version"]) for e in trail] == [
        ("ann", "article_added", 1), ("root", "article_published", 1),
        ("ann", "article_edited", 2)]
    code, _, err = cli("kb", "edit", "KB-1", "-", "--version", "1", stdin=edited, **ANN)
    assert (code, err) == (3, "error: KB-1 changed since version 1; read it again\n")


@pytest.mark.parametrize("text, message", [
    ("no front matter", "error: <stdin>: an article starts with a front matter"),
    ("---\ntitle: x\ncolor: red\n---\nbody\n", "error: <stdin>: color: Extra inputs"),
])
def test_bad_text_is_one_line_and_nothing_is_written(cli: Cli, text: str,
                                                     message: str) -> None:
    code, out, err = cli("kb", "add", "-", stdin=text, **ANN)
    assert (code, out, err.count("\n"), err.startswith(message)) == (2, "", 1, True)
    assert cli.json("kb", "list", **ANN) == []


def test_search_finds_articles_and_tickets_apart(cli: Cli) -> None:
    assert cli("kb", "add", "-", stdin=ARTICLE, **ANN)[0] == 0
    assert cli("open", "service_desk", "--set", "summary=printer on fire", **ANN)[0] == 0
    both = cli.json("search", "printer", **ANN)
    assert [(hit["kind"], hit["id"]) for hit in both] == [("ticket", 1), ("article", "KB-1")]
    assert [h["kind"] for h in cli.json("search", "printer", "kind:article", **ANN)] == [
        "article"]
    assert [h["kind"] for h in cli.json("search", "printer", "kind:ticket", **ANN)] == [
        "ticket"]
    assert [h["kind"] for h in cli.json("search", "printer", "state:submitted", **ANN)] == [
        "ticket"]
    code, out, _ = cli("search", "tray", **ANN)
    assert code == 0 and "articles:" in out and "KB-1" in out
    code, _, err = cli("search", "kind:faq", **ANN)
    assert (code, err) == (2, "error: kind: takes ticket or article, not 'faq'\n")


def test_stats_count_the_tickets_each_article_solved(cli: Cli) -> None:
    assert cli("kb", "add", "-", stdin=ARTICLE, **ANN)[0] == 0
    assert cli("kb", "publish", "KB-1", **ROOT_)[0] == 0
    assert solve(cli, "KB-1")[0] == 0
    assert solve(cli, "KB-2")[2].endswith("field 'knowledge_article': KB-2 does not exist\n")
    [ticket] = [t for t in cli.json("list", "--all", **ANN) if t["state"] == "replying"]
    month = ticket["updated_at"][:7]
    stats = cli.json("kb", "stats", "--period", month, **ANN)
    assert stats["articles"] == [{"id": "KB-1", "title": "Printer shows paper jam",
                                  "status": "published", "solved": 1,
                                  "tickets": [ticket["id"]], "versions": {"1": 1}}]
    assert cli.json("kb", "stats", "--period", "2001-01", **ANN)["articles"] == []
    assert cli("kb", "stats", "--period", "May", **ANN)[2] == (
        "error: expected a month as YYYY-MM, got 'May'\n")
    assert cli.json("audit", "verify", **ROOT_)["ok"] is True


def test_draft_from_a_resolved_ticket(cli: Cli) -> None:
    assert cli("open", "service_desk", "--set", "summary=VPN drops", **ANN)[0] == 0
    code, _, err = cli("kb", "draft", "--from", "1", **ANN)
    assert (code, err) == (2, "error: ticket #1 is not resolved: it has no resolution to "
                              "draft from\n")
    assert cli("kb", "add", "-", stdin=ARTICLE, **ANN)[0] == 0
    assert cli("kb", "publish", "KB-1", **ROOT_)[0] == 0
    assert solve(cli, "KB-1")[0] == 0
    assert cli("kb", "draft", "--from", "2", **ANN) == (0, "KB-2 drafted: version 1, draft\n",
                                                       "")
    drafted = cli.json("kb", "show", "KB-2", **ANN)
    assert drafted["title"] == "printer jams"
    assert "paper stuck in tray 2" in drafted["body"]
    assert "pulled the sheet" in drafted["body"]
    assert cli("kb", "draft", "--from", "99", **ANN)[0] == 2
