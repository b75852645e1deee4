"""``ticketflow mail``: receive mail (``serve``), see what was received and quarantined, and
fetch an attachment. Delivering mail is the worker's (``ticketflow worker --config``)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from engine.core.errors import BadRequest, Forbidden
from engine.desk.reading import READ_ALL, check_read, reads_all
from engine.mail.incoming import Incoming
from engine.mail.settings import MailSettings, load_settings
from tui.commands.reading import attachments
from tui.options import DEFAULT_DB, Actor, Config, Db, Json
from tui.output import print_json, print_table
from tui.records import inbound_record
from tui.session import reading_account
from tui.wiring import UNAVAILABLE, open_workspace

STATUSES = ("opened", "comment", "confirmed", "duplicate", "quarantined")


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="The desk's mail: receive it, see it.")
    group.command("serve")(serve)
    group.command("received")(received)
    group.command("quarantine")(quarantine)
    group.command("attachment")(attachment)
    app.add_typer(group, name="mail")


def settings_from(config: str | None) -> MailSettings:
    """The mail settings of ``--config`` / TICKETFLOW_CONFIG; BadRequest when none."""
    if not config:
        raise BadRequest("no mail settings: pass --config FILE or set TICKETFLOW_CONFIG "
                         "(docs/mail.md)")
    return load_settings(config)


def serve(port: Annotated[int, typer.Option(min=1, max=65535, help="The port to listen on.")],
          host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
          smtp: Annotated[bool, typer.Option("--smtp", help="Speak SMTP instead of LMTP.")
                          ] = False,
          db: Db = DEFAULT_DB, config: Config = None) -> None:
    """Receive mail over LMTP (or SMTP) until interrupted; one log line per mail."""
    from mail.server import DeskController, DeskHandler

    settings = settings_from(config)
    workspace = open_workspace(db)
    workspace.desk.current(settings.process)  # NotFound now rather than at the first mail
    handler = DeskHandler(take=Incoming(workspace.desk, settings).take, settings=settings,
                          transient=UNAVAILABLE, lmtp=not smtp)
    controller = DeskController(handler, host=host, port=port)
    stop = threading.Event()
    for sign in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sign, lambda *_: stop.set())
    controller.start()
    typer.echo(f"receiving {'SMTP' if smtp else 'LMTP'} on {host}:{port} for "
               f"{', '.join(sorted(settings.desk_addresses))}", err=True)
    try:
        stop.wait()
    finally:
        controller.stop()
        handler.executor.shutdown()


def received(db: Db = DEFAULT_DB, json: Json = False,
             status: Annotated[str | None, typer.Option(
                 help=f"Only this outcome: {', '.join(STATUSES)}.")] = None,
             after: Annotated[int | None, typer.Option(help="Page after this id.")] = None,
             limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
             actor: Actor = None) -> None:
    """List received mail and what became of it, oldest first (admins, auditors and
    supervisors: mail comes for any ticket, and from anyone)."""
    if status is not None and status not in STATUSES:
        raise BadRequest(f"unknown status {status!r} (known: {', '.join(STATUSES)})")
    workspace = open_workspace(db)
    reading_account(workspace, actor, READ_ALL, "the desk's mail")
    mails = workspace.store.inbound_mail(status=status, after=after, limit=limit)
    if json:
        print_json([inbound_record(m) for m in mails])
        return
    print_table(["id", "received_at", "from", "status", "ticket", "reason"],
                [[m.id, m.received_at, m.sender, m.status, m.ticket_id, m.reason]
                 for m in mails])


def quarantine(db: Db = DEFAULT_DB, json: Json = False,
               after: Annotated[int | None, typer.Option(help="Page after this id.")] = None,
               limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
               actor: Actor = None) -> None:
    """List quarantined mail with the reason each was not taken in."""
    received(db=db, json=json, status="quarantined", after=after, limit=limit, actor=actor)


def attachment(digest: Annotated[str, typer.Argument(help="The attachment's SHA-256.")],
               output: Annotated[Path, typer.Option("--output", "-o", help="Write it here.")],
               ticket: Annotated[int | None, typer.Option(
                   help="The ticket it came with (needed by those who read only some).")
               ] = None,
               db: Db = DEFAULT_DB, actor: Actor = None) -> None:
    """Write a stored attachment to a file: one that came with a ticket the account reads."""
    workspace, digest = open_workspace(db), digest.strip().lower()
    reader = reading_account(workspace, actor)
    if not reads_all(reader):
        if ticket is None:
            raise BadRequest("name the ticket the file came with: --ticket N")
        check_read(reader, workspace.desk.ticket(ticket))
        if digest not in {a["hash"] for a in attachments(workspace.desk.history(ticket))}:
            raise Forbidden(f"no file {digest[:12]} came with ticket {ticket}")
    content = workspace.store.attachment(digest)
    output.write_bytes(content)
    typer.echo(f"{len(content)} bytes written to {output}")
