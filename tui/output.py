"""Printing for the command line: JSON for scripts, aligned plain text for people."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

import typer


class CheckFailed(Exception):
    """A check ran and failed (exit 1); the message, if any, goes to stderr."""


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


BIDI_MARKS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
"""Bidirectional marks and overrides: shown raw, they reorder the text around them."""
_ESCAPE_BIDI = {mark: f"\\u{mark:04x}" for mark in BIDI_MARKS}


def to_json(data: Any) -> str:
    """Indented JSON; non-ASCII kept as is, except bidirectional marks, written ``\\uXXXX``.

    JSON escapes control characters itself, but not U+202E and its kin, which make a
    terminal showing the output reorder it. Outside strings JSON text is ASCII, so
    escaping them in the text keeps it valid JSON that decodes to the same values.
    """
    return json.dumps(data, indent=2, ensure_ascii=False, default=_default).translate(
        _ESCAPE_BIDI)


def print_json(data: Any) -> None:
    """Print data as indented JSON on stdout (bidirectional marks escaped)."""
    typer.echo(to_json(data))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows as a plain aligned table (control characters made visible)."""
    cells = [[safe(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    typer.echo("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in cells:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def safe(value: Any, limit: int = 80) -> str:
    """A value as one printable line: control characters escaped, long text cut."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.isoformat(timespec="seconds")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"
