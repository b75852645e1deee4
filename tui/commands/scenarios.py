"""``ticketflow test``: run scenario files, each on a fresh temporary database."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.core.errors import BadRequest, SpecError
from engine.desk.desk import Desk
from engine.scenarios.run import Outcome, Scenario, load_scenario, run_scenario
from engine.time.clock import VirtualClock
from tui.options import Json
from tui.output import print_json
from tui.wiring import Workspace, open_workspace


def register(app: typer.Typer) -> None:
    app.command(name="test")(test)


def test(paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders.")],
         json: Json = False) -> None:
    """Run scenarios (a folder: every *.yaml in it); exit 1 if an expectation fails."""
    scenarios = load_all(scenario_files(paths))
    outcomes = [run_on_temporary_desk(scenario) for scenario in scenarios]
    if json:
        print_json(report(outcomes))
    else:
        for outcome in outcomes:
            mark = "ok" if outcome.passed else "FAILED"
            typer.echo(f"{outcome.scenario.name}  [{mark}]  {outcome.scenario.path}")
            for failure in outcome.failures:
                typer.echo(f"  {failure}")
        failed = sum(not o.passed for o in outcomes)
        typer.echo(f"{len(outcomes)} scenario(s): {len(outcomes) - failed} passed, "
                   f"{failed} failed")
    if not all(o.passed for o in outcomes):
        raise typer.Exit(1)


def scenario_files(paths: list[Path]) -> list[Path]:
    """The files named, and every ``*.yaml``/``*.yml`` in the folders named."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        elif path.exists():
            files.append(path)
        else:
            raise BadRequest(f"no such file or folder: {path}")
    if not files:
        raise BadRequest("no scenario files in " + ", ".join(map(str, paths)))
    return files


def load_all(files: list[Path]) -> list[Scenario]:
    """Every scenario checked first; SpecError with every problem of every file."""
    loaded, problems = [], []
    for file in files:
        try:
            loaded.append(load_scenario(file))
        except SpecError as exc:
            problems.extend(exc.problems)
    if problems:
        raise SpecError(problems)
    return loaded


def run_on_temporary_desk(scenario: Scenario) -> Outcome:
    """Run one scenario on a new SQLite file in a temporary folder, deleted afterwards."""
    opened: list[Workspace] = []
    with tempfile.TemporaryDirectory(prefix="ticketflow-scenario-") as folder:
        def open_desk(clock: VirtualClock) -> Desk:
            opened.append(open_workspace(f"sqlite:///{Path(folder) / 'desk.db'}", clock=clock,
                                         synchronous="OFF"))  # a throwaway database
            return opened[-1].desk

        try:
            return run_scenario(scenario, open_desk)
        finally:
            for workspace in opened:
                close = getattr(workspace.store, "close", None)
                if close is not None:
                    close()


def report(outcomes: list[Outcome]) -> dict[str, Any]:
    """The run as JSON-able data."""
    return {
        "scenarios": [{"name": o.scenario.name, "path": o.scenario.path, "passed": o.passed,
                       "failures": [vars(f) for f in o.failures]} for o in outcomes],
        "passed": sum(o.passed for o in outcomes),
        "failed": sum(not o.passed for o in outcomes),
    }
