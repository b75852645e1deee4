"""Loading a process file: YAML → shape check (pydantic) → meaning check → :class:`Process`.

Every problem of a file is reported at once as ``path:line:column: message``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine import yamlfile
from engine.durations import parse_duration
from engine.errors import Problem, SpecError
from engine.expressions import CONTEXT_NAMES, Expression, ExpressionError, is_expression
from engine.fields import coerce
from engine.spec import ACTIONS, ANY, SYSTEM_ROLE, Limit, LimitTable, ProcessSpec

Path_ = tuple[str | int, ...]


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
    checker = _Checker(spec, raw, path)
    checker.run()
    if checker.problems:
        raise SpecError(checker.problems)
    return Process(spec, source, path, digest_of(source), checker.expressions)


def locate(raw: Any, loc: Path_, *, key: bool = False) -> tuple[int, int]:
    """The line and column of the value (or key) at ``loc`` in located YAML data."""
    node, where = raw, getattr(raw, "at", (1, 1))
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, yamlfile.Mapping) and str(part) in node:
            marks = node.key_at if (key and last) else node.value_at
            where, node = marks[str(part)], node[str(part)]
        elif isinstance(node, yamlfile.Sequence) and isinstance(part, int) and part < len(node):
            where, node = node.item_at[part], node[part]
        elif isinstance(node, yamlfile.Mapping | yamlfile.Sequence):
            continue  # a pydantic union member name, not a key
    return where


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


class _Checker:
    """The meaning checks that the shape models cannot express."""

    def __init__(self, spec: ProcessSpec, raw: yamlfile.Mapping, path: str) -> None:
        self.spec, self.raw, self.path = spec, raw, path
        self.problems: list[Problem] = []
        self.expressions: dict[str, Expression] = {}
        self.names = set(spec.fields)
        self.triggers = {t.trigger for t in spec.transitions}

    def fail(self, loc: Path_, message: str, *, key: bool = False) -> None:
        line, column = locate(self.raw, loc, key=key)
        self.problems.append(Problem(self.path, line, column, message))

    def run(self) -> None:
        self.check_fields()
        self.check_states()
        self.check_transitions()
        self.check_timers()
        self.check_events()
        if not self.problems:
            self.check_graph()

    def expression(self, loc: Path_, text: str) -> None:
        source = text.removeprefix("=").strip()
        try:
            self.expressions.setdefault(source, Expression(source, self.names))
        except ExpressionError as exc:
            self.fail(loc, str(exc))

    def values(self, loc: Path_, values: dict[str, Any], *, fields: bool = True) -> None:
        for name, value in values.items():
            if fields and name not in self.spec.fields:
                self.fail((*loc, name), f"field {name!r} is not declared", key=True)
            if is_expression(value):
                self.expression((*loc, name), value)

    def known(self, loc: Path_, names: list[str], kind: str, declared: set[str]) -> None:
        for index, name in enumerate(names):
            if name not in declared:
                self.fail((*loc, index), f"{kind} {name!r} is not declared")

    def limit(self, loc: Path_, limit: Limit | None) -> None:
        if limit is None:
            return
        durations = [limit] if isinstance(limit, str) else list(limit.values.values())
        if isinstance(limit, LimitTable):
            durations += [limit.default] if limit.default else []
            if limit.by not in self.spec.fields:
                self.fail((*loc, "by"), f"field {limit.by!r} is not declared")
        for text in durations:
            try:
                parse_duration(text)
            except ValueError as exc:
                self.fail(loc, str(exc))

    def check_fields(self) -> None:
        for name, spec in self.spec.fields.items():
            loc: Path_ = ("fields", name)
            if name in CONTEXT_NAMES:
                self.fail(loc, f"field name {name!r} is reserved", key=True)
            if spec.type == "choice" and not spec.choices:
                self.fail(loc, "a choice field needs a list of choices")
            if spec.default is not None:
                try:
                    coerce(spec, spec.default)
                except ValueError as exc:
                    self.fail((*loc, "default"), f"default {exc}")

    def check_states(self) -> None:
        kinds = [s.kind for s in self.spec.states.values()]
        if kinds.count("start") != 1:
            self.fail(("states",), f"a process needs exactly one start state, found "
                                   f"{kinds.count('start')}")
        if "end" not in kinds:
            self.fail(("states",), "a process needs at least one end state")
        for name, state in self.spec.states.items():
            if state.post and state.post not in self.spec.posts:
                self.fail(("states", name, "post"), f"post {state.post!r} is not declared")
            self.limit(("states", name, "limit"), state.limit)

    def check_transitions(self) -> None:
        roles = {*self.spec.roles, SYSTEM_ROLE}
        seen: dict[tuple[str, str], int] = {}
        for index, transition in enumerate(self.spec.transitions):
            loc: Path_ = ("transitions", index)
            for source in transition.sources:
                first = seen.setdefault((source, transition.trigger), index)
                if first != index:
                    self.fail((*loc, "trigger"), f"{transition.trigger!r} from {source!r} is "
                              f"already defined (transition {first + 1}); use 'choose'")
            if transition.trigger in self.spec.events:
                self.fail((*loc, "trigger"), f"{transition.trigger!r} is also an event name")
            for source in transition.sources:
                if source != ANY and source not in self.spec.states:
                    self.fail((*loc, "from"), f"source state {source!r} does not exist")
            self.check_destinations(loc, transition.to, transition.choose)
            self.known((*loc, "roles"), transition.roles or [], "role", roles)
            self.known((*loc, "posts"), transition.posts or [], "post", {*self.spec.posts, ANY})
            if transition.when:
                self.expression((*loc, "when"), transition.when)
            self.known((*loc, "requires"), transition.requires, "field", self.names)
            self.known((*loc, "accepts"), transition.accepts, "field", self.names)
            self.values((*loc, "set"), transition.set)
            if transition.assign and is_expression(transition.assign):
                self.expression((*loc, "assign"), transition.assign)
            elif transition.assign not in (None, "actor", "nobody"):
                self.fail((*loc, "assign"), "assign must be actor, nobody or '= expression'")
            for number, action in enumerate(transition.do):
                if action not in ACTIONS:
                    self.fail((*loc, "do", number), f"unknown action {action!r} "
                              f"(known: {', '.join(ACTIONS)})")
            if transition.start:
                self.values((*loc, "start", "data"), transition.start.data, fields=False)
                if transition.start.on_end and transition.start.on_end not in self.triggers:
                    self.fail((*loc, "start", "on_end"),
                              f"trigger {transition.start.on_end!r} is not defined")

    def check_destinations(self, loc: Path_, to: str | None, choose: Any) -> None:
        if (to is None) == (choose is None):
            self.fail(loc, "a transition needs exactly one of 'to' and 'choose'")
        if to is not None and to not in self.spec.states:
            self.fail((*loc, "to"), f"destination state {to!r} does not exist")
        for index, branch in enumerate(choose or []):
            where: Path_ = (*loc, "choose", index)
            if branch.to not in self.spec.states:
                self.fail((*where, "to"), f"destination state {branch.to!r} does not exist")
            last = index == len(choose) - 1
            if branch.when:
                self.expression((*where, "when"), branch.when)
            elif not last:
                self.fail(where, "only the last branch may be the default (no 'when')")
        if choose and choose[-1].when:
            self.fail((*loc, "choose"), "a gateway needs a default branch (one without 'when')")

    def check_timers(self) -> None:
        for index, timer in enumerate(self.spec.timers):
            loc: Path_ = ("timers", index)
            if timer.state not in self.spec.states:
                self.fail((*loc, "state"), f"state {timer.state!r} does not exist")
            if (timer.after is None) == (timer.at is None):
                self.fail(loc, "a timer needs exactly one of 'after' and 'at'")
            self.limit((*loc, "after"), timer.after)
            if timer.at and getattr(self.spec.fields.get(timer.at), "type", None) != "timestamp":
                self.fail((*loc, "at"), f"{timer.at!r} is not a timestamp field")
            if timer.fire not in self.triggers:
                self.fail((*loc, "fire"), f"timer fires unknown trigger {timer.fire!r}")
            elif not any(timer.state in t.sources or ANY in t.sources
                         for t in self.spec.transitions if t.trigger == timer.fire):
                self.fail((*loc, "fire"),
                          f"trigger {timer.fire!r} cannot be fired from state {timer.state!r}")

    def check_events(self) -> None:
        for name, event in self.spec.events.items():
            loc: Path_ = ("events", name)
            self.known((*loc, "roles"), event.roles or [], "role", set(self.spec.roles))
            self.known((*loc, "posts"), event.posts or [], "post", {*self.spec.posts, ANY})
            self.values((*loc, "set"), event.set)

    def check_graph(self) -> None:
        reachable = self.reachable()
        for name, state in self.spec.states.items():
            loc: Path_ = ("states", name)
            if name not in reachable:
                self.fail(loc, f"state {name!r} cannot be reached from the start", key=True)
            if state.kind != "end" and not any(self.exits(name)):
                self.fail(loc, f"state {name!r} is not an end state but has no way out",
                          key=True)

    def exits(self, state: str) -> Iterator[str]:
        for transition in self.spec.transitions:
            every = ANY in transition.sources and self.spec.states[state].kind != "end"
            if state in transition.sources or every:
                yield from ([transition.to] if transition.to else
                            [b.to for b in transition.choose or []])

    def reachable(self) -> set[str]:
        seen, todo = set(), [self.spec.start_state()]
        while todo:
            state = todo.pop()
            if state not in seen:
                seen.add(state)
                todo.extend(self.exits(state))
        return seen
