"""Keeping a desk's records: ``export``, ``migrate``, ``backup`` and ``restore``.

``restore`` copies a backup into a new, empty database and then runs ``audit verify`` on
the result (exit 1 when it finds a violation).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from engine.audit.export import FORMATS, Exporter, selected
from engine.audit.migration import Migration, parse_mapping
from engine.core.errors import BadRequest
from engine.desk.reading import DESK_WIDE
from tui.commands.audit import KeyFile, read_key, report_record, summary, verified
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import CheckFailed, print_json
from tui.session import acting_account, reading_account
from tui.wiring import backup_database, open_workspace, restore_database


def register(app: typer.Typer) -> None:
    for command in (export, migrate, backup, restore):
        app.command()(command)


def export(
    format: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")],
    ticket: Annotated[int | None, typer.Option(help="Only this ticket.")] = None,
    period: Annotated[str | None, typer.Option(help="Only events of this month, YYYY-MM.")]
    = None,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Write here (default: stdout).")] = None,
    db: Db = DEFAULT_DB, actor: Actor = None,
) -> None:
    """Export the journal as JSON Lines, CSV or XES (IEEE 1849, for process mining)."""
    if ticket is not None and period is not None:
        raise BadRequest("give --ticket or --period, not both")
    if format not in FORMATS:
        raise BadRequest(f"unknown format {format!r} (use {', '.join(FORMATS)})")
    workspace = open_workspace(db)
    reading_account(workspace, actor, DESK_WIDE, "exporting the journal")
    store = workspace.store
    events = selected(store, ticket, period)
    if output is None:
        Exporter(store).write(events, format, sys.stdout)
        return
    with output.open("w", encoding="utf-8", newline="") as out:
        count = Exporter(store).write(events, format, out)
    typer.echo(f"exported {count} event(s) to {output}")


def migrate(
    process: str,
    to: Annotated[int, typer.Option("--to", help="The target version number.")],
    map_: Annotated[list[str] | None, typer.Option("--map", help="OLD=NEW state, repeatable.")]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show the moves.")] = False,
    db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False,
) -> None:
    """Move a process's open tickets to another of its versions, each move journaled."""
    workspace = open_workspace(db)
    migration = Migration(workspace.desk)
    mapping = parse_mapping(map_ or [])
    if dry_run:
        moves = migration.plan(process, to, mapping)
    else:
        moves = migration.run(process, to, mapping, acting_account(workspace, actor))
    if json:
        print_json({"dry_run": dry_run, "to_version": to, "moves": [vars(m) for m in moves]})
        return
    for move in moves:
        typer.echo(f"ticket {move.ticket_id}: v{move.source_version} {move.source} -> "
                   f"v{to} {move.dest}")
    verb = "would move" if dry_run else "moved"
    typer.echo(f"{verb} {len(moves)} open ticket(s) of {process} to version {to}")


def backup(path: Annotated[Path, typer.Argument(help="A new file to write.")],
           db: Db = DEFAULT_DB, actor: Actor = None) -> None:
    """Copy the database consistently while agents work (SQLite file or logical dump)."""
    reading_account(open_workspace(db), actor, ("admin",), "a backup")
    kind = backup_database(db, path)
    what = "a SQLite file" if kind == "sqlite" else "a ticketflow dump (JSON Lines)"
    typer.echo(f"backed up {db} to {path} ({what})")


def restore(path: Annotated[Path, typer.Argument(help="A file written by `backup`.")],
            db: Db = DEFAULT_DB, json: Json = False, key_file: KeyFile = None) -> None:
    """Restore a backup into a new, empty database, then verify it."""
    rows = restore_database(path, db)
    report = verified(open_workspace(db), None, read_key(key_file, required=False))
    if json:
        print_json({"rows": rows, "verify": report_record(report)})
    else:
        typer.echo(f"restored {rows} row(s) from {path} into {db}")
        for violation in report.violations:
            typer.echo(str(violation))
        typer.echo(summary(report))
    if not report.ok:
        raise CheckFailed(f"the restored database fails verification: "
                          f"{len(report.violations)} violation(s)")
