"""Who is acting: the account named by ``--as`` (or ``TICKETFLOW_USER``), authenticated by
``TICKETFLOW_PASSWORD`` or an interactive prompt."""

from __future__ import annotations

import os
import sys

import typer

from engine.errors import AuthenticationFailed, BadRequest
from engine.model import Account
from tui.wiring import Workspace


def acting_account(workspace: Workspace, name: str | None) -> Account:
    """Authenticate the acting account; refuse clearly when none is named."""
    if not name:
        raise BadRequest("name the acting account with --as NAME or TICKETFLOW_USER")
    return workspace.accounts.login(name, _password(name))


def _password(name: str) -> str:
    password = os.environ.get("TICKETFLOW_PASSWORD")
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise AuthenticationFailed(f"no password for {name!r}: set TICKETFLOW_PASSWORD "
                                   "or run in a terminal")
    return str(typer.prompt(f"Password for {name}", hide_input=True))


def read_new_password(from_stdin: bool, prompt: str = "New password") -> str:
    """A new password from standard input (first line) or a confirmed prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise BadRequest("give the password with --password-stdin or run in a terminal")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))
