"""The knowledge base in the app: ``b`` lists the articles and renders the highlighted one's
Markdown; ``/`` searches them; ``kind:article`` in the queue's search opens them, and a
ticket search says which articles have the words too."""

from __future__ import annotations

from textual.widgets import Markdown, OptionList

from tests.tui.conftest import DeskCopy, fill, login, notices, plain
from tests.tui.test_ticket import options
from tui.screens.articles import ArticlesScreen
from tui.screens.queues import QueueScreen


def test_b_lists_the_articles_and_renders_the_highlighted_one(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, ArticlesScreen)
        assert options(app, "#articles-list") == ["KB-2", "KB-1"]
        assert "KB-2 · draft" in plain(app, "#article-heading")
        await pilot.press("down")
        await pilot.pause()
        assert "KB-1 · published · version 1 by ann" in plain(app, "#article-heading")
        body = app.screen.query_one("#article-body", Markdown)
        assert "clear ip route" in body.source
        assert body.query("MarkdownOrderedList")  # rendered: a list, not the raw text
        await pilot.press("slash")
        await fill(pilot, "#articles-search", "printer")
        assert options(app, "#articles-list") == ["KB-2"]
        assert app.focused is app.screen.query_one("#articles-list", OptionList)
        await fill(pilot, "#articles-search", "nothing-like-it")
        assert options(app, "#articles-list") == []
        assert plain(app, "#article-heading").strip() == "No article has these words."
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)

    desk.run(scenario)


def test_the_queue_search_finds_articles_apart_from_tickets(desk: DeskCopy) -> None:
    async def scenario(pilot, app):
        await login(pilot, "ann")
        await pilot.press("slash")
        await fill(pilot, "#queue-filter", "printer")
        assert notices(app)[-1].startswith("Articles: KB-2 Printer queue frozen")
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("slash")
        await fill(pilot, "#queue-filter", "router kind:article")
        assert isinstance(app.screen, ArticlesScreen)
        assert options(app, "#articles-list") == ["KB-1"]

    desk.run(scenario)
