"""A search text as a ticket query: words, and ``key:value`` filters that narrow them.

``printer state:handling post:service_desk`` finds the tickets at the service desk in state
handling whose summary, description, fields, comments or requester have the word "printer"
(case ignored); ``print*`` any word starting with "print". The filters:

- ``state:NAME``, ``post:NAME``, ``process:NAME``;
- ``assignee:NAME`` (``assignee:-``: nobody);
- ``requester:TEXT``: the requester's address or name starts with it (case ignored);
- ``open:yes``, ``open:no``, ``open:all`` (``is:open``, ``is:closed``, ``is:all`` too);
- ``kind:ticket``, ``kind:article``: only tickets, only knowledge-base articles. Without it
  the words find both (``ticketflow search``, ``/`` in the app), unless a ticket filter is
  given: articles have words only.

An unknown key is refused (BadRequest naming it), never an empty result. The words are
matched by the store's full-text index (see ``storage.search``); every read goes through
the reading rule (:func:`engine.desk.reading.readable`) like any other list of tickets.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from engine.core.errors import BadRequest
from engine.core.model import TicketQuery

FILTER_KEYS = ("state", "post", "process", "assignee", "requester", "open", "kind")
SEARCH_HELP = ("words, state:NAME post:NAME process:NAME assignee:NAME (- nobody) "
               "requester:TEXT open:yes|no|all kind:ticket|article")
KINDS = ("ticket", "article")
"""The kinds of document a search finds."""
_FILTER = re.compile(r"^([A-Za-z_]+):(.*)$")
_OPEN = {"yes": True, "open": True, "no": False, "closed": False, "all": None}
_TICKET = re.compile(r"^#?(\d+)$")


def search_query(text: str, base: TicketQuery | None = None) -> TicketQuery:
    """The query for a search text, on top of ``base`` (a queue's own filters)."""
    changes: dict[str, Any] = {}
    found: list[str] = []
    for token in text.split():
        matched = _FILTER.match(token)
        if matched is None:
            found.append(token)
            continue
        changes.update(_filter(matched.group(1).lower(), matched.group(2)))
    query = base or TicketQuery(is_open=None)
    return replace(query, **changes, words=tuple(found))


def search_kinds(text: str) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """The kinds of document a search text asks for, the text without its ``kind:``
    filters, and its words (what an article search takes)."""
    kinds: list[str] = []
    rest: list[str] = []
    filtered = False
    for token in text.split():
        matched = _FILTER.match(token)
        if matched is None or matched.group(1).lower() != "kind":
            rest.append(token)
            filtered = filtered or matched is not None
        elif matched.group(2).lower() in KINDS:
            kinds.append(matched.group(2).lower())
        else:
            raise BadRequest(f"kind: takes {' or '.join(KINDS)}, not {matched.group(2)!r}")
    words = tuple(token for token in rest if _FILTER.match(token) is None)
    chosen = tuple(dict.fromkeys(kinds)) or (("ticket",) if filtered else KINDS)
    return chosen, " ".join(rest), words


def ticket_number(text: str) -> int | None:
    """The ticket id a search text names on its own (``#42`` or ``42``), if it does."""
    matched = _TICKET.match(text.strip())
    return int(matched.group(1)) if matched else None


def _filter(key: str, value: str) -> dict[str, Any]:
    if not value:
        raise BadRequest(f"the filter {key}: needs a value ({SEARCH_HELP})")
    if key in ("state", "post", "process"):
        return {key: value}
    if key == "kind":  # which kinds of document: search_kinds reads it
        return {}
    if key == "assignee":
        return ({"assignee": None, "unassigned": True} if value == "-"
                else {"assignee": value, "unassigned": False})
    if key == "requester":
        return {"requester": value.lower()}
    if key in ("open", "is") and value.lower() in _OPEN:
        return {"is_open": _OPEN[value.lower()]}
    if key in ("open", "is"):
        raise BadRequest(f"open: takes yes, no or all, not {value!r}")
    raise BadRequest(f"unknown filter key {key!r}: the keys are "
                     f"{', '.join(k + ':' for k in FILTER_KEYS)}")
