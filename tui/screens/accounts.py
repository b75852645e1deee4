"""Admin: accounts — add, change roles and post, disable or enable, reset a password."""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header

from engine.accounts.accounts import password_problem, random_password
from engine.core.model import Account
from engine.process.fields import parse_timestamp
from engine.process.spec import FieldSpec
from tui.output import safe
from tui.screens.base import DeskScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.field_form import FieldFormScreen, FormField, FormResult
from tui.widgets.key_lists import KeyTable

ROLES = ("agent", "supervisor", "admin", "auditor")
NAME = FieldSpec(type="text", title="Account name", pattern=r"[A-Za-z0-9_.@-]{1,64}")
DISPLAY = FieldSpec(type="text", title="Display name", max_length=100)
ROLE_LIST = FieldSpec(type="text", title="Roles (comma-separated)",
                      pattern=r"\s*[a-z_]+(\s*,\s*[a-z_]+)*\s*")
PASSWORD = FieldSpec(type="text", title="Password (shown: tell it to its owner)")
VENDOR = FieldSpec(type="boolean", title="A vendor's account")
EXPIRES = FieldSpec(type="timestamp", title="Expires at")


def role_problem(text: str) -> str | None:
    """Refuse roles the desk does not know."""
    unknown = [r.strip() for r in text.split(",") if r.strip() not in ROLES]
    return f"unknown role {', '.join(unknown)} (known: {', '.join(ROLES)})" if unknown else None


def roles_of(text: str) -> list[str]:
    return [role.strip() for role in text.split(",") if role.strip()]


class AccountsScreen(DeskScreen[None]):
    """Every account of the desk (never a password hash)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Roles and post"),
        Binding("d", "toggle_disabled", "Disable/enable"),
        Binding("p", "password", "Reset password"),
        Binding("r", "reload", "Reload"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield KeyTable(id="accounts-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Accounts"
        table = self.query_one(DataTable)
        table.add_columns("account", "name", "roles", "post", "vendor", "expires", "status",
                          "last login")
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        local = self.session.local
        for account in self.attempt(self.desk.store.list_accounts) or []:
            table.add_row(account.username, Text(safe(account.display_name, 60)),  # no markup
                          ", ".join(account.roles),
                          account.post or "-", "yes" if account.vendor else "",
                          local(account.expires_at) if account.expires_at else "",
                          "disabled" if account.disabled else "active",
                          local(account.last_login_at), key=account.username)
        table.move_cursor(row=min(row, max(table.row_count - 1, 0)))

    @property
    def selected(self) -> Account | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        name = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        return self.attempt(lambda: self.desk.store.get_account(name))

    def _posts(self) -> list[str]:
        versions = self.attempt(self.desk.versions) or []
        names = {v.name: v.digest for v in versions}
        posts: set[str] = set()
        for digest in names.values():
            compiled = self.attempt(partial(self.desk.compiled, digest))
            posts.update(compiled.spec.posts if compiled else [])
        return sorted(posts)

    def _post_field(self) -> FormField:
        posts: list[str | int] = list(self._posts())
        if not posts:
            return FormField("post", FieldSpec(type="text", title="Post"), required=False)
        return FormField("post", FieldSpec(type="choice", title="Post", choices=posts),
                         required=False)

    def action_add(self) -> None:
        fields = [FormField("username", NAME, True), FormField("display_name", DISPLAY, False),
                  FormField("roles", ROLE_LIST, True, role_problem), self._post_field(),
                  FormField("vendor", VENDOR, False), FormField("expires_at", EXPIRES, False),
                  FormField("password", PASSWORD, True, password_problem)]
        draft = {"password": random_password(12)}
        self.app.push_screen(FieldFormScreen("New account", fields, note=None, draft=draft),
                             self._add)

    def _add(self, result: FormResult | None) -> None:
        if result is None:
            return
        values: dict[str, Any] = result.values
        expires = values.get("expires_at")
        done = self.attempt(lambda: self.session.workspace.accounts.add(
            self.session.account, username=values["username"], password=values["password"],
            roles=roles_of(values["roles"]), post=values.get("post"),
            display_name=values.get("display_name"),
            vendor=values.get("vendor", "false").lower() == "true",
            expires_at=parse_timestamp(expires) if expires else None))
        if done:
            self.notify(f"account {done.username!r} created", title="Accounts")
            self.action_reload()

    def action_edit(self) -> None:
        account = self.selected
        if account is None:
            return
        draft = {"roles": ", ".join(account.roles), "post": account.post or ""}
        fields = [FormField("roles", ROLE_LIST, True, role_problem), self._post_field()]
        self.app.push_screen(
            FieldFormScreen(f"Roles and post of {account.username}", fields, note=None,
                            draft=draft),
            lambda result: self._edit(account.username, result))

    def _edit(self, username: str, result: FormResult | None) -> None:
        if result is None:
            return
        done = self.attempt(lambda: self.session.workspace.accounts.update(
            self.session.account, username, roles=roles_of(result.values["roles"]),
            post=result.values.get("post")))
        if done:
            self.notify(f"{username}: {', '.join(done.roles)} at {done.post}", title="Accounts")
            self.action_reload()

    def action_toggle_disabled(self) -> None:
        account = self.selected
        if account is None:
            return
        verb = "Enable" if account.disabled else "Disable"
        self.app.push_screen(
            ConfirmScreen(f"{verb} the account {account.username!r}?", yes=verb),
            lambda yes: self._toggle(account) if yes else None)

    def _toggle(self, account: Account) -> None:
        if self.attempt(lambda: self.session.workspace.accounts.update(
                self.session.account, account.username, disabled=not account.disabled)):
            state = "enabled" if account.disabled else "disabled"
            self.notify(f"{account.username} {state}", title="Accounts")
            self.action_reload()

    def action_password(self) -> None:
        account = self.selected
        if account is None:
            return
        fields = [FormField("password", PASSWORD, True, password_problem)]
        self.app.push_screen(
            FieldFormScreen(f"New password for {account.username}", fields, note=None,
                            draft={"password": random_password(12)}),
            lambda result: self._password(account.username, result))

    def _password(self, username: str, result: FormResult | None) -> None:
        if result is None:
            return
        if self.attempt(lambda: self.session.workspace.accounts.set_password(
                self.session.account, username, result.values["password"])):
            self.notify(f"password of {username} changed", title="Accounts")
