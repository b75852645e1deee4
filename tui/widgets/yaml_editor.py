"""A YAML editor: Textual's TextArea highlighting YAML through tree-sitter (the
tree-sitter-yaml grammar), each problem marked at its line, with search and go-to-line."""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text
from textual.widgets import TextArea

ERROR = Style(underline=True, bgcolor="#5f0000")
LINE = re.compile(r"^\s*(\d+)\s*(?::\s*(\d+)\s*)?$")
"""A place to go to: ``LINE`` or ``LINE:COLUMN``, both counted from 1."""


class YamlEditor(TextArea):
    """Edits YAML; ``mark`` underlines the lines that have problems."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, language="yaml", show_line_numbers=True,
                         tab_behavior="indent", soft_wrap=False)
        self.indent_type = "spaces"
        self.indent_width = 2
        self.problems: dict[int, str] = {}

    def get_line(self, line_index: int) -> Text:
        text = super().get_line(line_index)
        if line_index in self.problems:
            text.stylize(ERROR)
        return text

    def mark(self, problems: dict[int, str]) -> None:
        """Mark these 0-based lines as having these problems."""
        if problems != self.problems:
            self.problems = problems
            self.notify_style_update()
            self.refresh()

    @property
    def problem_here(self) -> str | None:
        """The problem on the cursor's line, if any."""
        return self.problems.get(self.cursor_location[0])

    def find(self, needle: str) -> bool:
        """Select the next occurrence of ``needle`` after the cursor (ignoring case), going
        round to the top; False when the text has none."""
        if not needle:
            return False
        lines = self.text.splitlines()
        row, column = self.cursor_location
        wanted = needle.lower()
        following = [(index % len(lines), 0) for index in range(row + 1, row + 1 + len(lines))]
        for line, start in [(row, column), *following]:
            found = lines[line].lower().find(wanted, start)
            if found >= 0:
                self.move_cursor((line, found))
                self.move_cursor((line, found + len(needle)), select=True, center=True)
                return True
        return False

    def go_to(self, place: str) -> bool:
        """Move the cursor to ``LINE`` or ``LINE:COLUMN``; False when that is not a place."""
        match = LINE.match(place)
        if match is None:
            return False
        line = min(max(int(match[1]), 1), self.document.line_count) - 1
        column = max(int(match[2] or 1), 1) - 1
        self.move_cursor((line, min(column, len(self.document.get_line(line)))), center=True)
        return True
