"""The knowledge base in SQL: one row per article (its status and latest version number),
one per version; each change indexes the latest version for search and journals its admin
entry in the same transaction. Edits and status changes are conditional on the latest
version number (Conflict when another change came first)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, insert, select, text, update

from engine.core.admin_journal import AdminEntry
from engine.core.errors import Conflict, NotFound
from engine.desk.articles import Article, Content, Use, Version
from engine.desk.citations import article_id, uses_of
from storage.models import metadata
from storage.rows import Rows
from storage.search import IndexWriter, index_table, matches
from storage.search import words as split_words

ARTICLES, VERSIONS = metadata.tables["articles"], metadata.tables["article_versions"]
EVENTS = metadata.tables["events"]
_CITES = {"sqlite": "json_extract(events.details, '$.articles') IS NOT NULL",
          "postgresql": "(events.details -> 'articles') IS NOT NULL"}


class ArticleRows(Rows):
    """The knowledge-base half of the store (mixed into :class:`storage.store.SqlStore`)."""

    _admin_write: Callable[[Connection, list[AdminEntry]], list[AdminEntry]]

    def add_article(self, content: Content, author: str, at: datetime,
                    entry: AdminEntry) -> Article:
        with self._writing() as connection:
            number = int(connection.execute(insert(ARTICLES).values(
                status="draft", version=1, created_at=at).returning(ARTICLES.c.id)).scalar_one())
            self._write_version(connection, number, 1, content, author, at)
            self._index(connection, number, content, new=True)
            subject = article_id(number)
            self._admin_write(connection, [AdminEntry(
                at=entry.at, actor=entry.actor, kind=entry.kind, subject=subject,
                details=entry.details)])
        return self.get_article(number)

    def add_version(self, number: int, expected: int, content: Content, author: str,
                    at: datetime, status: str, entry: AdminEntry) -> Article:
        with self._writing() as connection:
            self._advance(connection, number, expected, status=status, version=expected + 1)
            self._write_version(connection, number, expected + 1, content, author, at)
            self._index(connection, number, content, new=False)
            self._admin_write(connection, [entry])
        return self.get_article(number)

    def set_status(self, number: int, expected: int, status: str,
                   entry: AdminEntry) -> Article:
        with self._writing() as connection:
            self._advance(connection, number, expected, status=status)
            self._admin_write(connection, [entry])
        return self.get_article(number)

    def get_article(self, number: int) -> Article:
        rows = self._read(_latest().where(ARTICLES.c.id == number))
        if not rows:
            raise NotFound(f"no article {article_id(number)}")
        return _article(rows[0])

    def article_versions(self, number: int) -> list[Version]:
        self.get_article(number)
        return [_version(row) for row in self._read(
            select(VERSIONS).where(VERSIONS.c.article_id == number)
            .order_by(VERSIONS.c.version))]

    def list_articles(self, *, status: str | None = None, words: tuple[str, ...] = (),
                      limit: int = 100) -> list[Article]:
        statement = _latest()
        if status is not None:
            statement = statement.where(ARTICLES.c.status == status)
        tokens = split_words(words)
        if words and not tokens:
            return []
        if tokens:
            dialect = self.engine.dialect.name
            index = index_table("article", dialect)
            key = next(iter(index.c))
            statement = statement.join_from(ARTICLES, index, key == ARTICLES.c.id).where(
                matches("article", tokens, dialect))
        return [_article(row) for row in self._read(
            statement.order_by(ARTICLES.c.id.desc()).limit(limit))]

    def article_uses(self, start: datetime, end: datetime) -> list[Use]:
        cites = text(_CITES[self.engine.dialect.name])
        rows = self._read(select(EVENTS.c.ticket_id, EVENTS.c.at, EVENTS.c.details)
                          .where(EVENTS.c.at >= start, EVENTS.c.at < end, cites)
                          .order_by(EVENTS.c.id))
        return [Use(number, version, row.ticket_id, row.at) for row in rows
                for number, version in uses_of(row.details or {})]

    # -- plumbing ----------------------------------------------------------------------

    @staticmethod
    def _advance(connection: Connection, number: int, expected: int, **values: Any) -> None:
        """Update the article row if its latest version is ``expected``; Conflict else."""
        found = connection.execute(update(ARTICLES).where(
            ARTICLES.c.id == number, ARTICLES.c.version == expected).values(**values))
        if found.rowcount == 1:
            return
        exists = connection.execute(select(ARTICLES.c.id).where(ARTICLES.c.id == number))
        if exists.first() is None:
            raise NotFound(f"no article {article_id(number)}")
        raise Conflict(f"{article_id(number)} changed since version {expected}; read it again")

    @staticmethod
    def _write_version(connection: Connection, number: int, version: int, content: Content,
                       author: str, at: datetime) -> None:
        connection.execute(insert(VERSIONS).values(
            article_id=number, version=version, title=content.title, body=content.body,
            tags=list(content.tags), items=list(content.items), author=author, at=at))

    @staticmethod
    def _index(connection: Connection, number: int, content: Content, *, new: bool) -> None:
        writer = IndexWriter(connection.dialect.name)
        texts = {"title": content.title, "body": content.body,
                 "tags": " ".join(content.tags + content.items)}
        cursor = connection.connection.cursor()
        if new:
            writer.put(cursor, "article", number, texts)
        else:
            writer.change(cursor, "article", number, set_=texts, append={})


def _latest() -> Select[Any]:
    return select(ARTICLES.c.status, ARTICLES.c.created_at, VERSIONS).join_from(
        ARTICLES, VERSIONS, and_(VERSIONS.c.article_id == ARTICLES.c.id,
                                 VERSIONS.c.version == ARTICLES.c.version))


def _version(row: Any) -> Version:
    return Version(row.article_id, row.version,
                   Content(row.title, row.body, tuple(row.tags or ()), tuple(row.items or ())),
                   row.author, row.at)


def _article(row: Any) -> Article:
    return Article(row.status, _version(row), row.created_at)
