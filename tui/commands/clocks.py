"""Reading time: a ticket's SLA clocks (``sla``) and the notifications outbox (``outbox``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from engine.core.errors import Forbidden
from engine.core.model import Account
from engine.desk.reading import check_read, reads_all
from engine.process.durations import format_duration
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table
from tui.session import reading_account
from tui.wiring import open_workspace


def register(app: typer.Typer) -> None:
    app.command()(sla)
    app.command()(outbox)


def sla(ticket: int, db: Db = DEFAULT_DB, json: Json = False, actor: Actor = None) -> None:
    """Show a ticket's open SLA clocks with their remaining working time."""
    workspace = open_workspace(db)
    check_read(reading_account(workspace, actor), workspace.desk.ticket(ticket))
    clocks = workspace.desk.slas(ticket)
    if json:
        print_json([{"clock": c.clock, "post": c.post, "running": c.running,
                     "spent": _duration(c.spent), "limit": _duration(c.limit),
                     "remaining": _duration(c.remaining), "due_at": c.due_at,
                     "warned": c.warned, "breached": c.breached} for c in clocks])
        return
    print_table(["clock", "post", "running", "spent", "limit", "remaining", "due", "breached"],
                [[c.clock, c.post, "yes" if c.running else "paused", _duration(c.spent),
                  _duration(c.limit), _duration(c.remaining), c.due_at,
                  "yes" if c.breached else ""] for c in clocks])


def outbox(db: Db = DEFAULT_DB, json: Json = False,
           post: Annotated[str | None, typer.Option(help="Only this post's notifications.")
                           ] = None,
           after: Annotated[int | None, typer.Option(help="Only those after this id.")] = None,
           limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
           actor: Actor = None) -> None:
    """List notifications (SLA warnings and breaches), oldest first, a page at a time.

    Agents read their own post's (the default for them); admins, auditors and
    supervisors any post's."""
    workspace = open_workspace(db)
    post = outbox_post(reading_account(workspace, actor), post)
    notes = workspace.desk.notifications(post, after=after, limit=limit)
    if json:
        print_json([{"id": n.id, "at": n.at, "post": n.post, "ticket": n.ticket_id,
                     "kind": n.kind, "message": n.message, "details": n.details}
                    for n in notes])
        return
    print_table(["id", "at", "post", "ticket", "kind", "message"],
                [[n.id, n.at, n.post, n.ticket_id, n.kind, n.message] for n in notes])


def _duration(delta: timedelta | None) -> str | None:
    return format_duration(delta) if delta is not None else None


def outbox_post(reader: Account, post: str | None) -> str | None:
    """The post whose notifications the reader asks for, if they may read them."""
    if reads_all(reader):
        return post
    if post not in (None, reader.post) or reader.post is None:
        raise Forbidden(f"{reader.username!r} reads only the notifications of their post")
    return reader.post
