"""Commands on files, needing no database: ``validate`` and ``diagram``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.core.errors import SpecError
from engine.files import check_files
from engine.process.diagram import mermaid
from engine.process.load import load_process
from tui.output import print_json


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(diagram)


def validate(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to check.")],
    json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
) -> None:
    """Check process, scenario and assessment files; print path:line:column: message."""
    report = check_files(paths)
    if json:
        print_json({"files": report.checked, "problems": [vars(p) for p in report.problems]})
        if report.problems:
            raise typer.Exit(2)
        return
    if report.problems:
        raise SpecError(report.problems)
    typer.echo(f"{len(report.checked)} file(s) valid")


def diagram(
    path: Annotated[Path, typer.Argument(help="A process file.")],
    format: Annotated[str, typer.Option("--format", help="Only mermaid for now.")] = "mermaid",
) -> None:
    """Print a process's state graph (Mermaid stateDiagram-v2)."""
    if format != "mermaid":
        raise typer.BadParameter("only --format mermaid is supported", param_hint="--format")
    typer.echo(mermaid(load_process(path).spec))
