"""Reading time: a ticket's SLA clocks (``sla``) and the notifications outbox (``outbox``,
with ``--mail`` the mail deliveries)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from engine.core.errors import BadRequest, Forbidden
from engine.core.model import Account
from engine.desk.reading import READ_ALL, check_read, reads_all, require_any
from engine.process.durations import format_duration
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table
from tui.records import delivery_record
from tui.session import reading_account
from tui.wiring import Workspace, open_workspace


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
           actor: Actor = None,
           mail: Annotated[bool, typer.Option(
               "--mail", help="List the mail deliveries instead (status, attempts, error).")
                           ] = False,
           status: Annotated[str | None, typer.Option(
               help="With --mail: only pending, sent or failed.")] = None,
           ticket: Annotated[int | None, typer.Option(help="With --mail: only this ticket's.")
                             ] = None) -> None:
    """List notifications (SLA warnings and breaches), oldest first, a page at a time.

    Agents read their own post's (the default for them); admins, auditors and
    supervisors any post's, and the mail deliveries (``--mail``)."""
    workspace = open_workspace(db)
    reader = reading_account(workspace, actor)
    if mail:
        require_any(reader, READ_ALL, "the mail deliveries")
        _deliveries(workspace, json, status, ticket, after, limit)
        return
    post = outbox_post(reader, post)
    notes = workspace.desk.notifications(post, after=after, limit=limit)
    if json:
        print_json([{"id": n.id, "at": n.at, "post": n.post, "ticket": n.ticket_id,
                     "kind": n.kind, "message": n.message, "details": n.details}
                    for n in notes])
        return
    print_table(["id", "at", "post", "ticket", "kind", "message"],
                [[n.id, n.at, n.post, n.ticket_id, n.kind, n.message] for n in notes])


def _deliveries(workspace: Workspace, json: bool, status: str | None, ticket: int | None,
                after: int | None, limit: int) -> None:
    """The mail deliveries: one row per message and address."""
    if status is not None and status not in ("pending", "sent", "failed"):
        raise BadRequest(f"unknown delivery status {status!r} (pending, sent or failed)")
    found = workspace.store.deliveries(status=status, ticket_id=ticket, after=after,
                                                limit=limit)
    if json:
        print_json([delivery_record(d) for d in found])
        return
    print_table(["id", "ticket", "kind", "to", "status", "attempts", "next attempt", "error"],
                [[d.id, d.ticket_id, d.kind, d.recipient, d.status, d.attempts,
                  d.next_attempt_at if d.status == "pending" else None, d.last_error]
                 for d in found])


def _duration(delta: timedelta | None) -> str | None:
    return format_duration(delta) if delta is not None else None


def outbox_post(reader: Account, post: str | None) -> str | None:
    """The post whose notifications the reader asks for, if they may read them."""
    if reads_all(reader):
        return post
    if post not in (None, reader.post) or reader.post is None:
        raise Forbidden(f"{reader.username!r} reads only the notifications of their post")
    return reader.post
