"""``ticketflow worker``: fire due timers (process timers, SLA warnings and breaches)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

import typer

from engine.desk.desk import Desk
from engine.desk.workers import Backoff, TimerWorker, default_name
from engine.time.clock import SystemClock
from tui.commands import webhooks
from tui.options import DEFAULT_DB, Config, Db, Json
from tui.output import print_json
from tui.wiring import UNAVAILABLE, open_workspace


def register(app: typer.Typer) -> None:
    app.command()(worker)


def worker(
    db: Db = DEFAULT_DB, json: Json = False,
    once: Annotated[bool, typer.Option("--once", help="Fire what is due now, then stop.")] = False,
    interval: Annotated[float, typer.Option(min=0.01, help="Seconds between polls when idle.")
                        ] = 1.0,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Timers claimed at a time.")
                     ] = 100,
    name: Annotated[str | None, typer.Option(help="This worker's name (default host-pid).")
                    ] = None,
    attempts: Annotated[int | None, typer.Option(
        min=1, help="Give up after this many failed tries in a row (default: never; "
                    "5 with --once).")] = None,
    config: Config = None,
) -> None:
    """Fire due timers, each in the transaction that marks it fired; several may run at once.

    It also delivers webhooks, and with mail settings (``--config``) the desk's mail by SMTP.
    """
    def connect() -> Desk:
        return open_workspace(db).desk

    worker_name = name or default_name()
    hooks = webhooks.passes(db, worker_name, _log)
    mail = _mail_pass(config, worker_name) if config else None
    runner = TimerWorker(connect=connect, name=worker_name, transient=UNAVAILABLE,
                         batch=batch, interval=interval, backoff=Backoff(ceiling=60.0),
                         lease=timedelta(minutes=1), report=_log,
                         also=lambda desk: (mail(desk) if mail else 0) + hooks(desk))
    handled = runner.run(once=once, attempts=attempts or (5 if once else None))
    if json:
        print_json({"worker": runner.name, "handled": handled, "mail": runner.done_also})
    else:
        typer.echo(f"worker {runner.name}: {handled} timer(s) handled"
                   + (f", {runner.done_also} mail row(s) planned or sent" if config else ""))


def _mail_pass(config: str, worker_name: str) -> Callable[[Desk], int]:
    """Deliver the desk's mail on every pass of the worker (one Outgoing per desk)."""
    from engine.mail.outgoing import Outgoing
    from mail.smtp import SmtpSender
    from tui.commands.mail_cmds import settings_from

    settings = settings_from(config)
    sender = SmtpSender(settings)
    made: dict[int, Outgoing] = {}

    def deliver(desk: Desk) -> int:
        outgoing = made.get(id(desk))
        if outgoing is None or outgoing.desk is not desk:
            made.clear()
            outgoing = made[id(desk)] = Outgoing(desk, settings, worker_name)
        return outgoing.pass_once(sender)

    return deliver


def _log(message: str) -> None:
    stamp = SystemClock().now().isoformat(timespec="seconds")
    typer.echo(f"{stamp} {message}", err=True)
