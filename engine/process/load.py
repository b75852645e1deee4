"""Loading a process file: YAML → shape check (pydantic) → meaning check → :class:`Process`.

Every problem of a file is reported at once as ``path:line:column: message``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.core.errors import DamagedVersion, MissingField, Problem, SpecError
from engine.core.model import ProcessVersion
from engine.process import forks, ladder, yamlfile
from engine.process.durations import parse_duration
from engine.process.expressions import Expression, ExpressionError, is_expression
from engine.process.spec import Limit, ProcessSpec
from engine.process.validate import Checker, locate


@dataclass(frozen=True, eq=False)
class Process:
    """A validated process version: its spec, its source, and every expression compiled."""

    spec: ProcessSpec
    source: str
    path: str
    digest: str
    expressions: dict[str, Expression] = field(repr=False)
    forks: forks.Forks = field(repr=False)

    @property
    def name(self) -> str:
        return self.spec.process

    def expression(self, text: str) -> Expression:
        """The compiled expression for this source text (``= `` prefix allowed)."""
        return self.expressions[text.removeprefix("=").strip()]

    def scope(self, names: dict[str, Any]) -> dict[str, Any]:
        """The names expressions see: every declared field (None when unset), then ``names``."""
        return {**dict.fromkeys(self.spec.fields), **names}

    def value(self, raw: Any, names: dict[str, Any]) -> Any:
        """A ``set``/``data`` value: evaluated if written ``= expr``, else taken as is.

        An expression that cannot be evaluated refuses the step (MissingField).
        """
        if not is_expression(raw):
            return raw
        try:
            return self.expression(raw).evaluate(self.scope(names))
        except ExpressionError as exc:
            raise MissingField(f"cannot compute a value: {exc}") from None

    def limit(self, limit: Limit | None, data: dict[str, Any]) -> timedelta | None:
        """The duration a limit gives for this ticket's data (None: no limit)."""
        if limit is None:
            return None
        if is_expression(limit):
            return self._computed_limit(str(limit), data)
        if isinstance(limit, str):
            return parse_duration(limit)
        values = limit.values
        for group in self.groups_of(data):
            values = {**values, **limit.groups.get(group, {})}
        chosen = values.get(str(data.get(limit.by)), limit.default)
        return parse_duration(chosen) if chosen else None

    def groups_of(self, data: dict[str, Any]) -> list[str]:
        """The group names the ticket's data gives (one per divided post that has one)."""
        return [value for groups in self.spec.groups.values()
                if isinstance(value := data.get(groups.by), str) and value]

    def group(self, post: str | None, data: dict[str, Any]) -> str | None:
        """The group holding a ticket at ``post``: its group field's value (None: the post
        has no groups, or the field is unset)."""
        groups = self.spec.groups.get(post or "")
        value = data.get(groups.by) if groups is not None else None
        return value if isinstance(value, str) and value else None


    def _computed_limit(self, text: str, data: dict[str, Any]) -> timedelta | None:
        """A limit written ``= expr`` (a decision, say): its duration, or no limit when the
        expression gives null or cannot be computed (a step is never refused for it)."""
        try:
            chosen = self.expression(text).evaluate(self.scope(data))
            return parse_duration(str(chosen)) if chosen else None
        except ValueError:
            return None


def digest_of(source: str) -> str:
    """The content hash that names a process version."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def load_process(path: str | Path) -> Process:
    """Read and validate a process file; raise SpecError with every problem."""
    return parse_process(yamlfile.read_text(path), str(path))


def parse_stored(version: ProcessVersion) -> Process:
    """A deployed version from its stored source; DamagedVersion when that source was
    changed or cannot be read (the file it was deployed from is not the problem)."""
    where = (f"process {version.name} version {version.number} in the database (deployed "
             f"from {version.path})")
    if digest_of(version.source) != version.digest:
        raise DamagedVersion(f"{where} is damaged: its source does not match its digest; "
                             "restore a backup")
    try:
        return parse_process(version.source, version.path)
    except SpecError as exc:
        raise DamagedVersion(f"{where} cannot be read: {exc.problems[0].message}; restore "
                             "a backup") from None


def parse_process(source: str, path: str) -> Process:
    """Validate process source text named ``path``; raise SpecError with every problem."""
    raw = yamlfile.parse(source, path)
    if not isinstance(raw, yamlfile.Mapping):
        raise SpecError([Problem(path, 1, 1, "a process file must be a mapping")])
    try:
        spec = ProcessSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(shape_problems(exc, raw, path)) from None
    timing = forks.problems(spec) + ladder.time_problems(spec)  # shapes of forks, time
    spec = ladder.expand(forks.expand(spec))
    checker = Checker(spec, raw, path)
    problems = [Problem(path, *locate(raw, loc), message) for loc, message in timing]
    problems += checker.run()
    if problems:
        raise SpecError(problems)
    return Process(spec, source, path, digest_of(source), checker.expressions, checker.forks)


def shape_problems(exc: ValidationError, raw: Any, path: str) -> list[Problem]:
    """Turn pydantic's errors into located problems, one per place."""
    found: dict[tuple[int, int, str], list[str]] = {}
    for loc, key, error in _relevant(exc, raw):
        extra = error["type"] == "extra_forbidden"
        line, column = locate(raw, loc, key=extra or key)
        if extra:
            heading, message = "", f"unknown key {loc[-1]!r}"
        elif key:
            heading, message = ".".join(map(str, loc[:-1])), f"{loc[-1]!r} {error['msg']}"
        else:
            heading, message = ".".join(map(str, loc)), error["msg"]
        found.setdefault((line, column, heading), []).append(_clean(message))
    return [Problem(path, line, column, _join(heading, messages))
            for (line, column, heading), messages in found.items()]


def _relevant(exc: ValidationError, raw: Any) -> list[tuple[tuple[Any, ...], bool, Any]]:
    """The errors worth showing: of a union's members, those that matched the value's shape.

    An error deeper in the file than another (the value had the member's shape) wins over
    it, and an error about the value wins over one about its type at the same place.
    """
    errors = [(*_data_path(raw, tuple(e["loc"]), e["type"] == "missing"), e)
              for e in exc.errors()]
    above = {loc[:depth] for loc, _, _ in errors for depth in range(len(loc))}
    deeper = [e for e in errors if e[0] not in above]  # (a set: thousands of errors happen)
    valued = {loc for loc, _, e in deeper if not e["type"].endswith("_type")}
    return [(loc, key, e) for loc, key, e in deeper
            if loc not in valued or not e["type"].endswith("_type")]


def _data_path(raw: Any, loc: tuple[Any, ...], missing: bool) -> tuple[tuple[Any, ...], bool]:
    """The part of pydantic's location that is in the file, and whether it ends at a key."""
    node, kept = raw, list[Any]()
    for index, part in enumerate(loc):
        if part == "[key]":
            return tuple(kept), True
        if isinstance(node, dict) and str(part) in node:
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif not (missing and index == len(loc) - 1):
            continue  # a union member's name, such as 'str' or 'LimitTable'
        kept.append(part)
    return tuple(kept), False


def _join(heading: str, messages: list[str]) -> str:
    unique = list(dict.fromkeys(messages))
    text = unique[0]
    if len(unique) > 1:
        text = "should be " + ", or ".join(m.removeprefix("Input should be ") for m in unique)
    return f"{heading}: {text}" if heading else text


_CLEAN = {
    "String should match pattern '^[a-z][a-z0-9_]*$'":
        "must be a lower-case name (letters, digits, _)",
    "String should match pattern '^(\\*|[a-z][a-z0-9_]*)$'":
        "must be a lower-case state name or \"*\"",
    "a valid dictionary or instance of LimitTable": "a table (by:, values:)",
    "a valid dictionary or instance of ": "a mapping (",
    "a valid dictionary": "a mapping",
}


def _clean(message: str) -> str:
    for jargon, plain in _CLEAN.items():
        message = message.replace(jargon, plain)
    return message
