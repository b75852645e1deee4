"""Alembic migrations of ticketflow's schema (env.py, script.py.mako, versions/)."""

from __future__ import annotations

import re
from pathlib import Path

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
