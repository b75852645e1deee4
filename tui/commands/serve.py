"""``ticketflow serve``: the HTTP API (and, unless --no-worker, the timer worker) in one
process. The API's modules are imported only when this command runs."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from engine.core.errors import TicketflowError
from engine.desk.desk import Desk
from engine.desk.workers import Backoff, TimerWorker, default_name
from engine.time.clock import SystemClock
from tui.commands import webhooks
from tui.options import DEFAULT_DB, Config, Db
from tui.wiring import UNAVAILABLE, open_workspace


def register(app: typer.Typer) -> None:
    app.command()(serve)


def serve(
    db: Db = DEFAULT_DB,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="The port.")] = 8080,
    no_worker: Annotated[bool, typer.Option(
        "--no-worker", help="Do not fire timers in this process (run `ticketflow worker`).")
                         ] = False,
    alerts: Annotated[Path | None, typer.Option(
        help="The alert rules file (default: flows/intake/alerts.yaml).")] = None,
    assessment: Annotated[Path | None, typer.Option(
        envvar="TICKETFLOW_ASSESSMENT", help="The assessment file (default: "
        "flows/assessment.yaml).")] = None,
    config: Config = None,
) -> None:
    """Serve the API at http://HOST:PORT/api/v1 (docs at /docs) and the requester's page at
    /r/TOKEN over the desk at --db."""
    from api.server import serve as serve_api

    secret = link_secret(config)
    open_workspace(db).store.close()  # the schema created or upgraded once, before both
    stop = threading.Event()
    worker = None if no_worker else _start_worker(db, stop)
    try:
        serve_api(db, host=host, port=port, alerts=alerts, assessment=assessment,
                  link_secret=secret)
    finally:
        stop.set()
        if worker is not None:
            worker.join(timeout=10)


def link_secret(config: str | None) -> bytes | None:
    """The secret of the requester's links: the settings file's (or the environment's)."""
    from engine.mail.settings import SECRET_ENV
    from tui.commands.mail_cmds import settings_from

    if config:
        return settings_from(config).secret()
    value = os.environ.get(SECRET_ENV)
    return value.encode("utf-8") if value else None


def _start_worker(db: str, stop: threading.Event) -> threading.Thread:
    """The timer worker (and webhook deliveries) on a thread of its own, until ``stop``."""
    def connect() -> Desk:
        return open_workspace(db).desk

    name = default_name()
    runner = TimerWorker(connect=connect, name=name, transient=UNAVAILABLE,
                         interval=1.0, backoff=Backoff(ceiling=60.0),
                         also=webhooks.passes(db, name, _log),
                         lease=timedelta(minutes=1), sleep=lambda seconds: _wait(stop, seconds),
                         stopped=stop.is_set,
                         report=_log)
    def work() -> None:
        try:
            runner.run()
        except TicketflowError as exc:  # a damaged database: the API still answers reads
            _log(f"stopped: {' '.join(str(exc).split())}")

    thread = threading.Thread(target=work, name="ticketflow-worker", daemon=True)
    thread.start()
    return thread


def _wait(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)


def _log(message: str) -> None:
    stamp = SystemClock().now().isoformat(timespec="seconds")
    typer.echo(f"{stamp} worker: {message}", err=True)
