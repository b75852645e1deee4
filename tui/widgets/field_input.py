"""One field of a form, checked as you type against its declared type (``process.fields``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Static

from engine.process.fields import coerce
from engine.process.spec import FieldSpec

Check = Callable[[str], str | None]
"""A further rule on a field's text: the problem, or None when it is fine."""


class FieldValidator(Validator):
    """Accepts what ``fields.coerce`` accepts; empty only when the field is optional."""

    def __init__(self, spec: FieldSpec, required: bool, check: Check | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.required = required
        self.check = check

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.failure("required") if self.required else self.success()
        try:
            coerce(self.spec, value)
        except ValueError as exc:
            return self.failure(str(exc))
        problem = self.check(value) if self.check else None
        return self.failure(problem) if problem else self.success()


def hint(spec: FieldSpec) -> str:
    """What to type: the type, its choices or bounds."""
    if spec.type == "choice":
        return " | ".join(map(str, spec.choices or []))
    if spec.type == "timestamp":
        return "2026-10-05T09:00:00+08:00"
    if spec.type == "boolean":
        return "true | false"
    bounds = [f"≥ {spec.min:g}" if spec.min is not None else "",
              f"≤ {spec.max:g}" if spec.max is not None else ""]
    return " ".join([spec.type, *filter(None, bounds)])


class FieldInput(Vertical):
    """A labelled input for one field, with its problem (if any) shown under it."""

    @dataclass
    class Edited(Message):
        """The agent changed the field's text."""

        field_input: FieldInput
        name: str
        value: str
        valid: bool

    def __init__(self, name: str, spec: FieldSpec, *, required: bool, value: str = "",
                 check: Check | None = None) -> None:
        super().__init__(classes="field-input")
        self.field_name = name
        self.spec = spec
        self.required = required
        self.initial = value
        self.check = check

    def compose(self) -> ComposeResult:
        title = (self.spec.title or self.field_name) + (" *" if self.required else "")
        yield Label(Content(title), classes="field-label")
        choices = [str(c) for c in self.spec.choices or []] or (
            ["true", "false"] if self.spec.type == "boolean" else [])
        yield Input(self.initial, placeholder=hint(self.spec), id=f"field-{self.field_name}",
                    validators=[FieldValidator(self.spec, self.required, self.check)],
                    suggester=SuggestFromList(choices) if choices else None,
                    valid_empty=not self.required)
        yield Static("", classes="field-problem")

    def on_mount(self) -> None:
        if self.initial:
            self._show(self.query_one(Input).validate(self.initial))

    @property
    def value(self) -> str:
        return self.query_one(Input).value

    @property
    def valid(self) -> bool:
        result = self.query_one(Input).validate(self.value)
        return result is None or result.is_valid

    @on(Input.Changed)
    def edited(self, event: Input.Changed) -> None:
        event.stop()
        self._show(event.validation_result)
        valid = event.validation_result is None or event.validation_result.is_valid
        self.post_message(self.Edited(self, self.field_name, event.value, valid))

    def _show(self, result: ValidationResult | None) -> None:
        problem = "" if result is None or result.is_valid else "; ".join(
            result.failure_descriptions)
        self.query_one(".field-problem", Static).update(Content(problem))
        self.set_class(bool(problem), "invalid")
