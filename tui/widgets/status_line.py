"""One line of status text that repaints itself alone (a Static would re-lay the screen out)."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget


class StatusLine(Widget):
    """A single line of text; setting ``text`` repaints only this line."""

    text: reactive[str] = reactive("", layout=False)

    def render(self) -> Content:
        return Content(self.text)  # plain: it quotes what the agent typed
