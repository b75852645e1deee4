"""``ticketflow requesters``: the people the desk serves (add, list, show, edit)."""

from __future__ import annotations

from typing import Annotated

import typer

from engine.core.errors import BadRequest
from engine.core.model import Requester
from engine.desk.reading import may_read
from engine.desk.requesters import Requesters
from tui.options import DEFAULT_DB, Actor, Config, Db, Json
from tui.output import print_json, print_table
from tui.records import requester_record, ticket_record
from tui.session import acting_account, reading_account
from tui.wiring import open_workspace

Name = Annotated[str | None, typer.Option(help="The requester's name.")]
Phone = Annotated[str | None, typer.Option(help="A phone number.")]
Organisation = Annotated[str | None, typer.Option(help="Their organisation.")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="The people the desk serves.")
    group.command("add")(add)
    group.command("list")(list_)
    group.command("show")(show)
    group.command("edit")(edit)
    group.command("link")(link)
    app.add_typer(group, name="requesters")


def _emit(requester: Requester, json: bool) -> None:
    if json:
        print_json(requester_record(requester))
        return
    typer.echo(f"requester {requester.id}: {requester.name} <{requester.email}>")
    for key in ("phone", "organisation"):
        typer.echo(f"  {key}: {getattr(requester, key) or '-'}")


def add(email: str, name: Name = None, phone: Phone = None, organisation: Organisation = None,
        db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Add a requester (exit 3 when the address is taken)."""
    workspace = open_workspace(db)
    account = acting_account(workspace, actor)
    added = Requesters(workspace.desk).add(
        Requester(name=name or "", email=email, phone=phone, organisation=organisation),
        account)
    _emit(added, json)


def list_(db: Db = DEFAULT_DB, json: Json = False,
          after: Annotated[int | None, typer.Option(help="Page after this id.")] = None,
          limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
          actor: Actor = None) -> None:
    """List requesters by id, a page at a time."""
    workspace = open_workspace(db)
    reading_account(workspace, actor)
    found = Requesters(workspace.desk).page(after=after, limit=limit)
    if json:
        print_json([requester_record(r) for r in found])
        return
    print_table(["id", "name", "email", "phone", "organisation"],
                [[r.id, r.name, r.email, r.phone, r.organisation] for r in found])


def show(requester: Annotated[str, typer.Argument(help="An id or a mail address.")],
         db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Show a requester and their tickets that you may read (newest first)."""
    workspace = open_workspace(db)
    reader = reading_account(workspace, actor)
    people = Requesters(workspace.desk)
    found = people.get(requester)
    tickets = [t for t in people.tickets(found.id or 0) if may_read(reader, t)]
    if json:
        print_json({**requester_record(found), "tickets": [ticket_record(t) for t in tickets]})
        return
    _emit(found, json)
    print_table(["id", "process", "state", "open", "summary"],
                [[t.id, t.process, t.state, "yes" if t.is_open else "no",
                  t.data.get("summary")] for t in tickets])


def edit(requester: Annotated[str, typer.Argument(help="An id or a mail address.")],
         name: Name = None, phone: Phone = None, organisation: Organisation = None,
         email: Annotated[str | None, typer.Option(help="A new mail address.")] = None,
         db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Change a requester's details (an empty value clears phone or organisation)."""
    workspace = open_workspace(db)
    account = acting_account(workspace, actor)
    changed = Requesters(workspace.desk).edit(requester, account, name=name, phone=phone,
                                              organisation=organisation, email=email)
    _emit(changed, json)


def link(ticket: Annotated[int, typer.Argument(help="The ticket.")],
         db: Db = DEFAULT_DB, actor: Actor = None, config: Config = None,
         json: Json = False) -> None:
    """Print the signed link to the requester's page of a ticket (as in the desk's mail)."""
    from datetime import timedelta

    from engine.desk.links import LinkSigner
    from tui.commands.mail_cmds import settings_from

    settings = settings_from(config)
    secret = settings.secret()
    if not secret or not settings.base_url:
        raise BadRequest("links need mail.base_url and a link secret (TICKETFLOW_LINK_SECRET)")
    workspace = open_workspace(db)
    people = Requesters(workspace.desk)
    account = acting_account(workspace, actor)
    people.staff_check(account, "making a requester's link")
    requester = people.of_ticket(ticket)
    if requester is None or requester.id is None:
        raise BadRequest(f"ticket {ticket} is not for a requester")
    valid = timedelta(days=settings.link_days)
    token = people.link_token(LinkSigner(secret), ticket, requester.id, valid)
    url = f"{settings.base_url.rstrip('/')}/r/{token}"
    expires = workspace.desk.clock.now() + valid
    if json:
        print_json({"ticket": ticket, "requester": requester.id, "url": url,
                    "expires_at": expires.isoformat(timespec="seconds")})
        return
    typer.echo(url)
