"""Who is acting: the account named by ``--as`` (or ``TICKETFLOW_USER``), authenticated by
``TICKETFLOW_PASSWORD``, a login session from ``ticketflow login``, or a prompt."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import typer

from engine.accounts.sessions import resume
from engine.core.errors import AuthenticationFailed, BadRequest
from engine.core.model import Account
from engine.desk.reading import require_any
from tui.wiring import Reading, Workspace, open_reading, open_workspace, reading_of


def acting_account(workspace: Workspace, name: str | None) -> Account:
    """Authenticate the acting account; refuse clearly when none can be found."""
    token = session_token(workspace.url, name)
    if token is not None:
        return resume(workspace.store, token, workspace.desk.clock.now())
    if not name:
        raise BadRequest("name the acting account with --as NAME or TICKETFLOW_USER "
                         "(or run 'ticketflow login')")
    return workspace.accounts.login(name, password(name))


def reading_account(workspace: Workspace, name: str | None,
                    roles: tuple[str, ...] | None = None, what: str = "this") -> Account:
    """Authenticate the account a read acts as; with ``roles``, require one of them."""
    account = acting_account(workspace, name)
    return require_any(account, roles, what) if roles else account


def reads_as(url: str, name: str | None) -> tuple[Reading, Account]:
    """The reads of a read-only command and the account it acts as.

    With a login session only reads are needed, and they take the light reader when the
    database allows; a password is checked by the full workspace, since a login writes its
    bookkeeping (last login, failed attempts, a lock-out).
    """
    token = session_token(url, name)
    if token is None:
        workspace = open_workspace(url)
        return reading_of(workspace), acting_account(workspace, name)
    reads = open_reading(url)
    return reads, resume(reads.store, token, reads.clock.now())


def session_token(url: str, name: str | None) -> str | None:
    """The token of this user's login session on ``url``, when it is what authenticates:
    no TICKETFLOW_PASSWORD given, and no other account named."""
    saved = session_file().read().get(url)
    if os.environ.get("TICKETFLOW_PASSWORD") is None and saved and name in (None,
                                                                            saved["username"]):
        return str(saved["token"])
    return None


def password(name: str) -> str:
    """The password of ``name`` from TICKETFLOW_PASSWORD or a hidden prompt."""
    given = os.environ.get("TICKETFLOW_PASSWORD")
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise AuthenticationFailed(f"no password for {name!r}: set TICKETFLOW_PASSWORD, "
                                   "run 'ticketflow login', or run in a terminal")
    return str(typer.prompt(f"Password for {name}", hide_input=True))


def read_new_password(from_stdin: bool, prompt: str = "New password") -> str:
    """A new password from standard input (first line) or a confirmed prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise BadRequest("give the password with --password-stdin or run in a terminal")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


class SessionFile:
    """The tokens of this user's login sessions, one per database URL, readable only by them."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def write(self, sessions: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(sessions, handle)


def session_file() -> SessionFile:
    """Where login sessions are kept: $TICKETFLOW_HOME/sessions.json (~/.ticketflow)."""
    home = os.environ.get("TICKETFLOW_HOME") or Path.home() / ".ticketflow"
    return SessionFile(Path(home) / "sessions.json")
