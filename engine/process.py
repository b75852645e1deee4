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

from engine import yamlfile
from engine.durations import parse_duration
from engine.errors import Problem, SpecError
from engine.expressions import Expression, is_expression
from engine.spec import Limit, ProcessSpec
from engine.validate import Checker, locate


@dataclass(frozen=True, eq=False)
class Process:
    """A validated process version: its spec, its source, and every expression compiled."""

    spec: ProcessSpec
    source: str
    path: str
    digest: str
    expressions: dict[str, Expression] = field(repr=False)

    @property
    def name(self) -> str:
        return self.spec.process

    def expression(self, text: str) -> Expression:
        """The compiled expression for this source text (``= `` prefix allowed)."""
        return self.expressions[text.removeprefix("=").strip()]

    def value(self, raw: Any, names: dict[str, Any]) -> Any:
        """A ``set``/``data`` value: evaluated if written ``= expr``, else taken as is."""
        return self.expression(raw).evaluate(names) if is_expression(raw) else raw

    def limit(self, limit: Limit | None, data: dict[str, Any]) -> timedelta | None:
        """The duration a limit gives for this ticket's data (None: no limit)."""
        if limit is None:
            return None
        if isinstance(limit, str):
            return parse_duration(limit)
        chosen = limit.values.get(str(data.get(limit.by)), limit.default)
        return parse_duration(chosen) if chosen else None


def digest_of(source: str) -> str:
    """The content hash that names a process version."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def load_process(path: str | Path) -> Process:
    """Read and validate a process file; raise SpecError with every problem."""
    return parse_process(yamlfile.read_text(path), str(path))


def parse_process(source: str, path: str) -> Process:
    """Validate process source text named ``path``; raise SpecError with every problem."""
    raw = yamlfile.parse(source, path)
    if not isinstance(raw, yamlfile.Mapping):
        raise SpecError([Problem(path, 1, 1, "a process file must be a mapping")])
    try:
        spec = ProcessSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(shape_problems(exc, raw, path)) from None
    checker = Checker(spec, raw, path)
    problems = checker.run()
    if problems:
        raise SpecError(problems)
    return Process(spec, source, path, digest_of(source), checker.expressions)


def shape_problems(exc: ValidationError, raw: Any, path: str) -> list[Problem]:
    """Turn pydantic's errors into located problems, one per place."""
    problems: dict[tuple[int, int], Problem] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        extra = error["type"] == "extra_forbidden"
        line, column = locate(raw, loc, key=extra)
        name = ".".join(str(p) for p in loc if not _is_union_tag(p))
        message = f"unknown key {loc[-1]!r}" if extra else f"{name}: {_clean(error['msg'])}"
        problems.setdefault((line, column), Problem(path, line, column, message))
    return list(problems.values())


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and (part[:1].isupper() or "[" in part or part in ("str",))


def _clean(message: str) -> str:
    return message.replace("String should match pattern '^[a-z][a-z0-9_]*$'",
                           "must be a lower-case name (letters, digits, _)")
