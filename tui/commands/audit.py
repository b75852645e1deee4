"""Auditors' commands: ``replay`` and ``audit verify | log | seal | report``.

``audit verify`` exits 1 when it finds any violation. The seal key is read from
``--key-file`` or ``TICKETFLOW_SEAL_KEY`` — never from the database.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.audit.audit import Audit
from engine.audit.parallel import verify_in_parallel
from engine.audit.seal import seal_key
from engine.audit.security_report import DORMANT_DAYS, weekly_report
from engine.audit.verify import Report
from engine.core.admin_journal import AdminEntry
from engine.core.errors import BadRequest
from engine.desk.reading import DESK_WIDE, check_read, reads_all
from engine.process.fields import parse_timestamp
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import CheckFailed, print_json, print_table, safe
from tui.records import ticket_record
from tui.session import acting_account, reading_account
from tui.wiring import Workspace, open_workspace

KEY_ENV = "TICKETFLOW_SEAL_KEY"
KeyFile = Annotated[Path | None, typer.Option(
    "--key-file", help=f"The seal key's file (default: the {KEY_ENV} variable).")]
audit = typer.Typer(help="Verify, seal and review the journals.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(replay)
    app.add_typer(audit, name="audit")


def auditor(workspace: Workspace) -> Audit:
    """The audit service on a workspace's store and clock."""
    return Audit(workspace.store, workspace.desk.clock)


def read_key(key_file: Path | None, *, required: bool) -> bytes | None:
    """The seal key from a file or the environment (None when optional and absent)."""
    raw: bytes | str | None = os.environ.get(KEY_ENV)
    if key_file is not None:
        try:
            raw = key_file.read_bytes()
        except OSError as exc:
            raise BadRequest(f"cannot read the key file {key_file}: {exc.strerror}") from None
    if raw is None and not required:
        return None
    return seal_key(raw)


def moment(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 option value as an aware datetime."""
    try:
        return parse_timestamp(text) if text else None
    except ValueError as exc:
        raise BadRequest(f"{option}: {exc}") from None


def replay(ticket: int, db: Db = DEFAULT_DB, json: Json = False,
           at: Annotated[str | None, typer.Option(help="ISO 8601 moment (default: now).")]
           = None, actor: Actor = None) -> None:
    """Rebuild a ticket from its journal alone, as it was at a moment."""
    workspace = open_workspace(db)
    reader = reading_account(workspace, actor)
    rebuilt = auditor(workspace).replay(ticket, moment(at, "--at"))
    if not reads_all(reader):  # who may read it now, by its journal (the row may be damaged)
        check_read(reader, auditor(workspace).replay(ticket))
    version = workspace.store.get_version(rebuilt.digest).number
    if json:
        print_json(ticket_record(rebuilt, version))
        return
    typer.echo(f"#{rebuilt.id} {rebuilt.process} v{version}  state={rebuilt.state}  "
               f"post={safe(rebuilt.post)}  assignee={safe(rebuilt.assignee)}  "
               f"(after event {rebuilt.seq}, {safe(rebuilt.updated_at)})")
    for key, value in rebuilt.data.items():
        typer.echo(f"  {key}: {safe(value, 200)}")


Workers = Annotated[int | None, typer.Option(
    min=1, help="Processes verifying the whole desk (default: one per CPU on a SQLite file).")]


def verified(workspace: Workspace, tickets: list[int] | None, key: bytes | None,
             workers: int | None = None) -> Report:
    """Verify these tickets, or the whole desk on several cores where that helps."""
    on_file = workspace.url.startswith("sqlite:///")
    count = workers or ((os.cpu_count() or 1) if on_file else 1)
    if tickets or count < 2:
        return auditor(workspace).verify(tickets or None, key)
    return verify_in_parallel(lambda: open_workspace(workspace.url).store, key, count)


@audit.command("verify")
def verify(tickets: Annotated[list[int] | None, typer.Argument(help="Only these tickets.")]
           = None, db: Db = DEFAULT_DB, json: Json = False, key_file: KeyFile = None,
           workers: Workers = None, actor: Actor = None) -> None:
    """Recompute every hash chain and re-run every step through its process version."""
    workspace = open_workspace(db)
    reading_account(workspace, actor, DESK_WIDE, "audit verify")
    report = verified(workspace, tickets, read_key(key_file, required=False), workers)
    if json:
        print_json(report_record(report))
    else:
        for violation in report.violations:
            typer.echo(str(violation))
        for note in report.notes:
            typer.echo(f"note: {note}")
        typer.echo(summary(report))
    if not report.ok:
        raise CheckFailed(f"verification failed: {len(report.violations)} violation(s)")


def summary(report: Report) -> str:
    """One line: what was verified, how fast, what was found."""
    found = f"{len(report.violations)} violation(s)" if report.violations else "no violation"
    return (f"verified {report.tickets} ticket(s), {report.events} event(s) and "
            f"{report.admin_entries} admin journal entr(ies) in {report.seconds:.2f} s: "
            f"{found}")


def report_record(report: Report) -> dict[str, Any]:
    """A verification report as JSON-able data."""
    return {"ok": report.ok, "tickets": report.tickets, "events": report.events,
            "admin_entries": report.admin_entries, "seconds": round(report.seconds, 3),
            "violations": [{"ticket": v.ticket, "seq": v.seq, "problem": v.problem}
                           for v in report.violations],
            "notes": report.notes}


@audit.command("log")
def log(db: Db = DEFAULT_DB, json: Json = False,
        since: Annotated[str | None, typer.Option(help="ISO 8601: entries from then on.")]
        = None, actor: Actor = None) -> None:
    """Show the admin journal: deploys, migrations, accounts, logins, seals."""
    workspace = open_workspace(db)
    reading_account(workspace, actor, DESK_WIDE, "the admin journal")
    entries = auditor(workspace).log(moment(since, "--since"))
    if json:
        print_json([entry_record(e) for e in entries])
        return
    print_table(["seq", "at", "actor", "kind", "subject", "details"],
                [[e.seq, e.at, e.actor, e.kind, e.subject, describe(e)] for e in entries])


def entry_record(entry: AdminEntry) -> dict[str, Any]:
    """An admin journal entry as JSON-able data."""
    return {**entry.content(), "hash": entry.hash}


def describe(entry: AdminEntry) -> str:
    """The gist of an entry's details, for the table."""
    details = entry.details
    if "account" in details:
        account = details["account"]
        state = "disabled" if account.get("disabled") else "enabled"
        return f"roles={','.join(account.get('roles', []))} post={account.get('post')} {state}"
    if entry.kind == "seal":
        return f"{details.get('tickets')} ticket(s), mac {str(details.get('mac'))[:16]}…"
    return ", ".join(f"{k}={v}" for k, v in details.items() if not isinstance(v, dict | list))


@audit.command("seal")
def seal(db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False,
         key_file: KeyFile = None) -> None:
    """Sign every chain head with the key kept outside the database; journal the seal."""
    key = read_key(key_file, required=True)
    assert key is not None
    workspace = open_workspace(db)
    entry = auditor(workspace).seal(acting_account(workspace, actor), key)
    details = entry.details
    if json:
        print_json({"seq": entry.seq, "at": entry.at, "tickets": details["tickets"],
                    "admin": details["admin"], "key_id": details["key_id"],
                    "mac": details["mac"]})
        return
    typer.echo(f"sealed {details['tickets']} ticket chain(s) and the admin journal at seq "
               f"{details['admin'][0]}: seal #{entry.seq} {entry.at.isoformat()} "
               f"mac {details['mac']}")
    typer.echo("keep this line outside the database (it names the seal to expect)")


@audit.command("report")
def report(week: Annotated[str, typer.Option(help="An ISO week, YYYY-Www.")],
           db: Db = DEFAULT_DB, json: Json = False,
           dormant_days: Annotated[int, typer.Option(min=1, help="Idle days that make an "
                                                     "account dormant.")] = DORMANT_DAYS,
           actor: Actor = None) -> None:
    """The weekly security review: logins, vendor accesses, approvals, accounts."""
    workspace = open_workspace(db)
    reading_account(workspace, actor, DESK_WIDE, "the security review")
    review = weekly_report(workspace.store, week, dormant_days=dormant_days)
    if json:
        print_json(review)
        return
    typer.echo(f"security review {review.week} ({review.start.date()} – {review.end.date()})")
    sections = [
        ("failed logins", review.failed_logins, ["at", "username", "reason"]),
        ("vendor accesses", review.vendor_accesses,
         ["at", "action", "username", "by", "ticket", "expires_at"]),
        ("verbal approvals waiting for written confirmation", review.unconfirmed_verbal,
         ["ticket", "process", "state", "approved_by", "vendor_account"]),
        ("accounts with powerful roles", review.powerful_accounts,
         ["username", "roles", "post", "last_login_at"]),
        (f"dormant accounts (no login for {dormant_days} days)", review.dormant_accounts,
         ["username", "roles", "post", "last_login_at", "idle_days"]),
    ]
    for title, rows, columns in sections:
        typer.echo(f"\n{title}: {len(rows)}")
        if rows:
            print_table(columns, [[_cell(row.get(c)) for c in columns] for row in rows])


def _cell(value: Any) -> Any:
    return ",".join(map(str, value)) if isinstance(value, list) else value
