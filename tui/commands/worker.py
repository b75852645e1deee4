"""``ticketflow worker``: fire due timers (process timers, SLA warnings and breaches)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from engine.desk.desk import Desk
from engine.desk.workers import Backoff, TimerWorker, default_name
from engine.time.clock import SystemClock
from tui.commands import webhooks
from tui.options import DEFAULT_DB, Db, Json
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
) -> None:
    """Fire due timers, each in the transaction that marks it fired, and deliver webhooks;
    several may run at once."""
    def connect() -> Desk:
        return open_workspace(db).desk

    name = name or default_name()
    runner = TimerWorker(connect=connect, name=name, transient=UNAVAILABLE,
                         batch=batch, interval=interval, backoff=Backoff(ceiling=60.0),
                         lease=timedelta(minutes=1), report=_log,
                         also=webhooks.passes(db, name, _log))
    handled = runner.run(once=once, attempts=attempts or (5 if once else None))
    if json:
        print_json({"worker": runner.name, "handled": handled})
    else:
        typer.echo(f"worker {runner.name}: {handled} timer(s) handled")


def _log(message: str) -> None:
    stamp = SystemClock().now().isoformat(timespec="seconds")
    typer.echo(f"{stamp} {message}", err=True)
