"""The terminal app's commands: ``tui`` (a desk, in a terminal or a browser) and ``demo``."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime
from time import monotonic
from typing import Annotated

import typer

from engine.core.errors import BadRequest
from engine.time.clock import VirtualClock
from tui.app import TicketflowApp
from tui.demo import LOGINS, SPAN, build_demo
from tui.options import DEFAULT_DB, Db
from tui.wiring import Workspace, open_workspace

Web = Annotated[str | None, typer.Option(
    "--web", metavar="[HOST:]PORT",
    help="Serve the app to a browser (textual-serve), on 127.0.0.1 unless HOST is given.")]


def register(app: typer.Typer) -> None:
    app.command()(tui)
    app.command()(demo)


def tui(db: Db = DEFAULT_DB, web: Web = None) -> None:
    """Open the terminal app on a desk (login with the desk's accounts)."""
    if web:
        serve(["tui", "--db", db], web)
        return
    workspace = open_workspace(db)
    TicketflowApp(workspace, fire_timers=db.startswith("sqlite"), live=True).run()


def demo(db: Db = DEFAULT_DB, web: Web = None) -> None:
    """Open the app on a demo desk, creating it first if the database is empty."""
    workspace = open_workspace(db)
    if not workspace.store.list_accounts():
        create_demo(db)
    elif not is_demo_desk(workspace):
        raise BadRequest(f"{db} holds a desk that is not the demo; use 'ticketflow tui'")
    if web:
        serve(["demo", "--db", db], web)
        return
    TicketflowApp(workspace, demo=LOGINS, fire_timers=db.startswith("sqlite"),
                  live=True).run()


def create_demo(db: str) -> None:
    """Build the demo desk on a virtual clock that ends now, saying how long it took."""
    typer.echo(f"creating the demo desk in {db} …")
    started = monotonic()
    clock = VirtualClock(datetime.now(UTC) - SPAN)
    workspace = open_workspace(db, clock=clock, synchronous="NORMAL")
    tickets = build_demo(workspace, clock)
    typer.echo(f"{tickets} tickets worked over {SPAN.days} days, in "
               f"{monotonic() - started:.1f} s")


def is_demo_desk(workspace: Workspace) -> bool:
    """Whether the desk's accounts are the demo's (so its passwords may be shown)."""
    names = {account.username for account in workspace.store.list_accounts()}
    return {login.username for login in LOGINS} <= names


def address(text: str) -> tuple[str, int]:
    """``[HOST:]PORT`` as (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise BadRequest(f"--web expects [HOST:]PORT, got {text!r}")
    return host or "127.0.0.1", int(port)


def serve(arguments: list[str], web: str) -> None:
    """Serve ``ticketflow ARGUMENTS`` to browsers; each browser tab runs its own app."""
    from textual_serve.server import Server  # only the web mode needs aiohttp

    host, port = address(web)
    command = shlex.join([sys.executable, "-c", "from tui.cli import main; main()",
                          *arguments])
    typer.echo(f"serving ticketflow on http://{host}:{port}")
    Server(command, host=host, port=port, title="ticketflow").serve()
