"""A ticket's journal as a timeline: who did what, when, and what it changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import Static

from engine.core.journal import Event
from tui.output import safe
from tui.widgets.ticket_card import shown

KIND_MARKS = {"open": "◆", "fire": "●", "timer": "◷", "event": "✎", "assign": "⇄",
              "migrate": "⇪"}


def describe_changes(changes: dict[str, list[Any]]) -> list[str]:
    """``field: before → after`` for each change (``_post`` shows as ``post``)."""
    return [f"{name.lstrip('_')}: {shown(before, 60)} → {shown(after, 60)}"
            for name, (before, after) in changes.items()]


def note_lines(note: str, limit: int = 500) -> list[str]:
    """A note's own lines, each printable (control characters escaped), cut at ``limit``
    characters in all: a multi-line comment reads as lines, never as a literal ``\\n``."""
    lines: list[str] = []
    left = limit
    for line in note.splitlines() or [""]:
        if left <= 0:
            lines[-1] = lines[-1].rstrip("…") + "…"
            break
        lines.append(safe(line, left))
        left -= len(line) + 1
    return lines


def event_line(event: Event) -> str:
    """The headline of an event: what happened and where the ticket went."""
    if event.kind == "open":
        return f"opened in {event.dest}"
    what = event.trigger or event.kind
    moved = f"  {event.source} → {event.dest}" if event.source != event.dest else ""
    step = event.details.get("branch"), event.details.get("step")
    if isinstance(step[1], list) and len(step[1]) == 2:  # a step in a parallel branch
        what += f"  [{step[0]}: {step[1][0]} → {step[1][1]}]"
    return f"{what}{moved}"


def timeline(events: list[Event], local: Callable[[datetime | None], str]) -> Text:
    """The whole journal, oldest first."""
    text = Text()
    for index, event in enumerate(events):
        mark = KIND_MARKS.get(event.kind, "●")
        text.append(f"{mark} ", style="bold cyan")
        text.append(f"{local(event.at)}  ", style="dim")
        text.append(f"{event.actor}  ", style="bold")
        text.append(event_line(event) + "\n")
        bar = "│   " if index < len(events) - 1 else "    "
        for line in describe_changes(event.changes):
            text.append(bar + line + "\n", style="dim")
        if event.note:
            quoted = note_lines(event.note)
            quoted[0], quoted[-1] = "“" + quoted[0], quoted[-1] + "”"
            text.append("".join(f"{bar}{line}\n" for line in quoted), style="italic")
    return text


class Timeline(Static):
    """Shows a journal; the screen hands it the events."""

    def show(self, events: list[Event], local: Callable[[datetime | None], str]) -> str:
        """Show the journal; the title for the pane that holds it."""
        self.update(timeline(events, local))
        return f"Journal · {len(events)} events"
