"""A YAML editor: TextArea with line-local YAML highlighting and each problem marked at its line.

Textual highlights through tree-sitter, which this installation does not ship; process files
are plain block YAML, so keys, strings, numbers, booleans, comments and ``= expressions``
are recognised line by line — fast, and never confused by a half-typed line.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text
from textual.widgets import TextArea
from textual.widgets.text_area import TextAreaTheme

KEY = re.compile(r"(?:^\s*(?:-\s+)?|[{,]\s*)([A-Za-z_][\w.-]*|\"[^\"]*\"|'[^']*')(\s*:)(?=\s|$)")
STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"?|'(?:[^']|'')*'?")
SCALAR = re.compile(r"(?<![\w.-])(true|false|null|-?\d+(?:\.\d+)?)(?![\w.-])")
EXPRESSION = re.compile(r"(?:(?<=:\s)|(?<=-\s))[\"']?=\s[^\"'#]*[\"']?")
ERROR = Style(underline=True, bgcolor="#5f0000")


def comment_start(line: str) -> int | None:
    """Where a ``#`` comment starts (outside quotes), if the line has one."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return index
    return None


def highlight(text: Text, styles: dict[str, Style]) -> None:
    """Style one YAML line in place."""
    line = text.plain
    end = comment_start(line)
    code = line[:end] if end is not None else line
    for pattern, name in ((SCALAR, "number"), (STRING, "string"), (EXPRESSION, "keyword")):
        for match in pattern.finditer(code):
            style = styles.get("boolean" if match.group(0) in ("true", "false", "null")
                               else name)
            if style:
                text.stylize(style, match.start(), match.end())
    key_style = styles.get("yaml.field")
    for match in KEY.finditer(code):
        if key_style:
            text.stylize(key_style, match.start(1), match.end(1))
    if end is not None and (comment := styles.get("comment")):
        text.stylize(comment, end)


class YamlEditor(TextArea):
    """Edits YAML; ``mark`` underlines the lines that have problems."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, show_line_numbers=True, tab_behavior="indent",
                         soft_wrap=False)
        self.indent_type = "spaces"
        self.indent_width = 2
        self.problems: dict[int, str] = {}

    def get_line(self, line_index: int) -> Text:
        text = super().get_line(line_index)
        theme = TextAreaTheme.get_builtin_theme(self.theme)
        highlight(text, theme.syntax_styles if theme else {})
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
