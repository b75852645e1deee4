"""The ``ticketflow`` command line: the root app, and the one place errors become exit codes.

Exit codes: 0 success; 1 a check that ran and failed; 2 bad input (one ``error:`` line,
or ``path:line:column: message`` lines for files); 3 a conflict or a refusal. Never a
traceback for bad input.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cache

import click
import typer
from typer._click.core import Command as TyperCommand
from typer._click.exceptions import ClickException as TyperClickException

from engine.core.errors import SpecError, TicketflowError
from tui.commands import REGISTRARS
from tui.output import CheckFailed

app = typer.Typer(
    name="ticketflow", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False,
    help="ticketflow: a workflow engine for IT service desks.")

for register in REGISTRARS:
    register(app)


@cache
def _command() -> TyperCommand:
    """The click command Typer builds from the functions (built once: it costs ~0.15 s)."""
    return typer.main.get_command(app)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` and return its exit code."""
    command = _command()
    try:  # Typer >= 0.25 vendors click: its errors are not click's; typer.Exit is returned
        code = command.main(args=list(argv) if argv is not None else None,
                            prog_name="ticketflow", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (click.ClickException, TyperClickException) as exc:
        exc.show()
        return 2
    except (click.exceptions.Abort, typer.Abort, KeyboardInterrupt):
        print("error: aborted", file=sys.stderr)
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
