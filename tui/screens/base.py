"""What every ticketflow screen shares: the session, refusals as notifications, help and back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, ClassVar, Generic, TypeVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen

from engine.core.errors import SpecError, TicketflowError
from engine.desk.desk import Desk
from tui.i18n import _
from tui.screens.help import HelpScreen
from tui.screens.session import Session

T = TypeVar("T")
ResultT = TypeVar("ResultT")


class DeskView:
    """Access to the session and a safe way to call the desk, for screens and modals."""

    app: Any

    @property
    def session(self) -> Session:
        """The logged-in session (set by the login screen before any desk screen opens)."""
        session = self.app.session
        if not isinstance(session, Session):
            raise RuntimeError("no one is logged in")
        return session

    @property
    def desk(self) -> Desk:
        return self.session.workspace.desk

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """A notification, as plain text: messages quote ticket data, never markup."""
        self.app.notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def attempt(self, action: Callable[[], T]) -> T | None:
        """Run a request; a refusal (or any failure) becomes a notification, never a traceback."""
        try:
            return action()
        except TicketflowError as exc:
            self.report(exc)
        except Exception as exc:  # a bug must not tear the agent's screen down
            self.app.log.error(repr(exc))
            self.notify(f"{type(exc).__name__}: {exc}", title="Unexpected error",
                        severity="error", timeout=10)
        return None

    def report(self, error: TicketflowError) -> None:
        """Show a refusal as the person needs it: its title and message."""
        if isinstance(error, SpecError):
            message = "\n".join(str(p) for p in error.problems[:5])
        else:
            message = str(error)
        self.notify(message, title=error.title, severity="error", timeout=8)


class DeskScreen(DeskView, Screen[ResultT], Generic[ResultT]):
    """A full screen of the app: Esc goes back, ? shows its keys, the palette lists them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back")),
        Binding("question_mark", "help", _("Help"), key_display="?"),
    ]

    def action_back(self) -> None:
        """Leave this screen for the one below it (the first screen stays)."""
        if len(self.app.screen_stack) > 2:
            self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc shows only where there is a screen to go back to."""
        if action == "back":
            return len(self.app.screen_stack) > 2
        return True

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def describe(self, binding: Binding) -> str:
        """What a key does, as help and the palette say it (a screen may say it better)."""
        return binding.description

    def palette_commands(self) -> Iterator[SystemCommand]:
        """This screen's key commands, for the command palette."""
        seen = set()
        for key, active in self.active_bindings.items():
            binding = active.binding
            if active.node not in (self, self.app) or binding.action in seen:
                continue
            if not binding.description or not active.enabled:
                continue
            seen.add(binding.action)
            yield SystemCommand(self.describe(binding), f"key: {binding.key_display or key}",
                                partial(self.app.run_action, binding.action, active.node))

    def desk_changed(self) -> None:
        """Someone changed tickets: reload what this screen shows (override to act)."""

    def tickets_changed(self, tickets: frozenset[int]) -> None:
        """These tickets changed (empty: some did, which is unknown): reload what this
        screen shows (override to skip changes it does not show)."""
        self.desk_changed()


class DeskModal(DeskView, ModalScreen[ResultT], Generic[ResultT]):
    """A dialog over a screen; Esc cancels it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)
