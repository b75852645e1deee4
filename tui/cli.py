"""The ``ticketflow`` command line: the root app, and the one place errors become exit codes.

Exit codes: 0 success; 1 a check that ran and failed; 2 bad input (one ``error:`` line,
or ``path:line:column: message`` lines for files); 3 a conflict or a refusal. Never a
traceback for bad input.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import cache

import typer
from typer._click.core import Command, Context
from typer._click.exceptions import ClickException
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup
from typer.models import CommandInfo

from engine.core.errors import SpecError, TicketflowError
from tui.commands import COMMANDS
from tui.i18n import _
from tui.output import CheckFailed

HELP = "ticketflow: a workflow engine for IT service desks."


@cache
def _load(name: str) -> Command:
    """The click command ``name``, built from its module (imported now) and nothing else."""
    app = typer.Typer(rich_markup_mode=None)  # plain help, as the root's
    importlib.import_module(f"tui.commands.{COMMANDS[name].module}").register(app)
    app.registered_commands = [c for c in app.registered_commands if _name(c) == name]
    app.registered_groups = [g for g in app.registered_groups if g.name == name]
    return typer.main.get_group(app).commands[name]


def _name(command: CommandInfo) -> str | None:
    if command.name or command.callback is None:
        return command.name
    return typer.main.get_command_name(command.callback.__name__)


class LazyCommands(Mapping[str, Command]):
    """Every command by name; a command's module is imported when the command is looked up."""

    def __getitem__(self, name: str) -> Command:
        if name not in COMMANDS:
            raise KeyError(name)
        return _load(name)

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyGroup(TyperGroup):
    """The root command: its help comes from :data:`COMMANDS`, so listing imports nothing."""

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for name, entry in COMMANDS.items():
            sections.setdefault(entry.section, []).append((name, entry.help))
        for title, rows in sections.items():
            with formatter.section(title):
                formatter.write_dl(rows)


@cache
def _command() -> LazyGroup:
    """The root command (plain help: Rich costs more to import than listing the commands)."""
    return LazyGroup(name="ticketflow", commands=LazyCommands(),  # type: ignore[arg-type]
                     no_args_is_help=True, help=HELP, rich_markup_mode=None)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` and return its exit code."""
    command = _command()
    try:  # Typer >= 0.25 vendors click: its own errors; typer.Exit is returned
        code = command.main(args=list(argv) if argv is not None else None,
                            prog_name="ticketflow", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except ClickException as exc:
        exc.show()
        return 2
    except (typer.Abort, KeyboardInterrupt):
        print("error: " + _("aborted"), file=sys.stderr)
        return 2
    except CheckFailed as exc:
        if str(exc):
            print(str(exc), file=sys.stderr)
        return 1
    except SpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except TicketflowError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a path argument the system refuses: too long, not permitted
        print(f"error: {_one_line(_os_error(exc))}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0


def _os_error(exc: OSError) -> str:
    """An OSError in one line, its file name cut short."""
    name = str(exc.filename) if exc.filename is not None else ""
    if len(name) > 80:
        name = name[:79] + "…"
    return f"{exc.strerror or exc}: {name}" if name else str(exc.strerror or exc)


def _one_line(message: str) -> str:
    return " ".join(message.split()) or "failed"


def main() -> None:
    """The console script's entry point."""
    sys.exit(run())
