"""Published knowledge-base articles for tests that solve tickets at the desk (which needs
one): written straight through the store, as an admin would with ``ticketflow kb``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from engine.core.admin_journal import AdminEntry
from engine.desk.articles import ADDED, PUBLISHED, Content
from engine.desk.ports import Store

AT = datetime(2026, 1, 1, tzinfo=UTC)


def publish_articles(store: Store, up_to: int = 1) -> None:
    """Published articles until KB-``up_to`` exists."""
    while True:
        found = store.list_articles(limit=1)
        number = found[0].latest.number if found else 0
        if number >= up_to:
            return
        article = store.add_article(Content(f"Article {number + 1}", "Steps.\n"), "root", AT,
                                    AdminEntry(at=AT, actor="root", kind=ADDED))
        store.set_status(article.latest.number, 1, "published",
                         AdminEntry(at=AT, actor="root", kind=PUBLISHED,
                                    subject=article.id, details={"version": 1}))


def publish_with(cli: Callable[..., tuple[int, str, str]], password: str) -> str:
    """A published article written on the command line by ``root``: its id."""
    text = "---\ntitle: VPN profile\n---\nSend a new VPN profile.\n"
    assert cli("kb", "add", "-", stdin=text, user="root", password=password)[0] == 0
    assert cli("kb", "publish", "KB-1", user="root", password=password)[0] == 0
    return "KB-1"
