"""``ticketflow login`` and ``logout``: a short-lived session instead of a password."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from engine.accounts.sessions import LoginSessions
from engine.core.errors import BadRequest
from tui.options import DEFAULT_DB, Actor, Db
from tui.session import password, session_file
from tui.wiring import open_workspace


def register(app: typer.Typer) -> None:
    app.command()(login)
    app.command()(logout)


def login(db: Db = DEFAULT_DB, actor: Actor = None,
          hours: Annotated[float, typer.Option(min=0.1, max=24.0, help="Lifetime.")] = 8.0
          ) -> None:
    """Log in once; later commands on this database act as you until the session ends."""
    if not actor:
        raise BadRequest("name the account with --as NAME or TICKETFLOW_USER")
    workspace = open_workspace(db)
    account = workspace.accounts.login(actor, password(actor))
    token = LoginSessions(workspace.store, workspace.desk.clock).start(
        account, timedelta(hours=hours))
    sessions = session_file()
    saved = sessions.read()
    saved[db] = {"username": account.username, "token": token}
    sessions.write(saved)
    typer.echo(f"logged in as {account.username} on {db} for {hours:g} h")


def logout(db: Db = DEFAULT_DB) -> None:
    """End the login session on this database."""
    sessions = session_file()
    saved = sessions.read()
    entry = saved.pop(db, None)
    if entry is None:
        typer.echo("no login session on this database")
        return
    workspace = open_workspace(db)
    LoginSessions(workspace.store, workspace.desk.clock).end(entry["token"])
    sessions.write(saved)
    typer.echo(f"logged out {entry['username']}")
