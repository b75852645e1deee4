"""Printing for the command line: JSON for scripts, tables (through Rich) for people."""

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
PIPED_WIDTH = 100_000
"""The width a table is laid out in when stdout is not a terminal: rows are never wrapped."""
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
    """Print rows as an aligned table through Rich (control characters made visible).

    On a terminal the table fits its width (long cells wrap) and the header is bold;
    piped, it is plain text, one row a line however wide, no colour codes. Cells are
    :class:`rich.text.Text`, never markup. Rich is imported here, not at the top: the
    ``--json`` paths never pay for it.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, padding=(0, 1), header_style="bold")
    for header in headers:
        table.add_column(Text(header.upper()))
    for row in rows:
        table.add_row(*(Text(safe(cell)) for cell in row))
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = PIPED_WIDTH
    with console.capture() as captured:
        console.print(table)
    for line in captured.get().splitlines():
        typer.echo(line.rstrip())


def safe(value: Any, limit: int = 80) -> str:
    """A value as one printable line: control characters escaped, long text cut."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.isoformat(timespec="seconds")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"
