"""Mail templates: one Jinja2 file per kind of message, which a desk may override.

A template's first line is ``Subject: ...``, then a blank line, then the plain-text body.
Templates run in Jinja2's sandbox: a desk's template can read the values it is given, never
call into Python. A desk folder (``templates`` in the settings) is searched first, then the
built-in templates beside this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from engine.core.errors import BadRequest

BUILT_IN = Path(__file__).resolve().parent / "templates"
KINDS = ("received", "reply", "confirm", "sla_warning", "sla_breach", "escalation",
         "problem_closed", "notification")
"""Every kind of message, one template file each (``<kind>.txt``)."""


@dataclass(frozen=True)
class Letter:
    """A rendered message: its subject and body."""

    subject: str
    body: str


class Letters:
    """Renders messages from the templates (a desk's folder first, then the built-in)."""

    def __init__(self, folder: str | Path | None = None) -> None:
        loaders = [FileSystemLoader(str(folder))] if folder else []
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader([*loaders, FileSystemLoader(str(BUILT_IN))]),
            autoescape=False, keep_trailing_newline=True,
            trim_blocks=True)

    def render(self, kind: str, values: dict[str, Any]) -> Letter:
        """The message of a kind; BadRequest naming the template when it is wrong."""
        name = f"{kind}.txt" if kind in KINDS else "notification.txt"
        try:
            text = self.env.get_template(name).render(**values)
        except TemplateError as exc:
            raise BadRequest(f"mail template {name}: {exc}") from None
        head, _, body = text.partition("\n\n")
        if not head.startswith("Subject:"):
            raise BadRequest(f"mail template {name}: the first line must be 'Subject: ...'")
        subject = " ".join(head.removeprefix("Subject:").split())
        return Letter(subject=subject, body=body.strip("\n") + "\n")

    def check(self) -> list[str]:
        """Every template that does not compile, with why (a desk's override, say)."""
        problems = []
        for kind in KINDS:
            try:
                self.env.get_template(f"{kind}.txt")
            except TemplateError as exc:
                problems.append(f"{kind}.txt: {exc}")
        return problems
