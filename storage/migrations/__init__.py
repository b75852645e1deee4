"""Alembic migrations of ticketflow's schema (env.py, script.py.mako, versions/)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

VERSIONS = Path(__file__).resolve().parent / "versions"
_NAMED = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


def head() -> str | None:
    """The newest revision: the one no other revises (read without importing Alembic).

    Opening a database already at head then costs one query; a test checks this against
    Alembic's own answer.
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in VERSIONS.glob("*.py"):
        for kind, name in _NAMED.findall(script.read_text(encoding="utf-8")):
            (revised if kind == "down_revision" else revisions).add(name)
    newest = revisions - revised
    return newest.pop() if len(newest) == 1 else None


def include_name(name: str | None, kind: str, parents: Mapping[Any, str | None]) -> bool:
    """What Alembic compares with the models: everything but the search index tables,
    which :mod:`storage.search` creates by hand (FTS5 on SQLite)."""
    from storage.search import is_index_table

    return not (kind == "table" and name is not None and is_index_table(name))
