"""One field of a form, in the widget that fits its type, checked as you type against it
(``process.fields``): a Select for a choice, a Switch for a boolean, a TextArea for long
text, an Input for the rest — timestamps also as ``+2h`` or ``tomorrow 09:00``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch, TextArea

from engine.process.fields import coerce
from engine.process.spec import FieldSpec
from tui.i18n import _
from tui.moments import resolve

Check = Callable[[str], str | None]
"""A further rule on a field's text: the problem, or None when it is fine."""
Reading = Callable[[str], str]
"""Turns what was typed into the text the desk takes (``+2h`` → an ISO timestamp), or
raises ValueError saying why it cannot."""


class FieldValidator(Validator):
    """Accepts what ``fields.coerce`` accepts; empty only when the field is optional."""

    def __init__(self, spec: FieldSpec, required: bool, check: Check | None = None,
                 reading: Reading | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.required = required
        self.check = check
        self.reading = reading

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.failure(_("required")) if self.required else self.success()
        try:
            coerce(self.spec, self.reading(value) if self.reading else value)
        except ValueError as exc:
            return self.failure(str(exc))
        problem = self.check(value) if self.check else None
        return self.failure(problem) if problem else self.success()


def as_text(value: Any) -> str:
    """A field's value as a form shows it: ``true``/``false``, ISO 8601, or its text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def hint(spec: FieldSpec) -> str:
    """What to type: the type, its choices or bounds."""
    if spec.type == "choice":
        return " | ".join(map(str, spec.choices or []))
    if spec.type == "timestamp":
        return _("+2h, tomorrow 09:00, 2026-10-05 09:00 or ISO 8601")
    if spec.type == "boolean":
        return "true | false"
    bounds = [f"≥ {spec.min:g}" if spec.min is not None else "",
              f"≤ {spec.max:g}" if spec.max is not None else ""]
    return " ".join([spec.type, *filter(None, bounds)])


class FieldInput(Vertical):
    """A labelled widget for one field, with its problem (if any) shown under it."""

    @dataclass
    class Edited(Message):
        """The agent changed the field."""

        field_input: FieldInput
        name: str
        value: str
        """What the agent typed (a timestamp as typed: ``+2h``)."""
        valid: bool

    def __init__(self, name: str, spec: FieldSpec, *, required: bool, value: str = "",
                 check: Check | None = None, labels: dict[str, str] | None = None) -> None:
        super().__init__(classes="field-input")
        self.labels = labels or {}
        self.field_name = name
        self.spec = spec
        self.required = required
        self.initial = value
        self.check = check
        self.touched = False
        """For a switch: whether the agent set it (an untouched optional one gives nothing)."""
        reading = self.read_moment if spec.type == "timestamp" else None
        self.validator = FieldValidator(spec, required, check, reading)

    def compose(self) -> ComposeResult:
        title = (self.spec.title or self.field_name) + (" *" if self.required else "")
        yield Label(Content(title), classes="field-label")
        yield self.editor()
        yield Static("", classes="field-problem")

    def editor(self) -> Widget:
        """The widget that fits the field's type."""
        spec, ident = self.spec, f"field-{self.field_name}"
        if spec.type == "choice":
            options = [(Content(self.labels.get(str(c), str(c))), str(c))
                       for c in spec.choices or []]
            known = self.initial in {value for _, value in options}
            return Select(options, value=self.initial if known else Select.NULL, id=ident,
                          allow_blank=True, prompt=_("choose…") if self.required else _("(none)"))
        if spec.type == "boolean":
            return Switch(self.initial.strip().lower() == "true", id=ident)
        if spec.type == "text" and spec.long:
            return TextArea(self.initial, id=ident, classes="field-long", soft_wrap=True)
        return Input(self.initial, placeholder=hint(spec), id=ident, validators=[self.validator],
                     valid_empty=not self.required)

    def on_mount(self) -> None:
        if self.initial:
            self._show(self.validator.validate(self.initial))

    @property
    def typed(self) -> str:
        """What the field holds as the agent entered it."""
        widget: Any = self.query_one(f"#field-{self.field_name}")
        if isinstance(widget, Select):
            return "" if widget.value is Select.NULL else str(widget.value)
        if isinstance(widget, Switch):
            return str(widget.value).lower() if self.touched or self.initial else ""
        return str(widget.text if isinstance(widget, TextArea) else widget.value)

    @property
    def value(self) -> str:
        """The field's text for the desk (a relative timestamp resolved to ISO 8601)."""
        typed = self.typed
        if self.validator.reading and typed.strip() and self.valid:
            return self.validator.reading(typed)
        return typed

    @property
    def valid(self) -> bool:
        return self.validator.validate(self.typed).is_valid

    def show_problem(self) -> None:
        """Say what is wrong with the field now (a select never chosen says nothing before)."""
        self._show(self.validator.validate(self.typed))

    def focus_field(self) -> None:
        self.query_one(f"#field-{self.field_name}").focus()

    def read_moment(self, text: str) -> str:
        """A typed timestamp (``+2h``, ``tomorrow 09:00``, ISO) as ISO 8601, as of now."""
        session = getattr(self.app, "session", None)
        if session is None:
            return text
        return resolve(text, session.now(), session.zone).isoformat()

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    def edited(self, event: Message) -> None:
        event.stop()
        self.touched = self.touched or isinstance(event, Switch.Changed)
        typed = self.typed
        result = self.validator.validate(typed)
        self._show(result)
        self.post_message(self.Edited(self, self.field_name, typed, result.is_valid))

    def _show(self, result: ValidationResult) -> None:
        problem = "" if result.is_valid else "; ".join(result.failure_descriptions)
        self.query_one(".field-problem", Static).update(Content(problem or self.meaning()))
        self.set_class(bool(problem), "invalid")

    def meaning(self) -> str:
        """For a timestamp typed relatively: the moment it names."""
        typed = self.typed.strip()
        if self.validator.reading is None or not typed or typed == self.value:
            return ""
        return f"= {self.value}"
