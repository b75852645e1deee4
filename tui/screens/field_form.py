"""A dialog asking for a step's fields (and a note), each checked as you type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static, TextArea

from engine.process.spec import FieldSpec
from tui.i18n import _
from tui.widgets.field_input import Check, FieldInput

NOTE = "_note"
"""The draft key of the note."""


@dataclass(frozen=True)
class FormField:
    """A field the dialog asks for."""

    name: str
    spec: FieldSpec
    required: bool
    check: Check | None = None
    """A further rule beyond the field's type (a password rule, a known post)."""
    current: str = ""
    """The field's current value as text, filled in when there is no draft."""
    labels: dict[str, str] | None = None
    """For a choice: how each choice is shown (an article's id with its title)."""


@dataclass(frozen=True)
class FormResult:
    """What the agent submitted: field texts (empty ones left out) and the note."""

    values: dict[str, str]
    note: str


class FieldFormScreen(ModalScreen[FormResult | None]):
    """Fields and a note; Ctrl+S submits once every field is valid, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel")), Binding("ctrl+s", "submit", _("Submit"))]

    def __init__(self, title: str, fields: list[FormField], *,
                 note: Literal["required", "optional"] | None = "optional",
                 draft: dict[str, str] | None = None, explain: str = "") -> None:
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.note = note
        self.draft = draft if draft is not None else {}
        self.explain = explain

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box"):
            yield Static(Content(self.form_title), id="form-title")
            if self.explain:
                yield Static(Content(self.explain), id="form-explain")
            with VerticalScroll(id="form-fields"):
                for field in self.fields:
                    yield FieldInput(field.name, field.spec, required=field.required,
                                     value=self.draft.get(field.name, field.current),
                                     check=field.check, labels=field.labels)
                if self.note:
                    yield Label(_("Note") + (" *" if self.note == "required" else ""),
                                classes="field-label")
                    yield TextArea(self.draft.get(NOTE, ""), id="form-note")
            with Horizontal(id="form-buttons"):
                yield Button(_("Submit") + "  ^s", variant="primary", id="form-submit")
                yield Button(_("Cancel") + "  esc", id="form-cancel")
        yield Footer()  # this dialog's keys, not those of the screen under it

    def on_mount(self) -> None:
        self.focus_next()

    @on(FieldInput.Edited)
    def keep_draft(self, event: FieldInput.Edited) -> None:
        self.draft[event.name] = event.value

    @on(TextArea.Changed, "#form-note")
    def keep_note(self, event: TextArea.Changed) -> None:
        self.draft[NOTE] = event.text_area.text

    @on(Input.Submitted)
    def next_or_submit(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1] and not self.note:
            self.action_submit()
        else:
            self.focus_next()

    @on(Button.Pressed, "#form-submit")
    def action_submit(self) -> None:
        invalid = [f for f in self.query(FieldInput) if not f.valid]
        note = self.query_one("#form-note", TextArea).text if self.note else ""
        if invalid:
            for field in invalid:
                field.show_problem()
            invalid[0].focus_field()
            self.notify(_("{fields}: fix before submitting").format(
                fields=", ".join(f.field_name for f in invalid)),
                title=_("Invalid fields"), severity="warning", markup=False)
        elif self.note == "required" and not note.strip():
            self.query_one("#form-note", TextArea).focus()
            self.notify(_("a note is required"), title=_("Note"), severity="warning")
        else:
            values = {f.field_name: f.value for f in self.query(FieldInput) if f.value.strip()}
            self.dismiss(FormResult(values, note.strip()))

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
