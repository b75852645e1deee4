"""What changed between two texts (process versions), as a coloured unified diff."""

from __future__ import annotations

import difflib

from rich.text import Text
from textual.widgets import Static

STYLES = {"+": "green", "-": "red", "@": "cyan"}


def diff_text(before: str, after: str, before_name: str, after_name: str) -> Text:
    """A unified diff of two texts, added lines green, removed lines red."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), before_name,
                                 after_name, lineterm="")
    text = Text()
    for line in lines:
        style = "bold" if line.startswith(("+++", "---")) else STYLES.get(line[:1], "")
        text.append(line + "\n", style=style)
    return text if text.plain else Text("no differences", style="dim")


class DiffView(Static):
    """Shows the diff between two texts."""

    def show(self, before: str, after: str, before_name: str, after_name: str) -> None:
        self.border_title = f"{before_name} → {after_name}"
        self.update(diff_text(before, after, before_name, after_name))
