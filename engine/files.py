"""Checking the files the product reads, each recognised by its top-level key.

``ticketflow validate`` calls :func:`check_files`. A kind of file is one entry of
:data:`KINDS`: its top-level key and the function that loads and validates a file of
that kind (raising :class:`SpecError` with every problem). Process files checked together
are also checked against each other: a child process a transition starts must be among
them, and the data it passes must fit the child's fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core.errors import Problem, SpecError
from engine.desk.intake import Rules, parse_alert_rules
from engine.process import yamlfile
from engine.process.expressions import is_expression
from engine.process.fields import coerce
from engine.process.load import Process, parse_process
from engine.process.spec import ChildStart
from engine.process.validate import locate


def _assessment(source: str, path: str) -> Any:
    """An assessment file, its module imported only when one is checked."""
    from engine.assessment.table import parse_assessment

    return parse_assessment(source, path)


def _scenario(source: str, path: str) -> Any:
    """A scenario file, its module (which brings the whole desk) imported only when one is
    checked: ``validate`` of a process file starts faster."""
    from engine.scenarios.run import parse_scenario

    return parse_scenario(source, path)


KINDS: dict[str, Callable[[str, str], Any]] = {"process": parse_process,
                                               "assessment": _assessment,
                                               "scenario": _scenario,
                                               "alerts": parse_alert_rules}
"""Top-level key → the loader of that kind of file: ``loader(source, path)``."""

SUFFIXES = (".yaml", ".yml")


@dataclass
class Report:
    """What ``validate`` found: the files it checked and every problem in them."""

    checked: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def check_files(paths: list[Path]) -> Report:
    """Check files and folders (every ``*.yaml``/``*.yml`` in them, recursively)."""
    report = Report()
    processes: list[Process] = []
    rules: list[Rules] = []
    for path in _expand(paths, report):
        report.checked.append(str(path))
        loaded = _check_one(path, report)
        if isinstance(loaded, Process):
            processes.append(loaded)
        elif isinstance(loaded, Rules):
            rules.append(loaded)
    report.problems.extend(check_together(processes))
    report.problems.extend(problem for each in rules
                           for problem in check_alert_rules(each, processes))
    report.problems.sort(key=lambda p: (p.path, p.line, p.column))
    return report


def _expand(paths: list[Path], report: Report) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if _is_yaml(p, path))
            if not found:
                report.problems.append(Problem(str(path), 1, 1, "no .yaml or .yml files here"))
            yield from found
        elif path.exists():
            yield path
        else:
            report.problems.append(Problem(str(path), 1, 1, "no such file or folder"))


def _is_yaml(path: Path, root: Path) -> bool:
    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
    return path.suffix in SUFFIXES and path.is_file() and not hidden


def _check_one(path: Path, report: Report) -> Any:
    """Load one file with the loader of its kind; None when it has problems."""
    name = str(path)
    try:
        source = yamlfile.read_text(path)
        loader = KINDS.get(kind_of(yamlfile.parse(source, name), name))
        return loader(source, name) if loader else None
    except SpecError as exc:
        report.problems.extend(exc.problems)
        return None


def kind_of(data: Any, path: str) -> str:
    """The kind of a parsed file: the first top-level key that names a kind."""
    if isinstance(data, dict):
        for key in data:
            if key in KINDS:
                return str(key)
    expected = " or ".join(f"'{kind}:'" for kind in KINDS)
    what = "" if isinstance(data, dict) else f"the top level is a {_describe(data)}; "
    raise SpecError([Problem(path, 1, 1, f"not a ticketflow file: {what}expected a "
                                         f"top-level {expected} key")])


def _describe(data: Any) -> str:
    return "list" if isinstance(data, list) else "single value"


def check_together(processes: list[Process]) -> list[Problem]:
    """Problems between process files: duplicate names, children that are not there."""
    problems: list[Problem] = []
    by_name: dict[str, Process] = {}
    for process in processes:
        first = by_name.setdefault(process.name, process)
        if first is not process:
            problems.append(_problem(process, ("process",), f"process {process.name!r} is "
                                     f"also defined in {first.path}"))
    for process in processes:
        problems.extend(_check_children(process, by_name))
    return problems


def check_alert_rules(rules: Rules, processes: list[Process]) -> list[Problem]:
    """The fields alert rules fill must be the process's, when its file is checked too."""
    process = next((p for p in processes if p.name == rules.spec.process), None)
    if process is None:
        return []
    raw = yamlfile.parse(yamlfile.read_text(rules.path), rules.path)
    problems = []
    for name in rules.spec.fields:
        if name not in process.spec.fields:
            line, column = locate(raw, ("alerts", "fields", name), key=True)
            problems.append(Problem(rules.path, line, column, f"field {name!r} is not "
                                    f"declared in process {process.name!r}"))
    return problems


def _check_children(parent: Process, by_name: dict[str, Process]) -> Iterator[Problem]:
    for index, transition in enumerate(parent.spec.transitions):
        start = transition.start
        if start is None:
            continue
        loc = ("transitions", index, "start")
        child = by_name.get(start.process)
        if child is None:
            yield _problem(parent, (*loc, "process"), f"process {start.process!r} is not "
                           "among the files checked (validate it together with its file)")
        else:
            yield from _check_data(parent, child, start, loc)


def _check_data(parent: Process, child: Process, start: ChildStart, loc: tuple[Any, ...]
                ) -> Iterator[Problem]:
    """The data a parent passes must name the child's fields and fill its required ones."""
    fields = child.spec.fields
    for name, value in start.data.items():
        spec = fields.get(name)
        if spec is None:
            yield _problem(parent, (*loc, "data", name), f"field {name!r} is not declared in "
                           f"process {child.name!r}", key=True)
        elif not is_expression(value):
            try:
                coerce(spec, value)
            except ValueError as exc:
                yield _problem(parent, (*loc, "data", name), f"{child.name}.{name} {exc}")
    for name, spec in fields.items():
        if spec.required and spec.default is None and name not in start.data:
            yield _problem(parent, (*loc, "data"), f"process {child.name!r} requires field "
                           f"{name!r}; give it in 'data'")


def _problem(process: Process, loc: tuple[Any, ...], message: str, *, key: bool = False
             ) -> Problem:
    line, column = locate(yamlfile.parse(process.source, process.path), loc, key=key)
    return Problem(process.path, line, column, message)
