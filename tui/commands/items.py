"""``ticketflow items``: the configuration items (CMDB) — load a file, list, show one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from engine.core.model import Account, TicketQuery
from engine.desk.items import Items, read_items
from engine.desk.reading import readable
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table, safe
from tui.records import ticket_record
from tui.session import acting_account, reading_account
from tui.wiring import Workspace, open_workspace


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help=(
        "Configuration items (the CMDB): load a YAML or CSV file, list, show one with its "
        "open tickets and impact."))
    group.command("load")(load)
    group.command("list")(list_)
    group.command("show")(show)
    app.add_typer(group, name="items")


def items_of(workspace: Workspace) -> Items:
    return Items(workspace.store, workspace.desk.clock)


def load(path: Annotated[Path, typer.Argument(help="A YAML (items: [...]) or CSV file.")],
         db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Add or replace the items of a YAML or CSV file, with their relations (admin)."""
    workspace = open_workspace(db)
    loaded = items_of(workspace).load(read_items(path), acting_account(workspace, actor))
    if json:
        print_json([item.as_dict() for item in loaded])
    else:
        typer.echo(f"{len(loaded)} item(s) loaded from {path}")


def list_(db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """List every configuration item."""
    workspace = open_workspace(db)
    reading_account(workspace, actor)
    found = items_of(workspace).all()
    if json:
        print_json([item.as_dict() for item in found])
        return
    print_table(["name", "kind", "owner group", "vendor", "criticality", "runs on",
                 "depends on"],
                [[i.name, i.kind, i.owner_group, i.vendor, i.criticality, ",".join(i.runs_on),
                  ",".join(i.depends_on)] for i in found])


def show(name: str, db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """An item with its open tickets and its impact (what runs on it or depends on it)."""
    workspace = open_workspace(db)
    reader = reading_account(workspace, actor)
    record = item_view(workspace, reader, name)
    if json:
        print_json(record)
        return
    print_item(record, indent="")


def item_view(workspace: Workspace, reader: Account, name: str,
              skip: int | None = None) -> dict[str, Any]:
    """An item as JSON-able data with the open tickets linked to it that ``reader`` may read
    (but ``skip``) and its impact."""
    items = items_of(workspace)
    item = items.get(name)
    query = TicketQuery(item=name, item_fields=workspace.desk.item_fields(), is_open=True,
                        limit=100, descending=True)
    tickets = [t for t in workspace.desk.tickets(readable(reader, query)) if t.id != skip]
    return {**item.as_dict(), "open_tickets": [ticket_record(t) for t in tickets],
            "impact": [{"item": i.item.name, "criticality": i.item.criticality,
                        "via": i.path} for i in items.impact(name)]}


def print_item(record: dict[str, Any], indent: str) -> None:
    """An item view as text (``indent`` when it is part of a ticket's view)."""
    typer.echo(f"{indent}item {safe(record['name'])} ({safe(record['kind'])}, "
               f"{record['criticality']}; owner {safe(record['owner_group'])}, vendor "
               f"{safe(record['vendor'])})")
    for relation in ("runs_on", "depends_on"):
        if record[relation]:
            typer.echo(f"{indent}  {relation.replace('_', ' ')}: "
                       f"{', '.join(safe(n) for n in record[relation])}")
    others = record["open_tickets"]
    typer.echo(f"{indent}  open tickets: " + (", ".join(
        f"#{t['id']} {safe(t['state'])} {safe(t['data'].get('summary'), 60)}" for t in others)
        if others else "none"))
    affected = record["impact"]
    typer.echo(f"{indent}  impact: " + ("; ".join(
        f"{safe(i['item'])} ({i['criticality']}, {' ← '.join(i['via'])})" for i in affected)
        if affected else "none"))
