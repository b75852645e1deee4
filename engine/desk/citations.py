"""Articles cited by a step: the light half of the knowledge base the desk needs when a
ticket changes (no YAML, no pydantic: see :mod:`engine.desk.articles` for the rest).

A process field of ``type: article`` names an article ``KB-<n>``; when a step gives it a
value, the desk checks here that the article exists and is published, and journals the
article with the version it had (``details.articles``) — so verify and replay re-run the
step from the journal alone, and the knowledge base's statistics read it back
(:func:`uses_of`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from engine.core.errors import BadRequest, MissingField, NotFound
from engine.core.model import Ticket

if TYPE_CHECKING:
    from engine.desk.articles import Article

DETAILS_KEY = "articles"
"""The key of an event's details naming the articles (and versions) the step used."""
_ID = re.compile(r"^KB-([0-9]{1,9})$")


class ArticleLookup(Protocol):
    def get_article(self, number: int) -> Article:
        """The article (NotFound when there is none)."""
        ...


def article_number(text: str) -> int:
    """The number of an article id (``KB-12`` → 12); BadRequest for anything else."""
    matched = _ID.match(text.strip())
    if matched is None:
        raise BadRequest(f"{text!r} is not an article id (KB-<number>)")
    return int(matched.group(1))


def article_id(number: int) -> str:
    return f"KB-{number}"


def cited(store: ArticleLookup, fields: Iterable[str], data: dict[str, Any],
          ticket: Ticket | None) -> dict[str, Any]:
    """The articles the step's ``fields`` (of type article) name, each checked to exist and
    be published, as event details ``{field: {"id": ..., "version": ...}}``; MissingField
    saying which is not (``KB-12 is not published``)."""
    found: dict[str, Any] = {}
    ticket_id, state = (ticket.id, ticket.state) if ticket else (None, None)
    for name in fields:
        value = data.get(name)
        if value in (None, ""):
            continue
        try:
            article = store.get_article(article_number(str(value)))
        except NotFound:
            raise MissingField(f"field {name!r}: {value} does not exist",
                               ticket=ticket_id, state=state) from None
        if article.status != "published":
            raise MissingField(f"field {name!r}: {value} is not published (it is "
                               f"{article.status})", ticket=ticket_id, state=state)
        found[name] = {"id": article.id, "version": article.latest.version}
    return {DETAILS_KEY: found} if found else {}


def uses_of(details: dict[str, Any]) -> list[tuple[int, int]]:
    """(article number, version) of each article an event's details cite."""
    cites = details.get(DETAILS_KEY)
    if not isinstance(cites, dict):
        return []
    return [(article_number(c["id"]), int(c["version"])) for c in cites.values()
            if isinstance(c, dict) and "id" in c and "version" in c]
