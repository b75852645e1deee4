"""The full-text search index: one table per kind of document, kept in the transaction
that changes the document.

A document is a kind (``ticket``, ``article``), an integer id
and a few text columns (:data:`KINDS`). On SQLite the table is an FTS5 virtual table whose
rowid is the document's id; on PostgreSQL it is a plain table (``id`` primary key, the text
columns) with a generated ``tsvector`` column under a GIN index. Both are outside the
SQLModel metadata (Alembic's autogenerate skips them: :func:`is_index_table`).

Words are matched whole (``printer`` finds "Printer", not "printers"), all of them (AND); a
word ending in ``*`` is a prefix (``print*``). Whole words stay fast over a million
documents (under a millisecond for the first page in FTS5, which streams the rowids in
order); a prefix needs the documents of every word it starts, gathered first — fast for two
or three letters (FTS5 keeps prefix indexes of those) or rare words, ~0.1 s for a word that
a million documents hold. Tokens are
runs of letters and digits (:func:`words`), the way both FTS5's ``unicode61`` tokenizer and
PostgreSQL's ``simple`` configuration split text; a run of Chinese characters with no
space in it is one token, so it is found by its beginning only.

For a ticket: ``fields`` are the values of its data (summary, description, every field),
``notes`` the notes of its journal events (comments among them, appended as they come)
and ``requester`` the name, address and organisation of the person it is for. For an
article (``KB-<id>``, the document's id is the article's number): its latest version's
``title``, ``body`` and ``tags`` (with its items), replaced by each edit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, TableClause, column, literal_column, table, text

KINDS: dict[str, tuple[str, ...]] = {"ticket": ("fields", "notes", "requester"),
                                     "article": ("title", "body", "tags")}
"""Every kind of document with its text columns (a new kind needs a migration calling
:func:`create_index`)."""
_TOKEN = re.compile(r"[^\W_]+")
_PREFIXES = "2 3"
"""FTS5 prefix indexes: two- and three-letter prefixes are looked up, not scanned."""


def index_name(kind: str) -> str:
    """The table holding a kind's documents: ``search_ticket``."""
    if kind not in KINDS:
        raise ValueError(f"no search index for {kind!r}")
    return f"search_{kind}"


def is_index_table(name: str) -> bool:
    """Whether a table belongs to a search index (FTS5 adds ``_data``, ``_idx``, … tables)."""
    return any(name == f"search_{kind}" or name.startswith(f"search_{kind}_") for kind in KINDS)


def words(terms: Iterable[str]) -> list[tuple[str, bool]]:
    """The tokens of search terms, lower-cased, without repeats, each with whether it is a
    prefix (the last token of a term ending in ``*``)."""
    found: dict[str, bool] = {}
    for term in terms:
        tokens = [token.lower() for token in _TOKEN.findall(term)]
        for number, token in enumerate(tokens, 1):
            prefix = number == len(tokens) and term.endswith("*")
            found[token] = found.get(token, False) or prefix
    return list(found.items())


def document_text(values: Iterable[Any]) -> str:
    """The searchable text of some values: strings as they are, the rest as JSON."""
    return " ".join(value if isinstance(value, str) else json.dumps(value, default=str,
                                                                    ensure_ascii=False)
                    for value in values if value is not None and value != "")


# -- the schema (used by migrations) ---------------------------------------------------

def create_index(connection: Connection, kind: str) -> None:
    """Create a kind's index table (empty)."""
    name, columns = index_name(kind), KINDS[kind]
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {name} USING fts5({', '.join(columns)}, "
            f"prefix='{_PREFIXES}', tokenize='unicode61 remove_diacritics 2')")
        return
    # the generated column splits as words() does: PostgreSQL's parser keeps addresses,
    # paths and hyphenated words whole, which a prefix of their second part would not find
    texts = ", ".join(f"{c} TEXT NOT NULL DEFAULT ''" for c in columns)
    joined = " || ' ' || ".join(columns)
    connection.exec_driver_sql(
        f"CREATE TABLE {name} (id BIGINT PRIMARY KEY, {texts}, document tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('simple', regexp_replace({joined}, "
        f"'[^[:alnum:]]+', ' ', 'g'))) STORED)")
    connection.exec_driver_sql(f"CREATE INDEX ix_{name}_document ON {name} "
                               "USING GIN (document)")


def drop_index(connection: Connection, kind: str) -> None:
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {index_name(kind)}")


def rebuild_tickets(connection: Connection) -> None:
    """Fill the ticket index from the tickets, their journals and requesters (a back-fill
    after the migration, and after a restore)."""
    name = index_name("ticket")
    connection.exec_driver_sql(f"DELETE FROM {name}")
    sqlite = connection.dialect.name == "sqlite"
    fields = ("(SELECT group_concat(value, ' ') FROM json_each(t.data))" if sqlite else
              "(SELECT string_agg(value, ' ') FROM json_each_text(t.data::json))")
    notes = ("(SELECT group_concat(note, ' ') FROM events e WHERE e.ticket_id = t.id)"
             if sqlite else
             "(SELECT string_agg(note, ' ' ORDER BY seq) FROM events e "
             "WHERE e.ticket_id = t.id)")
    requester = ("(SELECT r.name || ' ' || r.email || ' ' || coalesce(r.organisation, '') "
                 "FROM ticket_requesters l JOIN requesters r ON r.id = l.requester_id "
                 "WHERE l.ticket_id = t.id)")
    key = "rowid" if sqlite else "id"
    connection.exec_driver_sql(
        f"INSERT INTO {name} ({key}, fields, notes, requester) SELECT t.id, "
        f"coalesce({fields}, ''), coalesce({notes}, ''), coalesce({requester}, '') "
        "FROM tickets t")


def rebuild_articles(connection: Connection) -> None:
    """Fill the article index from every article's latest version (after a restore)."""
    name = index_name("article")
    connection.exec_driver_sql(f"DELETE FROM {name}")
    sqlite = connection.dialect.name == "sqlite"
    words = ("(SELECT group_concat(value, ' ') FROM json_each({}))" if sqlite else
             "(SELECT string_agg(value, ' ') FROM json_array_elements_text({}::json))")
    tags = " || ' ' || ".join(f"coalesce({words.format(c)}, '')" for c in ("v.tags", "v.items"))
    connection.exec_driver_sql(
        f"INSERT INTO {name} ({'rowid' if sqlite else 'id'}, title, body, tags) "
        f"SELECT a.id, v.title, v.body, {tags} FROM articles a JOIN article_versions v "
        "ON v.article_id = a.id AND v.version = a.version")


# -- writing, on a driver cursor inside the caller's transaction --------------------------

class IndexWriter:
    """The index's writes as SQL for one dialect, run on a DB-API cursor."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        self.key = "rowid" if self.sqlite else "id"

    def put(self, cursor: Any, kind: str, doc_id: int, texts: Mapping[str, str]) -> None:
        """Add a document (a new id)."""
        names = list(texts)
        marks = ", ".join(self.mark for _ in range(len(names) + 1))
        cursor.execute(f"INSERT INTO {index_name(kind)} ({self.key}, {', '.join(names)}) "
                       f"VALUES ({marks})", (doc_id, *texts.values()))

    def change(self, cursor: Any, kind: str, doc_id: int, *, set_: Mapping[str, str],
               append: Mapping[str, str]) -> None:
        """Replace some of a document's columns and append text to others."""
        parts = [f"{name} = {self.mark}" for name in set_] + [
            f"{name} = {name} || ' ' || {self.mark}" for name in append]
        if parts:
            cursor.execute(f"UPDATE {index_name(kind)} SET {', '.join(parts)} "
                           f"WHERE {self.key} = {self.mark}",
                           (*set_.values(), *append.values(), doc_id))

    def change_many(self, cursor: Any, kind: str, where: str, params: tuple[Any, ...],
                    column_name: str, value: str) -> None:
        """Set one column of the documents whose id a subquery (``where``) selects."""
        cursor.execute(f"UPDATE {index_name(kind)} SET {column_name} = {self.mark} "
                       f"WHERE {self.key} IN ({where})", (value, *params))


# -- reading ---------------------------------------------------------------------------

def index_table(kind: str, dialect: str) -> TableClause:
    """The index as a SQLAlchemy table, for joins: its one column is the document id."""
    return table(index_name(kind), column("rowid" if dialect == "sqlite" else "id"))


def matches(kind: str, tokens: list[tuple[str, bool]], dialect: str) -> ColumnElement[bool]:
    """The condition: a document of the index has every word (:func:`words`)."""
    name = index_name(kind)
    if dialect == "sqlite":  # tokens are letters and digits: nothing to escape
        expression = " ".join(f'"{word}"' + ("*" if prefix else "") for word, prefix in tokens)
        return literal_column(name).op("MATCH")(expression).self_group()
    expression = " & ".join(word + (":*" if prefix else "") for word, prefix in tokens)
    return text(f"{name}.document @@ to_tsquery('simple', :search_words)").bindparams(
        search_words=expression)  # type: ignore[return-value]
