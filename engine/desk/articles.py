"""The knowledge base (知識庫): articles that document how a problem is solved.

An article is ``KB-<n>``: a title, a Markdown body, tags and the configuration items it is
about, with a status — ``draft`` (being written), ``published`` (the desk may solve tickets
with it) or ``retired`` (no longer used). Every edit is a new **version** (author, time,
content); old versions stay readable. Each change — adding, editing, publishing, retiring —
is an entry of the admin journal, so who published which version is on record. Editing a
published article makes it a draft again: what the desk solves with is always a version
someone published.

A process refers to articles with a field of ``type: article`` (docs/processes.md): a value
given to it must name an existing, published article, checked by the desk when the step is
taken; the event records the article and the version used (``details.articles``), so that
verify and replay never look at the knowledge base and how often each article solved a
ticket is read from the journal (:func:`usage`).

An article's text is written as Markdown with a YAML front matter::

    ---
    title: Reset a forgotten password
    tags: [password, accounts]
    items: [mail-server]
    ---
    1. Open the directory console ...
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from engine.core.admin_journal import AdminEntry
from engine.core.errors import BadRequest, NotFound
from engine.core.model import Account, Ticket
from engine.desk.citations import article_id, article_number
from engine.desk.items import Item, Text
from engine.desk.reading import require_any
from engine.process import yamlfile
from engine.time.clock import Clock

STATUSES = ("draft", "published", "retired")
WRITERS = ("agent", "supervisor", "admin")
"""Who may write and edit articles."""
PUBLISHERS = ("supervisor", "admin")
"""Who may publish and retire them."""
ADDED, EDITED, PUBLISHED, RETIRED = ("article_added", "article_edited", "article_published",
                                     "article_retired")
"""The admin journal's kinds of article entries."""
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.S)
MAX_BODY = 100_000


@dataclass(frozen=True)
class Content:
    """What one version of an article says."""

    title: str
    body: str
    tags: tuple[str, ...] = ()
    items: tuple[str, ...] = ()

    def source(self) -> str:
        """The content as Markdown with a YAML front matter (what :func:`parse_content`
        reads back)."""
        lines = ["---", f"title: {_quoted(self.title)}",
                 f"tags: [{', '.join(_quoted(t) for t in self.tags)}]",
                 f"items: [{', '.join(_quoted(i) for i in self.items)}]", "---"]
        return "\n".join(lines) + "\n" + self.body


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Version:
    """One version of an article: its content, who wrote it and when."""

    number: int
    """The article's number (``KB-<number>``)."""
    version: int
    content: Content
    author: str
    at: datetime


@dataclass(frozen=True)
class Article:
    """An article as it is now: its status and its latest version."""

    status: str
    latest: Version
    created_at: datetime

    @property
    def id(self) -> str:
        return article_id(self.latest.number)

    @property
    def title(self) -> str:
        return self.latest.content.title

    def as_dict(self, *, body: bool = True) -> dict[str, Any]:
        content = self.latest.content
        return {"id": self.id, "status": self.status, "version": self.latest.version,
                "title": content.title, "tags": list(content.tags),
                "items": list(content.items), "author": self.latest.author,
                "updated_at": self.latest.at.isoformat(),
                "created_at": self.created_at.isoformat(),
                **({"body": content.body} if body else {})}


@dataclass(frozen=True)
class Use:
    """A journal event that cited an article: the ticket, when, and the version used."""

    number: int
    version: int
    ticket_id: int
    at: datetime


@dataclass(frozen=True)
class Tally:
    """How often an article solved a ticket in a period."""

    id: str
    title: str
    status: str
    solved: int
    tickets: list[int] = field(default_factory=list)
    versions: dict[int, int] = field(default_factory=dict)
    """Version → how many of the uses cited it."""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status,
                "solved": self.solved, "tickets": self.tickets,
                "versions": {str(v): n for v, n in sorted(self.versions.items())}}


class ContentSpec(BaseModel):
    """The front matter of an article's text."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    tags: list[Text] = []
    items: list[Text] = []


class ArticleStore(Protocol):
    """What the knowledge base needs of a store."""

    def add_article(self, content: Content, author: str, at: datetime,
                    entry: AdminEntry) -> Article:
        """Insert a draft article (numbered here) with its first version, index it and
        journal ``entry`` (whose subject the store fills with the new id), at once."""
        ...

    def add_version(self, number: int, expected: int, content: Content, author: str,
                    at: datetime, status: str, entry: AdminEntry) -> Article:
        """Add version ``expected + 1`` if the latest is ``expected`` (Conflict otherwise),
        set the status, index it and journal ``entry``, at once."""
        ...

    def set_status(self, number: int, expected: int, status: str,
                   entry: AdminEntry) -> Article:
        """Change the status if the latest version is ``expected`` (Conflict otherwise)."""
        ...

    def get_article(self, number: int) -> Article:
        """The article (NotFound when there is none)."""
        ...

    def article_versions(self, number: int) -> list[Version]:
        """Every version of an article, oldest first."""
        ...

    def list_articles(self, *, status: str | None = None, words: tuple[str, ...] = (),
                      limit: int = 100) -> list[Article]:
        """Articles (of a status; with every word, by the search index), newest first."""
        ...

    def article_uses(self, start: datetime, end: datetime) -> list[Use]:
        """The journal's citations of articles in ``[start, end)``."""
        ...

    def admin_entries(self, *, since: datetime | None = None) -> list[AdminEntry]: ...

    def list_items(self) -> list[Item]: ...


def parse_content(text: str, name: str) -> Content:
    """An article's content from Markdown with a YAML front matter; BadRequest naming
    ``name`` and what is wrong."""
    matched = _FRONT.match(text)
    if matched is None:
        raise BadRequest(f"{name}: an article starts with a front matter between '---' lines "
                         "(title:, tags:, items:)")
    data = yamlfile.parse(matched.group(1) or "", name) if matched.group(1) else None
    if not isinstance(data, dict):
        raise BadRequest(f"{name}: the front matter is a mapping with a title:")
    try:
        spec = ContentSpec.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "front matter"
        raise BadRequest(f"{name}: {where}: {problem['msg']}") from None
    body = text[matched.end():].strip("\n") + "\n"
    if not body.strip():
        raise BadRequest(f"{name}: the article has no body after the front matter")
    if len(body) > MAX_BODY or "\x00" in body:
        raise BadRequest(f"{name}: the body is longer than {MAX_BODY} characters or holds a "
                         "NUL character")
    return Content(spec.title, body, tuple(dict.fromkeys(spec.tags)),
                   tuple(dict.fromkeys(spec.items)))


def from_ticket(ticket: Ticket) -> Content:
    """A draft's content from a resolved ticket: its summary, description and resolution."""
    data = ticket.data
    summary = str(data.get("summary") or f"Ticket #{ticket.id}")
    parts = [f"Drafted from ticket #{ticket.id}.", "## Symptom",
             str(data.get("description") or summary), "## Solution",
             str(data.get("resolution") or "(how it was solved)")]
    item = data.get("item")
    return Content(summary[:200], "\n\n".join(parts) + "\n", (),
                   (item,) if isinstance(item, str) and item else ())


def tally(uses: Iterable[Use], articles: dict[int, Article]) -> list[Tally]:
    """The uses per article, most used first (then by number)."""
    by_article: dict[int, list[Use]] = {}
    for use in uses:
        by_article.setdefault(use.number, []).append(use)
    rows = []
    for number, found in by_article.items():
        article = articles.get(number)
        rows.append(Tally(article_id(number), article.title if article else "?",
                          article.status if article else "?", len(found),
                          sorted({u.ticket_id for u in found}),
                          dict(Counter(u.version for u in found))))
    return sorted(rows, key=lambda row: (-row.solved, article_number(row.id)))


class Articles:
    """The knowledge base's service: write, publish, retire, read, cite."""

    def __init__(self, store: ArticleStore, clock: Clock) -> None:
        self.store, self.clock = store, clock

    def add(self, content: Content, actor: Account) -> Article:
        """A new draft article (agents, supervisors, admins)."""
        require_any(actor, WRITERS, "writing articles")
        self._check_items(content)
        now = self.clock.now()
        return self.store.add_article(content, actor.username, now, AdminEntry(
            at=now, actor=actor.username, kind=ADDED, details=_summary(content, 1)))

    def edit(self, ident: str, content: Content, actor: Account,
             expected: int | None = None) -> Article:
        """A new version of an article; a published article becomes a draft again."""
        require_any(actor, WRITERS, "editing articles")
        article = self.get(ident)
        self._check_items(content)
        base = article.latest.version if expected is None else expected
        status = "draft" if article.status == "published" else article.status
        now = self.clock.now()
        return self.store.add_version(
            article.latest.number, base, content, actor.username, now, status,
            AdminEntry(at=now, actor=actor.username, kind=EDITED, subject=article.id,
                       details={**_summary(content, base + 1), "status": status}))

    def _check_items(self, content: Content) -> None:
        """Refuse an article about an item the desk does not have (docs/items.md)."""
        if not content.items:
            return
        known = {item.name for item in self.store.list_items()}
        unknown = [name for name in content.items if name not in known]
        if unknown:
            raise BadRequest(f"no configuration item {unknown[0]!r} (items: "
                             f"{', '.join(content.items)})")

    def publish(self, ident: str, actor: Account) -> Article:
        return self._move(ident, actor, "published", PUBLISHED, ("draft", "retired"))

    def retire(self, ident: str, actor: Account) -> Article:
        return self._move(ident, actor, "retired", RETIRED, ("draft", "published"))

    def _move(self, ident: str, actor: Account, status: str, kind: str,
              sources: tuple[str, ...]) -> Article:
        require_any(actor, PUBLISHERS, f"changing an article to {status}")
        article = self.get(ident)
        if article.status not in sources:
            raise BadRequest(f"{article.id} is {article.status}; only a "
                             f"{' or '.join(sources)} article can be {status}")
        version = article.latest.version
        return self.store.set_status(article.latest.number, version, status, AdminEntry(
            at=self.clock.now(), actor=actor.username, kind=kind, subject=article.id,
            details={"version": version, "title": article.title}))

    def get(self, ident: str) -> Article:
        return self.store.get_article(article_number(ident))

    def versions(self, ident: str) -> list[Version]:
        return self.store.article_versions(article_number(ident))

    def version(self, ident: str, version: int) -> Version:
        for found in self.versions(ident):
            if found.version == version:
                return found
        raise NotFound(f"{ident} has no version {version}")

    def trail(self, ident: str) -> list[AdminEntry]:
        """The admin journal's entries about an article: who added, edited, published and
        retired it, oldest first."""
        name = article_id(article_number(ident))
        self.get(name)
        return [entry for entry in self.store.admin_entries()
                if entry.subject == name and entry.kind.startswith("article_")]

    def find(self, *, status: str | None = None, words: tuple[str, ...] = (),
             limit: int = 100) -> list[Article]:
        if status is not None and status not in STATUSES:
            raise BadRequest(f"status: takes {', '.join(STATUSES)}, not {status!r}")
        return self.store.list_articles(status=status, words=words, limit=limit)

    def usage(self, start: datetime, end: datetime) -> list[Tally]:
        """How often each article solved a ticket in ``[start, end)``, most used first."""
        uses = self.store.article_uses(start, end)
        numbers = {use.number for use in uses}
        articles = {number: self._known(number) for number in numbers}
        return tally(uses, {n: a for n, a in articles.items() if a is not None})

    def _known(self, number: int) -> Article | None:
        try:
            return self.store.get_article(number)
        except NotFound:
            return None


def _summary(content: Content, version: int) -> dict[str, Any]:
    return {"version": version, "title": content.title}


def article_choices(store: ArticleStore) -> list[tuple[str, str]]:
    """(id, title) of every published article, for a form's choice of article."""
    return [(a.id, a.title) for a in store.list_articles(status="published", limit=1000)]

