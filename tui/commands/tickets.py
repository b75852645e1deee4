"""Working tickets: open, fire, assign, claim, comment, record, show, history, list."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from engine.accounts.vendor import Credential
from engine.core.errors import BadRequest
from engine.core.journal import Event
from engine.core.model import Ticket, TicketQuery
from engine.desk.desk import parse_assignments
from engine.desk.reading import check_read, readable
from engine.desk.requesters import Requesters
from tui.commands.items import item_view, items_of, print_item
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table, safe
from tui.records import (
    credential_record,
    event_record,
    requester_record,
    ticket_record,
    timer_record,
)
from tui.session import acting_account, reading_account
from tui.wiring import Workspace, open_workspace

Sets = Annotated[list[str] | None, typer.Option("--set", help="KEY=VALUE, repeatable.")]


def register(app: typer.Typer) -> None:
    for command in (open_, fire, assign, claim, comment, record, show, history, list_):
        name = command.__name__.rstrip("_")
        app.command(name=name)(command)


def _emit(workspace: Workspace, ticket: Ticket, json: bool,
          credentials: list[Credential] | None = None) -> None:
    version = workspace.store.get_version(ticket.digest).number
    if json:
        extra = {"credentials": [credential_record(c) for c in credentials or []]}
        print_json({**ticket_record(ticket, version), **(extra if credentials else {})})
        return
    group = workspace.desk.group_of(ticket)
    typer.echo(f"#{ticket.id} {ticket.process} v{version}  state={ticket.state}  "
               f"post={safe(ticket.post)}{'' if group is None else '  group=' + safe(group)}"
               f"  assignee={safe(ticket.assignee)}")
    for key, value in ticket.data.items():
        typer.echo(f"  {key}: {safe(value, 200)}")
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


def show(ticket: int, db: Db = DEFAULT_DB, json: Json = False, actor: Actor = None) -> None:
    """Show a ticket with its requester, pending timers and attachments."""
    workspace = open_workspace(db)
    reader = reading_account(workspace, actor)
    found = check_read(reader, workspace.desk.ticket(ticket))
    timers = workspace.desk.timers(ticket)
    requester = Requesters(workspace.desk).of_ticket(ticket)
    files = attachments(workspace.desk.history(ticket))
    item_name = workspace.desk.item_of(found)
    item = (item_view(workspace, reader, item_name, skip=found.id)
            if item_name in {i.name for i in items_of(workspace).all()} else None)
    if json:
        version = workspace.store.get_version(found.digest).number
        print_json({**ticket_record(found, version), "timers": [timer_record(t) for t in timers],
                    "requester": requester_record(requester) if requester else None,
                    "attachments": files, "item": item})
        return
    _emit(workspace, found, json)
    if item is not None:
        print_item(item, indent="  ")
    if requester is not None:
        typer.echo(f"  requester: {safe(requester.name)} <{safe(requester.email)}> "
                   f"(requester {requester.id})")
    for timer in timers:
        typer.echo(f"  timer {timer.trigger} due {safe(timer.due_at)}")
    for item in files:
        typer.echo(f"  attachment {safe(item['name'])} ({item['size']} bytes, "
                   f"{safe(item['type'])}) seq {item['seq']} sha256 {item['hash']}")


def attachments(events: list[Event]) -> list[dict[str, Any]]:
    """The files that came with a ticket's mail, from its journal (with the event's seq)."""
    return [{"seq": event.seq, "name": item.get("filename"), "type": item.get("content_type"),
             "size": item.get("size"), "hash": item.get("hash")}
            for event in events for item in event.details.get("attachments", [])
            if isinstance(item, dict)]


def history(ticket: int, db: Db = DEFAULT_DB, json: Json = False, actor: Actor = None
            ) -> None:
    """Show a ticket's journal."""
    workspace = open_workspace(db)
    check_read(reading_account(workspace, actor), workspace.desk.ticket(ticket))
    events = workspace.desk.history(ticket)
    if json:
        print_json([event_record(e) for e in events])
        return
    print_table(["seq", "at", "actor", "kind", "trigger", "from", "to", "note"],
                [[e.seq, e.at, e.actor, e.kind, e.trigger, e.source, e.dest, e.note]
                 for e in events])


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
                [[t.id, t.process, t.state, t.post, t.assignee, t.data.get("summary")]
                 for t in tickets])
