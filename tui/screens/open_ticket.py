"""Opening a ticket: pick a process, fill in its fields (checked as you type), submit."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from tui.screens.base import DeskScreen
from tui.screens.choice import ChoiceScreen
from tui.screens.field_form import FieldFormScreen, FormField, FormResult


def open_ticket(screen: DeskScreen[Any], opened: Callable[[int], None]) -> None:
    """Ask for the process, then its fields; call ``opened`` with the new ticket's id."""
    versions = screen.attempt(screen.desk.versions) or []
    current = {v.name: v for v in versions}
    choices = []
    for name, version in sorted(current.items()):
        compiled = screen.attempt(partial(screen.desk.compiled, version.digest))
        if compiled is not None:
            choices.append((name, f"{compiled.spec.title}  ({name} v{version.number})"))

    def chosen(name: str | None) -> None:
        if name is not None:
            _ask_fields(screen, name, opened)

    screen.app.push_screen(ChoiceScreen("Open a ticket of", choices), chosen)


def _ask_fields(screen: DeskScreen[Any], name: str, opened: Callable[[int], None]) -> None:
    compiled = screen.attempt(lambda: screen.desk.current(name))
    if compiled is None:
        return
    spec = compiled.spec
    first = spec.start_state()
    offered = [n for t in compiled.transitions_from(first) for n in t.accepts]
    names = [n for n, f in spec.fields.items() if f.required] + offered
    fields = [FormField(n, spec.fields[n], spec.fields[n].required) for n in dict.fromkeys(names)]
    draft = screen.session.drafts.setdefault((0, "open:" + name), {})

    def submitted(result: FormResult | None) -> None:
        if result is None:
            return
        ticket = screen.attempt(lambda: screen.desk.open(name, screen.session.account,
                                                         dict(result.values)))
        if ticket is not None:
            screen.session.drafts.pop((0, "open:" + name), None)
            screen.notify(f"#{ticket.id} opened in {ticket.state}", title=spec.title)
            opened(ticket.id)

    screen.app.push_screen(FieldFormScreen(f"New {spec.title}", fields, note=None, draft=draft),
                           submitted)
