"""The login screen: an account name and a password (the demo desk also lists its accounts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from engine.core.errors import TicketflowError
from engine.core.model import Account
from tui.i18n import _
from tui.widgets.key_lists import KeyList
from tui.wiring import Workspace


@dataclass(frozen=True)
class DemoLogin:
    """A demo account and its password, shown on the demo desk's login screen only."""

    username: str
    password: str
    role: str
    post: str | None


class LoginScreen(Screen[None]):
    """Ask for an account and its password; report upward when someone logged in."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "app.quit", "Quit")]

    @dataclass
    class LoggedIn(Message):
        """An account logged in."""

        account: Account

    def __init__(self, workspace: Workspace, demo: list[DemoLogin] | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.demo = demo or []

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static("ticketflow", id="login-title")
            yield Static(Content(self.workspace.url), id="login-desk")
            yield Input(placeholder=_("account"), id="login-username")
            yield Input(placeholder=_("password"), password=True, id="login-password")
            yield Button(_("Log in"), variant="primary", id="login-button")
            if self.demo:
                yield Static(_("Demo accounts — Enter logs in"), id="login-demo-title")
                yield KeyList(*[self._demo_option(d) for d in self.demo], id="login-demo")
        yield Footer()

    @staticmethod
    def _demo_option(login: DemoLogin) -> Option:
        where = f" @ {login.post}" if login.post else ""
        return Option(f"{login.username:<10} {login.password:<12} {login.role}{where}",
                      id=login.username)

    def on_mount(self) -> None:
        self.query_one("#login-username", Input).focus()

    @on(Input.Submitted, "#login-username")
    def next_field(self) -> None:
        self.query_one("#login-password", Input).focus()

    @on(Input.Submitted, "#login-password")
    @on(Button.Pressed, "#login-button")
    def submit(self) -> None:
        self.log_in(self.query_one("#login-username", Input).value.strip(),
                    self.query_one("#login-password", Input).value)

    @on(OptionList.OptionSelected, "#login-demo")
    def demo_login(self, event: OptionList.OptionSelected) -> None:
        login = self.demo[event.option_index]
        self.query_one("#login-username", Input).value = login.username
        self.query_one("#login-password", Input).value = login.password
        self.log_in(login.username, login.password)

    def log_in(self, username: str, password: str) -> None:
        """Check the password; on success tell the app, on failure say why."""
        if not username:
            self.notify(_("type your account name"), title=_("Login"), severity="warning")
            return
        try:
            account = self.workspace.accounts.login(username, password)
        except TicketflowError as exc:
            self.query_one("#login-password", Input).value = ""
            self.notify(str(exc), title=exc.title, severity="error", markup=False)
            return
        self.post_message(self.LoggedIn(account))
