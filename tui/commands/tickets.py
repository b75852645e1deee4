"""Working tickets: open, fire, approve, assign, claim, comment, record, list, search (show
and history: :mod:`tui.commands.reading`)."""

from __future__ import annotations

from typing import Annotated

import typer

from engine.accounts.vendor import Credential
from engine.core.errors import BadRequest
from engine.core.model import Ticket, TicketQuery
from engine.desk.articles import Articles
from engine.desk.desk import parse_assignments
from engine.desk.reading import readable
from engine.desk.requesters import Requesters
from engine.desk.search import search_kinds, search_query
from tui.commands.kb import print_articles
from tui.commands.reading import echo_ticket
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table, safe
from tui.records import (
    credential_record,
    ticket_record,
)
from tui.session import acting_account, reading_account
from tui.wiring import Workspace, open_workspace

Sets = Annotated[list[str] | None, typer.Option("--set", help="KEY=VALUE, repeatable.")]


def register(app: typer.Typer) -> None:
    for command in (open_, fire, approve, assign, claim, comment, record, list_, search):
        name = command.__name__.rstrip("_")
        app.command(name=name)(command)


def _emit(workspace: Workspace, ticket: Ticket, json: bool,
          credentials: list[Credential] | None = None) -> None:
    version = workspace.store.get_version(ticket.digest).number
    if json:
        extra = {"credentials": [credential_record(c) for c in credentials or []]}
        print_json({**ticket_record(ticket, version), **(extra if credentials else {})})
        return
    echo_ticket(ticket, version)
    for credential in credentials or []:
        typer.echo(f"temporary password of {credential.username!r} (shown once, never "
                   f"stored; expires {safe(credential.expires_at)}): {credential.password}")


def open_(process: str, set_: Sets = None, db: Db = DEFAULT_DB,
          actor: Actor = None, json: Json = False,
          parent: Annotated[int | None, typer.Option(help="Parent ticket id.")] = None,
          requester: Annotated[str | None, typer.Option(
              help="For the requester of this mail address (added when new).")] = None
          ) -> None:
    """Open a ticket of a process (for a requester, with --requester EMAIL)."""
    workspace = open_workspace(db)
    account = acting_account(workspace, actor)
    data = parse_assignments(set_ or [])
    if requester is not None:
        if parent is not None:
            raise BadRequest("a child ticket belongs to its parent: --requester and --parent "
                             "do not go together")
        ticket = Requesters(workspace.desk).open_for(process, requester, account, data)
    else:
        ticket = workspace.desk.open(process, account, data, parent_id=parent)
    _emit(workspace, ticket, json)


def fire(ticket: int, trigger: str, set_: Sets = None, db: Db = DEFAULT_DB,
         actor: Actor = None, json: Json = False,
         note: Annotated[str | None, typer.Option(help="A note for the journal.")] = None
         ) -> None:
    """Fire a trigger on a ticket."""
    workspace = open_workspace(db)
    account = acting_account(workspace, actor)
    received: list[Credential] = []
    moved = workspace.desk.fire(ticket, trigger, account, data=parse_assignments(set_ or []),
                                note=note, deliver=received.append)
    _emit(workspace, moved, json, received)


def approve(ticket: int, set_: Sets = None, db: Db = DEFAULT_DB, actor: Actor = None,
            json: Json = False,
            reject: Annotated[bool, typer.Option(
                "--reject", help="Vote against: enough rejections refuse the request.")] = False,
            note: Annotated[str | None, typer.Option(help="A note for the journal.")] = None,
            trigger: Annotated[str | None, typer.Option(
                help="The approval voted on, where the ticket waits for several "
                     "(default: the first the process declares).")] = None
            ) -> None:
    """Vote on the approval a ticket waits for (approve, or --reject); once per account."""
    workspace = open_workspace(db)
    account = acting_account(workspace, actor)
    moved = workspace.desk.approve(ticket, account, reject=reject, note=note, trigger=trigger,
                                   data=parse_assignments(set_ or []))
    last = workspace.desk.history(ticket)[-1]
    if not json:
        done = "rejected" if reject else "approved"
        typer.echo(f"{done} by {account.username} ({last.trigger}): "
                   f"{last.details.get('votes')} of {last.details.get('needed')} needed")
    _emit(workspace, moved, json)


def assign(ticket: int, name: str, db: Db = DEFAULT_DB, actor: Actor = None,
           json: Json = False) -> None:
    """Give a ticket to an account of its post (NAME '-' unassigns)."""
    workspace = open_workspace(db)
    account = acting_account(workspace, actor)
    moved = workspace.desk.assign(ticket, None if name == "-" else name, account)
    _emit(workspace, moved, json)


def claim(ticket: int, db: Db = DEFAULT_DB, actor: Actor = None,
          json: Json = False) -> None:
    """Take a ticket of your post for yourself."""
    workspace = open_workspace(db)
    account = acting_account(workspace, actor)
    _emit(workspace, workspace.desk.claim(ticket, account), json)


def comment(ticket: int, text: str, db: Db = DEFAULT_DB, actor: Actor = None,
            json: Json = False) -> None:
    """Add a comment to a ticket's journal."""
    record(ticket, "comment", text, db=db, actor=actor, json=json)


def record(ticket: int, event: str,
           note: Annotated[str | None, typer.Argument(help="The note.")] = None,
           db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Record an event that changes no state (a customer reply, a complaint, ...)."""
    workspace = open_workspace(db)
    account = acting_account(workspace, actor)
    _emit(workspace, workspace.desk.record(ticket, event, account, note=note), json)


def list_(db: Db = DEFAULT_DB, json: Json = False,
          state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
          post: Annotated[str | None, typer.Option(help="Only this post.")] = None,
          group: Annotated[str | None, typer.Option(
              help="Only this group's queue (a handling group, a vendor company).")] = None,
          process: Annotated[str | None, typer.Option(help="Only this process.")] = None,
          mine: Annotated[bool, typer.Option("--mine", help="Only mine (needs --as).")] = False,
          closed: Annotated[bool, typer.Option("--all", help="Closed ones too.")] = False,
          after: Annotated[int | None, typer.Option(help="Page after this id.")] = None,
          limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
          actor: Actor = None) -> None:
    """List the tickets you may read, newest first, a page at a time."""
    workspace = open_workspace(db)
    reader = reading_account(workspace, actor)
    query = TicketQuery(state=state, post=post, process=process,
                        assignee=reader.username if mine else None,
                        is_open=None if closed else True, after=after, limit=limit,
                        descending=True, group=group,
                        group_fields=workspace.desk.group_fields() if group else ())
    tickets = workspace.desk.tickets(readable(reader, query))
    if json:
        print_json([ticket_record(t) for t in tickets])
        return
    print_table(["id", "process", "state", "post", "assignee", "summary"],
                [[t.id, t.process, t.where(), t.post, t.assignee, t.data.get("summary")]
                 for t in tickets])


def search(words: Annotated[list[str], typer.Argument(
               help="Words and key:value filters: state: post: process: assignee: requester: "
                    "open:yes|no|all kind:ticket|article.", show_default=False)],
           db: Db = DEFAULT_DB, json: Json = False,
           after: Annotated[int | None, typer.Option(help="Page after this id.")] = None,
           limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
           actor: Actor = None) -> None:
    """Find the tickets you may read and the articles by words and filters, newest first."""
    workspace = open_workspace(db)
    reader = reading_account(workspace, actor)
    kinds, text, found_words = search_kinds(" ".join(words))
    base = TicketQuery(is_open=None, after=after, limit=limit, descending=True)
    tickets = (workspace.desk.tickets(readable(reader, search_query(text, base)))
               if "ticket" in kinds else [])
    articles = (Articles(workspace.store, workspace.desk.clock).find(words=found_words,
                                                                    limit=limit)
                if "article" in kinds and found_words and after is None else [])
    if json:
        print_json([{"kind": "ticket", **ticket_record(t), "summary": t.data.get("summary")}
                    for t in tickets]
                   + [{"kind": "article", **a.as_dict(body=False)} for a in articles])
        return
    if "ticket" in kinds:
        print_table(["id", "state", "post", "assignee", "summary"],
                    [[t.id, t.state, t.post, t.assignee, t.data.get("summary")]
                     for t in tickets])
    if articles or kinds == ("article",):
        typer.echo("articles:")
        print_articles(articles)
