"""The knowledge base on every backend: versions, statuses and their trail, search, the
published article solve_at_desk requires, and how often each article solved a ticket."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine.audit.audit import Audit
from engine.core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    MissingField,
    NotFound,
    SpecError,
)
from engine.desk.articles import Articles, Content, parse_content
from engine.desk.items import Item, Items
from engine.process.load import parse_process
from tests.conftest import backend_url
from tests.desk.conftest import ROOT, DeskWorld, build_world
from tui.wiring import backup_database, open_workspace, restore_database

TEXT = """---
title: Reset a forgotten password
tags: [password, accounts]
items: []
---
1. Open the directory console.
2. Reset the password and tell the customer.
"""


def kb(world: DeskWorld) -> Articles:
    return Articles(world.workspace.store, world.clock)


def published(world: DeskWorld, title: str = "Reset a password") -> str:
    """A published article's id, written by ann and published by sue."""
    articles = kb(world)
    article = articles.add(Content(title, "Steps.\n"), world.people["ann"])
    return articles.publish(article.id, world.people["sue"]).id


def test_every_edit_is_a_version_and_every_change_is_on_record(world: DeskWorld) -> None:
    articles, ann, sue = kb(world), world.people["ann"], world.people["sue"]
    first = articles.add(parse_content(TEXT, "a.md"), ann)
    assert (first.id, first.status, first.latest.version) == ("KB-1", "draft", 1)
    assert first.latest.content.tags == ("password", "accounts")
    articles.publish(first.id, sue)
    world.clock.advance(timedelta(hours=1))
    edited = articles.edit("KB-1", Content("Reset a password", "New steps.\n"), sue)
    assert (edited.status, edited.latest.version, edited.latest.author) == ("draft", 2, "sue")
    old = articles.version("KB-1", 1)
    assert (old.content.title, old.author) == ("Reset a forgotten password", "ann")
    assert [e.kind for e in articles.trail("KB-1")] == [
        "article_added", "article_published", "article_edited"]
    assert articles.trail("KB-1")[1].actor == "sue"
    assert articles.trail("KB-1")[1].details["version"] == 1


def test_only_supervisors_publish_and_a_stale_edit_conflicts(world: DeskWorld) -> None:
    articles, ann = kb(world), world.people["ann"]
    article = articles.add(Content("T", "B\n"), ann)
    with pytest.raises(Forbidden):
        articles.publish(article.id, ann)
    articles.edit(article.id, Content("T2", "B\n"), ann)
    with pytest.raises(Conflict):
        articles.edit(article.id, Content("T3", "B\n"), ann, expected=1)
    with pytest.raises(BadRequest, match="only a draft or published"):
        articles.retire(articles.retire(article.id, world.people["sue"]).id,
                        world.people["sue"])
    with pytest.raises(NotFound):
        articles.get("KB-99")


@pytest.mark.parametrize("text, message", [
    ("no front matter\n", "front matter"),
    ("---\ntags: [a]\n---\nbody\n", "title"),
    ("---\ntitle: t\ncolour: red\n---\nbody\n", "colour"),
    ("---\ntitle: t\n---\n\n", "no body"),
])
def test_bad_article_text_is_refused_saying_what(text: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_content(text, "a.md")


def test_an_article_is_about_items_the_desk_has(world: DeskWorld) -> None:
    with pytest.raises(BadRequest, match="no configuration item 'db-9'"):
        kb(world).add(Content("T", "B\n", (), ("db-9",)), world.people["ann"])


def test_the_source_reads_back_as_the_same_content() -> None:
    content = Content('Say "hi"', "Body\n", ("a b",), ("db-1",))
    assert parse_content(content.source(), "x.md") == content


def test_search_finds_the_latest_version_of_articles(world: DeskWorld) -> None:
    articles, ann = kb(world), world.people["ann"]
    articles.add(parse_content(TEXT, "a.md"), ann)
    articles.add(Content("Printer jams", "Open tray 2.\n", ("printer",)), ann)
    assert [a.id for a in articles.find(words=("console",))] == ["KB-1"]
    assert [a.id for a in articles.find(words=("print*",))] == ["KB-2"]
    articles.edit("KB-1", Content("Reset a password", "Use the portal.\n"), ann)
    assert articles.find(words=("console",)) == []
    assert [a.id for a in articles.find(words=("portal",))] == ["KB-1"]
    assert [a.id for a in articles.find(status="draft")] == ["KB-2", "KB-1"]


def solve(world: DeskWorld, article: str) -> int:
    ann = world.people["ann"]
    ticket = world.desk.open("service_desk", ann, {"summary": "forgot password"})
    world.desk.fire(ticket.id, "receive", ann)
    world.desk.fire(ticket.id, "solve_at_desk", ann,
                    data={"knowledge_article": article, "resolution": "reset"})
    return ticket.id


def test_solving_at_the_desk_needs_a_published_article(world: DeskWorld) -> None:
    articles, ann = kb(world), world.people["ann"]
    draft = articles.add(Content("Draft", "B\n"), ann)
    with pytest.raises(MissingField, match="KB-1 is not published"):
        solve(world, draft.id)
    with pytest.raises(MissingField, match="KB-7 does not exist"):
        solve(world, "KB-7")
    with pytest.raises(MissingField, match="not an article id"):
        solve(world, "article 7")
    articles.publish(draft.id, world.people["sue"])
    ticket_id = solve(world, draft.id)
    assert world.desk.ticket(ticket_id).state == "replying"
    event = world.desk.history(ticket_id)[-1]
    assert event.details["articles"] == {"knowledge_article": {"id": "KB-1", "version": 1}}
    articles.retire(draft.id, world.people["sue"])  # the journal still verifies and replays
    report = Audit(world.workspace.store, world.clock).verify()
    assert report.ok, report.violations
    assert Audit(world.workspace.store, world.clock).replay(ticket_id).state == "replying"


def test_usage_counts_the_tickets_each_article_solved_per_month(world: DeskWorld) -> None:
    one, two = published(world, "One"), published(world, "Two")
    for article in (one, two, two):
        solve(world, article)
    start = world.clock.now() - timedelta(days=1)
    rows = kb(world).usage(start, start + timedelta(days=2))
    assert [(r.id, r.solved, r.versions) for r in rows] == [("KB-2", 2, {1: 2}),
                                                            ("KB-1", 1, {1: 1})]
    assert kb(world).usage(start + timedelta(days=2), start + timedelta(days=30)) == []


def test_a_restored_desk_finds_its_articles(shared_store_url: str, tmp_path: Path) -> None:
    world = build_world(shared_store_url)
    Items(world.workspace.store, world.clock).load([Item("san-1", "storage")],
                                                   world.people["root"])
    articles = kb(world)
    articles.add(parse_content(TEXT, "a.md"), world.people["ann"])
    articles.add(Content("Printer jams", "Open tray 2.\n", ("printer",), ("san-1",)),
                 world.people["ann"])
    copy = tmp_path / "backup"
    kind = backup_database(shared_store_url, copy)
    target = "sqlite-file" if kind == "sqlite" else "postgresql"
    (tmp_path / "restored").mkdir()
    with backend_url(target, tmp_path / "restored") as url:
        assert restore_database(copy, url) > 0
        restored = open_workspace(url)
        found = Articles(restored.store, restored.desk.clock)
        assert [a.id for a in found.find(words=("console",))] == ["KB-1"]
        assert [a.id for a in found.find(words=("san",))] == ["KB-2"]
        assert found.versions("KB-2")[0].content.items == ("san-1",)
        restored.store.close()


def test_an_article_field_takes_no_pattern_and_a_default_must_be_an_id() -> None:
    source = (ROOT / "flows" / "service_desk.yaml").read_text(encoding="utf-8")
    field = ("    type: article                 # KB-<n>: an existing, published article "
             "(ticketflow kb)")
    assert field in source
    with pytest.raises(SpecError, match="'pattern' applies to text and account fields only, "
                                        "not article"):
        parse_process(source.replace(field, field + '\n    pattern: "KB-1"'), "sd.yaml")
    with pytest.raises(SpecError, match="not an article id"):
        parse_process(source.replace(field, field + "\n    default: article one"), "sd.yaml")


def test_an_article_given_at_opening_is_checked_and_recorded(world: DeskWorld) -> None:
    ann = world.people["ann"]
    with pytest.raises(MissingField, match="KB-1 does not exist"):
        world.desk.open("service_desk", ann, {"summary": "x", "knowledge_article": "KB-1"})
    article = published(world)
    ticket = world.desk.open("service_desk", ann, {"summary": "x", "knowledge_article": article})
    assert world.desk.history(ticket.id)[0].details["articles"] == {
        "knowledge_article": {"id": "KB-1", "version": 1}}
