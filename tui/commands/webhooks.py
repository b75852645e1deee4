"""``ticketflow webhooks``: signed POSTs of notifications and state changes (admin role)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from engine.desk.webhooks import Attempt, Delivery, Dispatcher, Subscription
from engine.time.clock import SystemClock
from tui import delivery
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table
from tui.session import acting_account
from tui.wiring import UNAVAILABLE, open_workspace

webhooks = typer.Typer(help="Manage webhooks (admin role).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks, name="webhooks")


def passes(db: str, worker: str, report: Callable[[str], None]) -> Callable[[Any], int]:
    """The webhook pass a timer worker runs after its timers, on a database connection of
    its own (opened at the first pass, opened anew after the database was unavailable)."""
    held: list[Dispatcher] = []

    def run(_desk: Any = None) -> int:  # a TimerWorker's pass: its desk is not needed
        if not held:
            workspace = open_workspace(db)
            held.append(Dispatcher(store=workspace.webhooks.store, clock=SystemClock(),
                                   send=delivery.post, worker=worker, report=report))
        try:
            return held[0].pass_once()
        except UNAVAILABLE:
            held.pop().store.close()  # type: ignore[attr-defined]
            raise

    return run


@webhooks.command("add")
def add(url: str,
        events: Annotated[str, typer.Option(
            "--events", help="Comma-separated topics: notification, notification:KIND, "
                             "state:NAME, state:*.")],
        db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Subscribe a URL; prints the secret that signs its bodies (shown once)."""
    workspace = open_workspace(db)
    topics = [t.strip() for t in events.split(",") if t.strip()]
    hook = workspace.webhooks.add(acting_account(workspace, actor), url, topics)
    if json:
        print_json({**webhook_record(hook), "secret": hook.secret})
        return
    typer.echo(f"webhook {hook.id} posts {', '.join(hook.topics)} to {hook.url}")
    typer.echo(f"its signing secret (shown only now): {hook.secret}")


@webhooks.command("list")
def list_(db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """List subscriptions (never their secrets)."""
    workspace = open_workspace(db)
    hooks = workspace.webhooks.subscriptions(acting_account(workspace, actor))
    if json:
        print_json([webhook_record(h) for h in hooks])
        return
    print_table(["id", "url", "topics", "active", "created", "by"],
                [[h.id, h.url, ",".join(h.topics), h.active, h.created_at, h.created_by]
                 for h in hooks])


@webhooks.command("remove")
def remove(webhook: int, db: Db = DEFAULT_DB, actor: Actor = None) -> None:
    """Stop a subscription (its pending deliveries are not sent)."""
    workspace = open_workspace(db)
    workspace.webhooks.remove(acting_account(workspace, actor), webhook)
    typer.echo(f"webhook {webhook} removed")


@webhooks.command("deliveries")
def deliveries(db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False,
               webhook: Annotated[int | None, typer.Option(help="Only this webhook's.")] = None,
               limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50) -> None:
    """The newest deliveries, each with every attempt (when, the answer, how long)."""
    workspace = open_workspace(db)
    found = workspace.webhooks.deliveries(acting_account(workspace, actor),
                                          webhook_id=webhook, limit=limit)
    if json:
        print_json([{**delivery_record(d), "attempts": [attempt_record(a) for a in tries]}
                    for d, tries in found])
        return
    print_table(["id", "webhook", "topic", "status", "tries", "queued", "next", "last answer"],
                [[d.id, d.webhook_id, d.topic, d.status, d.attempts, d.created_at,
                  d.next_at if d.status == "pending" else "", _last(tries)]
                 for d, tries in found])


def _last(tries: list[Attempt]) -> str:
    if not tries:
        return ""
    last = tries[-1]
    return str(last.status_code) if last.status_code is not None else last.error or ""


def webhook_record(hook: Subscription) -> dict[str, Any]:
    return {"id": hook.id, "url": hook.url, "topics": hook.topics, "active": hook.active,
            "created_at": hook.created_at, "created_by": hook.created_by}


def delivery_record(item: Delivery) -> dict[str, Any]:
    return {"id": item.id, "webhook": item.webhook_id, "topic": item.topic,
            "status": item.status, "attempts": item.attempts, "created_at": item.created_at,
            "next_at": item.next_at, "delivered_at": item.delivered_at, "body": item.body}


def attempt_record(attempt: Attempt) -> dict[str, Any]:
    return {"at": attempt.at, "status": attempt.status_code, "error": attempt.error,
            "seconds": attempt.seconds}
