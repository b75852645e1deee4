"""``ticketflow problems``: problem records — list, show one with its linked tickets, link
and unlink a ticket. Problems open and move with the ordinary ``open problem`` and
``fire``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from engine.core.model import Account, Ticket
from engine.desk.problems import ProblemLink, Problems, workaround
from engine.desk.reading import may_read
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table, safe
from tui.records import ticket_record
from tui.session import acting_account, reading_account
from tui.wiring import Workspace, open_workspace

Note = Annotated[str | None, typer.Option("--note", help="Why, kept in both journals.")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help=(
        "Problem records: list, show one with its linked tickets, link or unlink a ticket."))
    group.command("list")(list_)
    group.command("show")(show)
    group.command("link")(link)
    group.command("unlink")(unlink)
    app.add_typer(group, name="problems")


def problems_of(workspace: Workspace) -> Problems:
    return Problems(workspace.desk)


def list_(db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False,
          open_only: Annotated[bool, typer.Option("--open", help="Only open problems.")]
          = False) -> None:
    """List the problems, oldest first, with how many tickets link to each."""
    workspace = open_workspace(db)
    reading_account(workspace, actor)
    problems = problems_of(workspace)
    found, counts = problems.all(open_only=open_only), problems.counts()
    records = [problem_view(p, counts.get(p.id, 0)) for p in found]
    if json:
        print_json(records)
        return
    print_table(["id", "state", "assignee", "item", "linked", "summary", "workaround"],
                [[r["id"], r["state"], r["assignee"], r["data"].get("item"), r["linked"],
                  safe(r["data"].get("summary"), 60), safe(r["workaround"], 60)]
                 for r in records])


def problem_view(problem: Ticket, linked: int) -> dict[str, Any]:
    """A problem as JSON-able data: the ticket, its workaround while a known error, and how
    many tickets link to it."""
    return {**ticket_record(problem), "workaround": workaround(problem), "linked": linked}


def show(problem: int, db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False
         ) -> None:
    """A problem with the tickets linked to it (those you may read)."""
    workspace = open_workspace(db)
    reader = reading_account(workspace, actor)
    record = problem_detail(workspace, reader, problem)
    if json:
        print_json(record)
        return
    typer.echo(f"problem #{record['id']}  state={record['state']}  "
               f"assignee={safe(record['assignee'])}  {safe(record['data'].get('summary'))}")
    for key in ("item", "workaround", "root_cause", "resolution"):
        value = record["workaround"] if key == "workaround" else record["data"].get(key)
        if value:
            typer.echo(f"  {key.replace('_', ' ')}: {safe(value, 200)}")
    typer.echo(f"  linked tickets: {record['linked']}" + ("" if record["tickets"] else
                                                           " (none you may read)"
                                                           if record["linked"] else ""))
    for t in record["tickets"]:
        typer.echo(f"    #{t['id']} {t['process']} {safe(t['state'])} post={safe(t['post'])} "
                   f"assignee={safe(t['assignee'])}  {safe(t['data'].get('summary'), 60)}")


def problem_detail(workspace: Workspace, reader: Account, problem_id: int
                   ) -> dict[str, Any]:
    """A problem and the linked tickets ``reader`` may read; BadRequest if not a problem."""
    problems = problems_of(workspace)
    problem = problems.require(problem_id)
    linked = problems.linked(problem.id)
    return {**problem_view(problem, len(linked)),
            "tickets": [ticket_record(t) for t in linked if may_read(reader, t)]}


def link(ticket: int, problem: int, db: Db = DEFAULT_DB, actor: Actor = None,
         json: Json = False, note: Note = None) -> None:
    """Link a ticket (an incident, a fault) to the problem behind it, journaled on both."""
    workspace = open_workspace(db)
    done = problems_of(workspace).link(ticket, problem, acting_account(workspace, actor),
                                       note)
    _done(done, "linked to", json)


def unlink(ticket: int, db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False,
           note: Note = None) -> None:
    """Undo a ticket's link to its problem, journaled on both."""
    workspace = open_workspace(db)
    done = problems_of(workspace).unlink(ticket, acting_account(workspace, actor), note)
    _done(done, "unlinked from", json)


def _done(link: ProblemLink, what: str, json: bool) -> None:
    if json:
        print_json(link.as_dict())
    else:
        typer.echo(f"ticket {link.ticket_id} {what} problem {link.problem_id}")
