"""The knowledge base (``b`` on the queues): every article, newest first, searched by words
(``/``); the highlighted one is rendered from its Markdown beside the list. Writing and
publishing are ``ticketflow kb`` commands (docs/kb.md)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Header, Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from engine.desk.articles import Article, Articles
from tui.screens.base import DeskScreen
from tui.widgets.key_lists import KeyList


def article_option(article: Article) -> Option:
    """An article as one line of the list: its id, status and title (plain text)."""
    return Option(Content(f"{article.id}  {article.status:<9}  {article.title}"), id=article.id)


def article_heading(article: Article) -> str:
    """What the reader sees above the body: status, version, author, tags and items."""
    content = article.latest.content
    return (f"{article.id} · {article.status} · version {article.latest.version} by "
            f"{article.latest.author} · tags: {', '.join(content.tags) or '-'} · items: "
            f"{', '.join(content.items) or '-'}")


class ArticlesScreen(DeskScreen[None]):
    """The articles, a search box, and the highlighted article rendered."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("r", "reload", "Reload", show=False),
    ]

    def __init__(self, words: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.words = words
        self.shown: dict[str, Article] = {}

    @property
    def articles(self) -> Articles:
        return Articles(self.desk.store, self.desk.clock)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="words, then Enter (empty: every article)",
                    id="articles-search")
        with Horizontal(id="articles-panes"):
            yield KeyList(id="articles-list", classes="pane")
            with VerticalScroll(id="article-reader", classes="pane"):
                yield Static(id="article-heading")
                yield Markdown(id="article-body")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Knowledge base"
        self.query_one("#articles-search", Input).value = " ".join(self.words)
        self.reload()
        self.query_one("#articles-list", OptionList).focus()

    def desk_changed(self) -> None:
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        found = self.attempt(lambda: self.articles.find(words=self.words, limit=1000)) or []
        self.shown = {article.id: article for article in found}
        box = self.query_one("#articles-list", OptionList)
        box.border_title = f"Articles · {len(found)}"
        box.clear_options()
        box.add_options([article_option(article) for article in found])
        if found:
            box.highlighted = 0
        else:
            self.read(None)

    def action_search(self) -> None:
        self.query_one("#articles-search", Input).focus()

    @on(Input.Submitted, "#articles-search")
    def search(self, event: Input.Submitted) -> None:
        self.words = tuple(event.value.split())
        self.reload()
        self.query_one("#articles-list", OptionList).focus()

    @on(OptionList.OptionHighlighted, "#articles-list")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.read(self.shown.get(event.option.id or ""))

    def read(self, article: Article | None) -> None:
        """Show an article (None: that there is none)."""
        heading = self.query_one("#article-heading", Static)
        body = self.query_one("#article-body", Markdown)
        reader = self.query_one("#article-reader", VerticalScroll)
        if article is None:
            heading.update(Content("No article." if not self.words else
                                   "No article has these words."))
            body.update("")
            return
        reader.border_title = article.title
        heading.update(Content(article_heading(article)))
        body.update(article.latest.content.body)
