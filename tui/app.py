"""The Textual app: wires the workspace, the login, the home screen and the desk watch."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import ClassVar

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.screens.base import DeskScreen
from tui.screens.login import DemoLogin, LoginScreen
from tui.screens.queues import QueueScreen
from tui.screens.session import Session
from tui.watch import DeskWatch
from tui.wiring import Workspace


class TicketflowApp(App[None]):
    """ticketflow's terminal app for agents, supervisors, admins and auditors."""

    CSS_PATH = "app.tcss"
    TITLE = "ticketflow"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", "Quit", show=False)]

    def __init__(self, workspace: Workspace, *, demo: list[DemoLogin] | None = None,
                 zone: tzinfo | None = None, poll_seconds: float = 2.0,
                 fire_timers: bool = False) -> None:
        super().__init__()
        self.workspace = workspace
        self.demo = demo
        self.zone = zone
        self.poll_seconds = poll_seconds
        self.fire_timers = fire_timers
        self.session: Session | None = None
        self.desk_watch: DeskWatch | None = None

    def on_mount(self) -> None:
        self.push_screen(LoginScreen(self.workspace, self.demo))
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self.poll_desk)

    @on(LoginScreen.LoggedIn)
    def start_session(self, event: LoginScreen.LoggedIn) -> None:
        self.session = Session(self.workspace, event.account, zone=self.zone)
        self.desk_watch = DeskWatch(self.session, fire_timers=self.fire_timers)
        self.switch_screen(QueueScreen())

    def action_logout(self) -> None:
        """Back to the login screen; the session is forgotten."""
        self.session, self.desk_watch = None, None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(LoginScreen(self.workspace, self.demo))

    def poll_desk(self) -> None:
        """Reload the screens when someone else changed tickets; show the post's notices."""
        if self.desk_watch is None:
            return
        report = self.desk_watch.poll()
        for notice in report.notices:
            self.notify(notice.message, title=notice.title, severity=notice.severity,
                        timeout=10, markup=False)  # the message quotes ticket data
        if report.changed:
            for screen in self.screen_stack:
                if isinstance(screen, DeskScreen):
                    screen.desk_changed()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette: the current screen's commands first, then the app's."""
        if isinstance(screen, DeskScreen):
            yield from screen.palette_commands()
        yield from super().get_system_commands(screen)
