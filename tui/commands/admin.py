"""Setting a desk up: init, accounts (users …), deploy and processes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from engine.accounts.policy import SETTINGS, value_of
from engine.accounts.sessions import LoginSessions
from engine.core.errors import BadRequest, SpecError
from engine.desk.reading import DESK_WIDE, require_any
from engine.process import yamlfile
from engine.process.fields import parse_timestamp
from engine.process.load import load_process
from tui.options import DEFAULT_DB, Actor, Db, Json
from tui.output import print_json, print_table
from tui.records import account_record
from tui.session import acting_account, read_new_password, reading_account
from tui.wiring import open_workspace

users = typer.Typer(help="Manage accounts (admin role).", no_args_is_help=True)
Stdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")]


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(deploy)
    app.command()(processes)
    app.add_typer(users, name="users")
    app.add_typer(settings, name="settings")


def init(admin: Annotated[str, typer.Option("--admin", help="The first admin's name.")],
         db: Db = DEFAULT_DB, password_stdin: Stdin = False,
         post: Annotated[str | None, typer.Option(help="The admin's post.")] = None) -> None:
    """Create or upgrade the schema and create the first admin."""
    workspace = open_workspace(db)
    if workspace.store.list_accounts():
        typer.echo(f"schema up to date; {db} already has accounts")
        return
    password = read_new_password(password_stdin)
    workspace.accounts.add(None, username=admin, password=password, roles=["admin"], post=post)
    typer.echo(f"initialised {db}; admin {admin!r} created")


def deploy(paths: Annotated[list[Path], typer.Argument(help="Process files or folders.")],
           db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Deploy process files: a new version for each file whose content changed."""
    files = process_files(paths)
    if not files:
        raise BadRequest("no process files found in " + ", ".join(map(str, paths)))
    loaded, problems = [], []
    for path in files:
        try:
            loaded.append(load_process(path))
        except SpecError as exc:
            problems.extend(exc.problems)
    if problems:
        raise SpecError(problems)
    workspace = open_workspace(db)
    done = workspace.desk.deploy(loaded, acting_account(workspace, actor))
    if json:
        print_json([vars(d) for d in done])
        return
    for item in done:
        status = "deployed" if item.new else "unchanged"
        typer.echo(f"{item.name} v{item.number} {item.digest[:12]} {status}")


def processes(db: Db = DEFAULT_DB, json: Json = False,
              name: Annotated[str | None, typer.Argument(help="Only this process.")] = None,
              actor: Actor = None) -> None:
    """List deployed process versions."""
    workspace = open_workspace(db)
    reading_account(workspace, actor)
    versions = workspace.desk.versions(name)
    if json:
        print_json([{"name": v.name, "version": v.number, "digest": v.digest,
                     "deployed_by": v.deployed_by, "deployed_at": v.deployed_at}
                    for v in versions])
        return
    print_table(["process", "version", "digest", "deployed by", "deployed at"],
                [[v.name, v.number, v.digest[:12], v.deployed_by, v.deployed_at]
                 for v in versions])


def process_files(paths: list[Path]) -> list[Path]:
    """The process files among these files and folders (other YAML files are skipped)."""
    found = []
    for path in paths:
        candidates = sorted(path.rglob("*.y*ml")) if path.is_dir() else [path]
        found += [c for c in candidates if path.is_file() or _is_process(c)]
    return found


def _is_process(path: Path) -> bool:
    try:
        data = yamlfile.load(path)
    except SpecError:
        return True  # let loading report the problem
    return isinstance(data, dict) and "process" in data


def _expiry(text: str | None) -> datetime | None:
    try:
        return parse_timestamp(text) if text else None
    except ValueError as exc:
        raise BadRequest(f"--expires: {exc}") from None


@users.command("add")
def users_add(
    name: str,
    role: Annotated[list[str], typer.Option("--role", help="A role, repeatable.")],
    post: Annotated[str | None, typer.Option(help="The account's post.")] = None,
    group: Annotated[str | None, typer.Option(
        help="The group of its post the account works in (a handling group, a vendor "
             "company).")] = None,
    vendor: Annotated[bool, typer.Option("--vendor", help="A vendor's account.")] = False,
    expires: Annotated[str | None, typer.Option(help="ISO 8601 expiry.")] = None,
    display: Annotated[str | None, typer.Option("--display-name")] = None,
    password_stdin: Stdin = False, db: Db = DEFAULT_DB, actor: Actor = None,
    json: Json = False,
) -> None:
    """Create an account; its password comes from --password-stdin or a prompt."""
    workspace = open_workspace(db)
    admin = acting_account(workspace, actor)
    account = workspace.accounts.add(
        admin, username=name, password=read_new_password(password_stdin), roles=role,
        post=post, display_name=display, vendor=vendor, expires_at=_expiry(expires),
        group=group)
    if json:
        print_json(account_record(account))
    else:
        typer.echo(f"account {account.username!r} created")


@users.command("list")
def users_list(db: Db = DEFAULT_DB, json: Json = False, actor: Actor = None) -> None:
    """List accounts (never their passwords): admins and auditors."""
    workspace = open_workspace(db)
    reading_account(workspace, actor, DESK_WIDE, "listing accounts")
    accounts = [account_record(a) for a in workspace.store.list_accounts()]
    if json:
        print_json(accounts)
        return
    print_table(["username", "roles", "post", "group", "vendor", "expires", "disabled",
                 "last login", "locked until"],
                [[a["username"], ",".join(a["roles"]), a["post"], a["group"], a["vendor"],
                  a["expires_at"],
                  a["disabled"], a["last_login_at"], a["locked_until"]] for a in accounts])


@users.command("group")
def users_group(
    name: str,
    group: Annotated[str, typer.Argument(help="The group of the account's post; '-' for "
                                              "none.")],
    db: Db = DEFAULT_DB, actor: Actor = None,
) -> None:
    """Put an account in a group of its post (admin); '-' takes it out."""
    workspace = open_workspace(db)
    account = workspace.accounts.update(acting_account(workspace, actor), name,
                                        group="" if group == "-" else group)
    typer.echo(f"account {name!r} is in the group {account.group or '-'}")


@users.command("disable")
def users_disable(name: str, db: Db = DEFAULT_DB, actor: Actor = None) -> None:
    """Disable an account: it can no longer log in or act."""
    workspace = open_workspace(db)
    workspace.accounts.update(acting_account(workspace, actor), name, disabled=True)
    typer.echo(f"account {name!r} disabled")


@users.command("enable")
def users_enable(name: str, db: Db = DEFAULT_DB, actor: Actor = None) -> None:
    """Enable a disabled account again."""
    workspace = open_workspace(db)
    workspace.accounts.update(acting_account(workspace, actor), name, disabled=False)
    typer.echo(f"account {name!r} enabled")


@users.command("passwd")
def users_passwd(name: str, password_stdin: Stdin = False, db: Db = DEFAULT_DB,
                 actor: Actor = None) -> None:
    """Set a password: your own, or anyone's as an admin."""
    workspace = open_workspace(db)
    account = acting_account(workspace, actor)
    workspace.accounts.set_password(account, name, read_new_password(password_stdin))
    typer.echo(f"password of {name!r} changed; its login sessions ended")


@users.command("unlock")
def users_unlock(name: str, db: Db = DEFAULT_DB, actor: Actor = None) -> None:
    """Lift a lock-out after repeated failed logins (admin)."""
    workspace = open_workspace(db)
    workspace.accounts.unlock(acting_account(workspace, actor), name)
    typer.echo(f"account {name!r} unlocked")


@users.command("sessions")
def users_sessions(name: str, db: Db = DEFAULT_DB, actor: Actor = None,
                   json: Json = False) -> None:
    """List an account's live login sessions: your own, or anyone's as an admin."""
    workspace = open_workspace(db)
    reader = acting_account(workspace, actor)
    if reader.username != name:
        require_any(reader, ("admin",), "listing another account's sessions")
    workspace.store.get_account(name)  # NotFound names an unknown account
    found = LoginSessions(workspace.store, workspace.desk.clock).listed(name)
    if json:
        print_json([{"username": s.username, "session": s.tag, "created_at": s.created_at,
                     "expires_at": s.expires_at} for s in found])
        return
    print_table(["session", "created", "expires"],
                [[s.tag, s.created_at, s.expires_at] for s in found])


@users.command("revoke")
def users_revoke(name: str, db: Db = DEFAULT_DB, actor: Actor = None) -> None:
    """End every login session of an account (admin); journaled."""
    workspace = open_workspace(db)
    admin = acting_account(workspace, actor)
    count = len(LoginSessions(workspace.store, workspace.desk.clock).listed(name))
    workspace.accounts.end_sessions(admin, name)
    typer.echo(f"ended {count} login session(s) of {name!r}")


settings = typer.Typer(help="Desk-wide settings (admin role to change).",
                       no_args_is_help=True)


@settings.command("show")
def settings_show(db: Db = DEFAULT_DB, actor: Actor = None, json: Json = False) -> None:
    """Every setting with its value, default and range."""
    workspace = open_workspace(db)
    reading_account(workspace, actor)
    rows = [{"key": s.key, "value": value_of(workspace.store, s.key), "default": s.default,
             "range": [s.low, s.high], "help": s.help} for s in SETTINGS.values()]
    if json:
        print_json(rows)
        return
    print_table(["setting", "value", "default", "range", "meaning"],
                [[r["key"], r["value"], r["default"], f"{s.low}..{s.high}", r["help"]]
                 for r, s in zip(rows, SETTINGS.values(), strict=True)])


@settings.command("set")
def settings_set(key: str, value: str, db: Db = DEFAULT_DB, actor: Actor = None) -> None:
    """Change a setting (admin); journaled."""
    workspace = open_workspace(db)
    stored = workspace.accounts.set_setting(acting_account(workspace, actor), key, value)
    typer.echo(f"{key} = {stored}")
