"""The Textual app: wires the workspace, the login, the home screen and the desk watch."""

from __future__ import annotations

import os
import sys
import termios
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import tzinfo
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from tui.keys import OneKeyAtATime
from tui.screens.base import DeskScreen
from tui.screens.login import DemoLogin, LoginScreen
from tui.screens.queues import QueueScreen
from tui.screens.session import Session
from tui.watch import DeskWatch, listen
from tui.wiring import Workspace, open_feed

HANGUP_EXIT = 129
"""The exit status when the terminal hung up: 128 + SIGHUP, as a shell reports it."""


@dataclass
class TicketsChanged(Message):
    """The database says tickets changed (their ids; empty: which is unknown)."""

    tickets: frozenset[int]


class TicketflowApp(OneKeyAtATime):
    """ticketflow's terminal app for agents, supervisors, admins and auditors."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "ticketflow"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", "Quit", show=False)]

    def __init__(self, workspace: Workspace, *, demo: list[DemoLogin] | None = None,
                 zone: tzinfo | None = None, poll_seconds: float = 2.0,
                 fire_timers: bool = False, live: bool = False) -> None:
        """``live``: hear other agents' changes at once (PostgreSQL's LISTEN/NOTIFY,
        SQLite's data version), not only at the next poll every ``poll_seconds``."""
        super().__init__()
        self.workspace = workspace
        self.demo = demo
        self.zone = zone
        self.poll_seconds = poll_seconds
        self.fire_timers = fire_timers
        self.live = live
        self.session: Session | None = None
        self.desk_watch: DeskWatch | None = None

    def on_mount(self) -> None:
        self.push_screen(LoginScreen(self.workspace, self.demo))
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self.poll_desk)
        if terminal_alive():  # in a terminal, not served to a browser
            self.set_interval(1.0, self.exit_if_terminal_gone)

    @on(LoginScreen.LoggedIn)
    def start_session(self, event: LoginScreen.LoggedIn) -> None:
        self.session = Session(self.workspace, event.account, zone=self.zone)
        self.desk_watch = DeskWatch(self.session, fire_timers=self.fire_timers)
        if self.live:
            self.run_worker(self.listen, thread=True, group="live", exclusive=True,
                            exit_on_error=False)
        self.switch_screen(QueueScreen())

    def listen(self) -> None:
        """In a thread: pass the database's news of changed tickets to the app at once."""
        stop = get_current_worker().cancelled_event
        listen(partial(open_feed, self.workspace.url),
               lambda tickets: self.post_message(TicketsChanged(tickets)), stop)

    @on(TicketsChanged)
    def hear(self, message: TicketsChanged) -> None:
        if self.desk_watch is not None:
            self.poll_desk(message.tickets)

    def action_logout(self) -> None:
        """Back to the login screen; the session is forgotten."""
        self.workers.cancel_group(self, "live")
        self.session, self.desk_watch = None, None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(LoginScreen(self.workspace, self.demo))

    def poll_desk(self, tickets: frozenset[int] | None = None) -> None:
        """Reload the screens when someone else changed tickets; show the post's notices.

        ``tickets``: the tickets the database said changed (empty: which is unknown); a
        screen showing none of them is left alone.
        """
        if self.desk_watch is None:
            return
        report = self.desk_watch.poll()
        for notice in report.notices:
            self.notify(notice.message, title=notice.title, severity=notice.severity,
                        timeout=10, markup=False)  # the message quotes ticket data
        if report.changed or tickets is not None:
            for screen in self.screen_stack:
                if isinstance(screen, DeskScreen):
                    screen.tickets_changed(tickets or frozenset())

    def exit_if_terminal_gone(self) -> None:
        """Exit once the terminal has hung up (a closed window, a dropped SSH session), even
        when no SIGHUP reached the app: reading a dead terminal would spin a CPU for ever."""
        if not terminal_alive():  # Textual's own shutdown would block writing to it
            self.workspace.store.close()
            os._exit(HANGUP_EXIT)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette: the current screen's commands first, then the app's."""
        if isinstance(screen, DeskScreen):
            yield from screen.palette_commands()
        yield from super().get_system_commands(screen)


def terminal_alive() -> bool:
    """Whether standard input is a terminal that still answers (not hung up)."""
    stream = sys.__stdin__
    try:
        return stream is not None and termios.tcgetattr(stream.fileno()) is not None
    except (termios.error, OSError, ValueError):
        return False
