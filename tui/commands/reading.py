"""Reading one ticket: show, history.

These commands only read, so with a login session they run on the driver-level reader
(:func:`tui.wiring.open_reading`): no SQLAlchemy, no process language, a start-up close to
Python's own (docs/performance.md). The rules are the engine's (:mod:`engine.desk.reading`),
whichever store answers.
"""

from __future__ import annotations

from typing import Any

import typer

from engine.core.journal import Event
from engine.core.model import Ticket
from engine.desk import problems, reading
from engine.desk.reading import check_read
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table, safe
from tui.records import event_record, requester_record, ticket_record, timer_record
from tui.session import reads_as


def register(app: typer.Typer) -> None:
    app.command(name="show")(show)
    app.command(name="history")(history)


def show(ticket: int, db: Db = DEFAULT_DB, json: Json = False, actor: Actor = None) -> None:
    """Show a ticket with its requester, pending timers and attachments."""
    source, account = reads_as(db, actor)
    try:
        found = check_read(account, source.store.load_ticket(ticket))
        timers = reading.timers(source.store, ticket)
        requester = reading.requester(source.store, ticket)
        events = reading.history(source.store, ticket)
        files = attachments(events)
        version = source.store.get_version(found.digest).number
        problem = problems.journaled_problem(events)
        behind = problems.problem_record(source.store.load_ticket(problem)) if problem else None
    finally:
        source.store.close()
    if json:
        print_json({**ticket_record(found, version), "timers": [timer_record(t) for t in timers],
                    "requester": requester_record(requester) if requester else None,
                    "attachments": files, "problem": behind})
        return
    echo_ticket(found, version)
    if requester is not None:
        typer.echo(f"  requester: {safe(requester.name)} <{safe(requester.email)}> "
                   f"(requester {requester.id})")
    if behind is not None:
        typer.echo(f"  problem: #{behind['id']} {behind['state']} "
                   f"{safe(behind['summary'], 80)}")
        if behind["workaround"]:
            typer.echo(f"  workaround (known error): {safe(behind['workaround'], 400)}")
    for timer in timers:
        typer.echo(f"  timer {timer.trigger} due {safe(timer.due_at)}")
    for item in files:
        typer.echo(f"  attachment {safe(item['name'])} ({item['size']} bytes, "
                   f"{safe(item['type'])}) seq {item['seq']} sha256 {item['hash']}")


def echo_ticket(ticket: Ticket, version: int) -> None:
    """A ticket's line and its data, as text."""
    typer.echo(f"#{ticket.id} {ticket.process} v{version}  state={ticket.where()}  "
               f"post={safe(ticket.post)}  assignee={safe(ticket.assignee)}")
    for key, value in ticket.data.items():
        typer.echo(f"  {key}: {safe(value, 200)}")


def attachments(events: list[Event]) -> list[dict[str, Any]]:
    """The files that came with a ticket's mail, from its journal (with the event's seq)."""
    return [{"seq": event.seq, "name": item.get("filename"), "type": item.get("content_type"),
             "size": item.get("size"), "hash": item.get("hash")}
            for event in events for item in event.details.get("attachments", [])
            if isinstance(item, dict)]


def history(ticket: int, db: Db = DEFAULT_DB, json: Json = False, actor: Actor = None
            ) -> None:
    """Show a ticket's journal."""
    source, account = reads_as(db, actor)
    try:
        check_read(account, source.store.load_ticket(ticket))
        events = reading.history(source.store, ticket)
    finally:
        source.store.close()
    if json:
        print_json([event_record(e) for e in events])
        return
    print_table(["seq", "at", "actor", "kind", "trigger", "from", "to", "note"],
                [[e.seq, e.at, e.actor, e.kind, e.trigger, e.source, e.dest, e.note]
                 for e in events])
