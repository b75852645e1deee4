"""``ticketflow tokens``: API tokens that act as an account (admin role)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from engine.accounts.tokens import ApiToken
from engine.core.errors import BadRequest
from engine.process.fields import parse_timestamp
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table
from tui.session import acting_account
from tui.wiring import open_workspace

tokens = typer.Typer(help="Manage API tokens (admin role).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(tokens, name="tokens")


@tokens.command("add")
def add(name: Annotated[str, typer.Argument(help="A name for the token (unique).")],
        for_: Annotated[str | None, typer.Option(
            "--for", metavar="ACCOUNT",
            help="The account the token acts as (default: the account named NAME).")] = None,
        expires: Annotated[str | None, typer.Option(
            "--expires", metavar="TS", help="When it stops (ISO 8601, UTC if no offset).")
                           ] = None,
        db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Add a token acting as an account (``--as`` names the acting admin, as everywhere):
    printed once, only its hash is kept."""
    workspace = open_workspace(db)
    admin = acting_account(workspace, actor)
    until = _timestamp(expires) if expires else None
    text, token = workspace.tokens.add(admin, name, for_ or name, expires_at=until)
    if json:
        print_json({**token_record(token), "token": text})
        return
    typer.echo(f"token {name!r} acts as {token.username!r}; it is shown only now:")
    typer.echo(text)


@tokens.command("list")
def list_(db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """List tokens (never the tokens themselves)."""
    workspace = open_workspace(db)
    found = workspace.tokens.tokens(acting_account(workspace, actor))
    if json:
        print_json([token_record(t) for t in found])
        return
    print_table(["name", "account", "created", "by", "expires", "revoked", "last used"],
                [[t.name, t.username, t.created_at, t.created_by, t.expires_at, t.revoked_at,
                  t.last_used_at] for t in found])


@tokens.command("revoke")
def revoke(name: str, db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Revoke a token: it stops at its next request."""
    workspace = open_workspace(db)
    token = workspace.tokens.revoke(acting_account(workspace, actor), name)
    if json:
        print_json(token_record(token))
        return
    typer.echo(f"token {name!r} revoked")


def token_record(token: ApiToken) -> dict[str, Any]:
    """A token as JSON-able data: what is kept, never the token."""
    return {"name": token.name, "account": token.username, "created_at": token.created_at,
            "created_by": token.created_by, "expires_at": token.expires_at,
            "revoked_at": token.revoked_at, "last_used_at": token.last_used_at}


def _timestamp(text: str) -> datetime:
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise BadRequest(f"--expires: {exc}") from None
