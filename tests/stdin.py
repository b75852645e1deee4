"""Standard input as a pipe gives it: the lines of a text, one per read, then nothing."""

from __future__ import annotations


class Piped:
    """Stands in for ``sys.stdin`` fed from a pipe (never a terminal)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)

    def readline(self) -> str:
        return self.lines.pop(0) if self.lines else ""

    def read(self, size: int = -1) -> str:
        text, self.lines = "".join(self.lines), []
        return text

    def isatty(self) -> bool:
        return False
