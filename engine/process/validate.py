"""The meaning checks of a process file, after its shape has passed the spec models.

Names that refer to nothing (states, fields, roles, posts, triggers, actions), expressions
outside the safe language, gateways without a default, timers that cannot fire, states that
cannot be reached or never left. Every problem is located at ``line:column`` in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.core.errors import Problem
from engine.process import yamlfile
from engine.process.decisions import Decision, Unusable, decision_problems
from engine.process.durations import parse_duration
from engine.process.expressions import (
    CONTEXT_NAMES,
    FUNCTIONS,
    TIME_FUNCTIONS,
    Expression,
    ExpressionError,
    is_expression,
)
from engine.process.fields import RE2_REQUIRED, PatternError, coerce, compile_pattern
from engine.process.forks import Forks, state_loc
from engine.process.spec import (
    ACTIONS,
    ANY,
    REQUESTER_ANSWERS,
    REQUESTER_ROLE,
    SYSTEM_ROLE,
    Branch,
    FieldSpec,
    Limit,
    LimitTable,
    ProcessSpec,
    Quorum,
    TransitionSpec,
)

Path_ = tuple[str | int, ...]

ONLY_FOR = {"choices": ("choice",), "min": ("integer", "number"),
            "max": ("integer", "number"), "max_length": ("text",), "pattern": ("text", "account"),
            "long": ("text",)}
"""Field settings that apply to some types only."""


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
    return where


def destinations(transition: TransitionSpec) -> list[str]:
    """Where a transition may lead: its ``to``, or every branch of its gateway (and an
    approval's ``rejected`` state)."""
    result = [transition.to] if transition.to else [b.to for b in transition.choose or []]
    return result + ([transition.approve.rejected] if transition.approve else [])


def quorum_problem(rule: Quorum) -> str | None:
    """Why a quorum is not one of its forms (None: it is)."""
    if isinstance(rule, int):
        return None if rule >= 1 else "a quorum is at least 1"
    if rule == "all" or is_expression(rule):
        return None
    digits = rule.removesuffix("%")
    if rule.endswith("%") and digits.isdigit() and 1 <= int(digits) <= 100:
        return None
    return "a quorum is a number, all, a percentage such as 50%, or '= expression'"


class Checker:
    """Checks one process spec against its located YAML; collects problems."""

    def __init__(self, spec: ProcessSpec, raw: yamlfile.Mapping, path: str) -> None:
        self.spec, self.raw, self.path = spec, raw, path
        self.problems: list[Problem] = []
        self.expressions: dict[str, Expression] = {}
        self.names = set(spec.fields)
        self.triggers = {t.trigger for t in spec.transitions}
        self.decisions: dict[str, Decision | Unusable] = {}
        self.forks = Forks(spec)

    def fail(self, loc: Path_, message: str, *, key: bool = False) -> None:
        line, column = locate(self.raw, loc, key=key)
        self.problems.append(Problem(self.path, line, column, message))

    def run(self) -> list[Problem]:
        """Run every check; the problems found, in file order."""
        self.check_decisions()
        self.check_fields()
        self.check_groups()
        self.check_item()
        self.check_states()
        self.check_transitions()
        self.check_timers()
        self.check_events()
        self.check_requester_steps()
        self.check_forks()
        if not self.problems:
            self.check_graph()
        return self.problems

    # -- pieces shared by several checks ---------------------------------------------------

    def expression(self, loc: Path_, text: str) -> None:
        source = text.removeprefix("=").strip()
        try:
            self.expressions.setdefault(source, Expression(source, self.names,
                                                           self.decisions))
        except ExpressionError as exc:
            self.fail(loc, str(exc))

    def values(self, loc: Path_, values: dict[str, Any]) -> None:
        """A ``set`` mapping: declared fields, each an expression or a fitting literal."""
        for name, value in values.items():
            field = self.spec.fields.get(name)
            if field is None:
                self.fail((*loc, name), f"field {name!r} is not declared", key=True)
            elif is_expression(value):
                self.expression((*loc, name), value)
            else:
                self.literal((*loc, name), field, value, f"value for {name!r}")

    def literal(self, loc: Path_, field: FieldSpec, value: Any, what: str, *,
                key: bool = False) -> None:
        try:
            coerce(field, value)
        except ValueError as exc:
            self.fail(loc, f"{what} {exc}", key=key)

    def known(self, loc: Path_, names: list[str], kind: str, declared: set[str]) -> None:
        for index, name in enumerate(names):
            if name not in declared:
                self.fail((*loc, index), f"{kind} {name!r} is not declared")

    def limit(self, loc: Path_, limit: Limit | None) -> None:
        if isinstance(limit, LimitTable):
            self.limit_table(loc, limit)
        elif is_expression(limit):
            self.expression(loc, str(limit))
        elif limit is not None:
            self.duration(loc, limit)

    def limit_table(self, loc: Path_, table: LimitTable) -> None:
        field = self.spec.fields.get(table.by)
        if field is None:
            self.fail((*loc, "by"), f"field {table.by!r} is not declared")
        for value, text in table.values.items():
            if field is not None:
                self.literal((*loc, "values", value), field, value, f"{table.by} {value!r}",
                             key=True)
            self.duration((*loc, "values", value), text)
        if table.default is not None:
            self.duration((*loc, "default"), table.default)
        known = {name for groups in self.spec.groups.values() if groups.names is not None
                 for name in groups.names}
        free = any(groups.names is None for groups in self.spec.groups.values())
        for group, values in table.groups.items():
            if not self.spec.groups or not (free or group in known):
                self.fail((*loc, "groups", group), f"group {group!r} is not declared in "
                          "'groups:'", key=True)
            for value, text in values.items():
                if field is not None:
                    self.literal((*loc, "groups", group, value), field, value,
                                 f"{table.by} {value!r}", key=True)
                self.duration((*loc, "groups", group, value), text)

    def duration(self, loc: Path_, text: str) -> None:
        try:
            parse_duration(text)
        except ValueError as exc:
            self.fail(loc, str(exc))

    # -- the sections of a process file ----------------------------------------------------

    def check_decisions(self) -> None:
        """Each decision table's cells, output and overlaps; its name free to be called."""
        taken = {*FUNCTIONS, *TIME_FUNCTIONS, *CONTEXT_NAMES, *self.spec.fields}
        for name, spec in self.spec.decisions.items():
            if name in taken:
                self.fail(("decisions", name), f"decision name {name!r} is already a "
                          "function, a field or a name the engine gives", key=True)
            problems = list(decision_problems(name, spec))
            for loc, message in problems:
                self.fail(loc, message)
            self.decisions[name] = (Unusable(len(spec.inputs)) if problems
                                    else Decision(name, spec))

    def check_fields(self) -> None:
        for name, spec in self.spec.fields.items():
            loc: Path_ = ("fields", name)
            if name in CONTEXT_NAMES:
                self.fail(loc, f"field name {name!r} is reserved (the names "
                          f"{', '.join(CONTEXT_NAMES)} are given by the engine)", key=True)
            if spec.type == "choice" and not spec.choices:
                self.fail(loc, "a choice field needs a list of choices")
            for setting, types in ONLY_FOR.items():
                if getattr(spec, setting) is not None and spec.type not in types:
                    self.fail((*loc, setting), f"{setting!r} applies to {' and '.join(types)} "
                              f"fields only, not {spec.type}", key=True)
            self.check_pattern((*loc, "pattern"), spec.pattern)
            if spec.default is not None and (spec.type != "choice" or spec.choices):
                self.literal((*loc, "default"), spec, spec.default, "default")

    def check_pattern(self, loc: Path_, pattern: str | None) -> None:
        if pattern is None:
            return
        try:
            compile_pattern(pattern)
        except PatternError as exc:
            self.fail(loc, f"invalid regular expression: {exc} ({RE2_REQUIRED})")

    def check_groups(self) -> None:
        for post, groups in self.spec.groups.items():
            loc: Path_ = ("groups", post)
            if post not in self.spec.posts:
                self.fail(loc, f"post {post!r} is not declared", key=True)
            field = self.spec.fields.get(groups.by)
            if field is None:
                self.fail((*loc, "by"), f"field {groups.by!r} is not declared")
            elif field.type not in ("text", "choice"):
                self.fail((*loc, "by"), f"field {groups.by!r} is {field.type}; a group is "
                          "named by a text or choice field")
            elif field.choices is not None and groups.names is not None:
                for index, name in enumerate(groups.names):
                    if name not in field.choices:
                        self.fail((*loc, "names", index), f"group {name!r} is not a choice "
                                  f"of the field {groups.by!r}")

    def check_item(self) -> None:
        link = self.spec.item
        if link is None:
            return
        field = self.spec.fields.get(link.field)
        if field is None or field.type != "text":
            self.fail(("item", "field"), f"field {link.field!r} is not a declared text field")
        for name in link.fills:
            if name not in self.spec.fields:
                self.fail(("item", "fills", name), f"field {name!r} is not declared", key=True)

    def check_states(self) -> None:
        starts = [name for name, state in self.spec.states.items() if state.kind == "start"]
        if not starts:
            self.fail(("states",), "a process needs a start state (kind: start); found none")
        for extra in starts[1:]:
            self.fail(("states", extra, "kind"), f"a second start state {extra!r} (the start "
                      f"is {starts[0]!r}); a process has exactly one")
        if not any(state.kind == "end" and name not in self.forks.region
                   for name, state in self.spec.states.items()):
            self.fail(("states",), "a process needs at least one end state (kind: end)")
        for name, state in self.spec.states.items():
            if state.post and state.post not in self.spec.posts:
                self.fail((*self.where(name), "post"), f"post {state.post!r} is not declared")
            self.limit((*self.where(name), "limit"), state.limit)

    def where(self, state: str) -> Path_:
        """Where a state is in the file (a branch's states are under its fork)."""
        region = self.forks.region.get(state)
        return ("states", state) if region is None else state_loc(region.fork, region.name,
                                                                 state)

    def check_transitions(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        for index, transition in enumerate(self.spec.transitions):
            loc: Path_ = ("transitions", index)
            self.check_once(loc, index, transition, seen)
            self.check_sources(loc, transition)
            self.check_destinations(loc, transition.to, transition.choose)
            self.check_permissions(loc, transition)
            self.check_data(loc, transition)
            self.check_effects(loc, transition)
            self.check_approval(loc, transition)

    def check_once(self, loc: Path_, index: int, transition: TransitionSpec,
                   seen: dict[tuple[str, str], int]) -> None:
        """A trigger may be defined once per source state ('*' counts as every one)."""
        if transition.trigger in self.spec.events:
            self.fail((*loc, "trigger"), f"{transition.trigger!r} is also an event name")
        for source in self.expand(transition.sources):
            first = seen.setdefault((source, transition.trigger), index)
            if first != index:
                self.fail((*loc, "trigger"), f"{transition.trigger!r} from {source!r} is "
                          f"already defined (transition {first + 1}); route with 'choose'")
                return

    def expand(self, sources: list[str]) -> list[str]:
        """Source names with ``"*"`` replaced by every state that is not an end state."""
        every = [name for name, state in self.spec.states.items()
                 if state.kind != "end" and name not in self.forks.region]
        return [name for source in sources for name in (every if source == ANY else [source])]

    def check_sources(self, loc: Path_, transition: TransitionSpec) -> None:
        for number, source in enumerate(transition.sources):
            where = (*loc, "from") if isinstance(transition.source, str) else (*loc, "from", number)
            if source != ANY and source not in self.spec.states:
                self.fail(where, f"source state {source!r} does not exist")
            elif source != ANY and self.spec.states[source].kind == "end":
                self.fail(where, f"source state {source!r} is an end state; tickets there "
                          "are finished")

    def check_destinations(self, loc: Path_, to: str | None, choose: list[Branch] | None
                           ) -> None:
        if (to is None) == (choose is None):
            self.fail(loc, "a transition needs exactly one of 'to' and 'choose'")
        if to is not None and to not in self.spec.states:
            self.fail((*loc, "to"), f"destination state {to!r} does not exist")
        for index, branch in enumerate(choose or []):
            where: Path_ = (*loc, "choose", index)
            if branch.to not in self.spec.states:
                self.fail((*where, "to"), f"destination state {branch.to!r} does not exist")
            if branch.when:
                self.expression((*where, "when"), branch.when)
            elif index < len(choose or []) - 1:
                self.fail(where, "only the last branch may be the default (no 'when')")
        if choose is not None and (not choose or choose[-1].when):
            self.fail((*loc, "choose"), "a gateway needs a default branch (one without "
                      "'when') at the end")

    def check_permissions(self, loc: Path_, transition: TransitionSpec) -> None:
        self.known((*loc, "roles"), transition.roles or [], "role",
                   {*self.spec.roles, SYSTEM_ROLE})
        self.known((*loc, "posts"), transition.posts or [], "post", {*self.spec.posts, ANY})
        if transition.when:
            self.expression((*loc, "when"), transition.when)

    def check_data(self, loc: Path_, transition: TransitionSpec) -> None:
        self.known((*loc, "requires"), transition.requires, "field", self.names)
        self.known((*loc, "accepts"), transition.accepts, "field", self.names)
        self.values((*loc, "set"), transition.set)
        if transition.assign and is_expression(transition.assign):
            self.expression((*loc, "assign"), transition.assign)
        elif transition.assign not in (None, "actor", "nobody"):
            self.fail((*loc, "assign"), "assign must be actor, nobody or '= expression'")

    def check_effects(self, loc: Path_, transition: TransitionSpec) -> None:
        for number, action in enumerate(transition.do):
            if action not in ACTIONS:
                self.fail((*loc, "do", number), f"unknown action {action!r} "
                          f"(known: {', '.join(ACTIONS)})")
        start = transition.start
        if start is None:
            return
        for name, value in start.data.items():
            if is_expression(value):
                self.expression((*loc, "start", "data", name), value)
        if start.on_end:
            self.check_system_trigger((*loc, "start", "on_end"), start.on_end,
                                      destinations(transition), "on_end")

    def check_approval(self, loc: Path_, transition: TransitionSpec) -> None:
        """An approval: a declared role votes, quorums in their forms, a rejected state,
        and nothing that would happen at every vote (actions, children, a requester)."""
        spec = transition.approve
        if spec is None:
            return
        where: Path_ = (*loc, "approve")
        if spec.by not in self.spec.roles:
            self.fail((*where, "by"), f"role {spec.by!r} is not declared")
        if transition.roles is not None:
            self.fail((*loc, "roles"), "an approval's voters are its 'by:' role; give no "
                      "'roles'", key=True)
        for key in ("quorum", "reject_on"):
            rule = getattr(spec, key)
            problem = quorum_problem(rule)
            if problem:
                self.fail((*where, key), problem)
            elif is_expression(rule):
                self.expression((*where, key), str(rule))
        if spec.rejected not in self.spec.states:
            self.fail((*where, "rejected"), f"state {spec.rejected!r} does not exist")
        for key in ("do", "start", "requester", "choose", "tags"):
            if getattr(transition, key):
                self.fail((*loc, key), f"an approval cannot have {key!r}: it would happen "
                          "at every vote (take it in the next step)", key=True)

    def check_system_trigger(self, loc: Path_, trigger: str, states: list[str], what: str
                             ) -> None:
        """A trigger the engine fires itself must exist and allow the system role."""
        if trigger not in self.triggers:
            self.fail(loc, f"{what} names unknown trigger {trigger!r}")
            return
        transitions = [t for t in self.spec.transitions if t.trigger == trigger]
        if not any(set(self.expand(t.sources)) & set(states) for t in transitions):
            self.fail(loc, f"trigger {trigger!r} cannot be fired from state "
                      f"{' or '.join(map(repr, states))}")
        elif any(SYSTEM_ROLE not in (t.roles or []) for t in transitions):
            self.fail(loc, f"trigger {trigger!r} is fired by the engine, so its roles must "
                      f"include {SYSTEM_ROLE!r}")

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
            self.check_system_trigger((*loc, "fire"), timer.fire, [timer.state], "the timer")

    def check_events(self) -> None:
        for name, event in self.spec.events.items():
            loc: Path_ = ("events", name)
            self.known((*loc, "roles"), event.roles or [], "role", set(self.spec.roles))
            self.known((*loc, "posts"), event.posts or [], "post", {*self.spec.posts, ANY})
            self.values((*loc, "set"), event.set)

    def check_requester_steps(self) -> None:
        """The reserved role, and answers a requester can give: no fields, one per state."""
        if REQUESTER_ROLE in self.spec.roles:
            index = self.spec.roles.index(REQUESTER_ROLE)
            self.fail(("roles", index), f"role {REQUESTER_ROLE!r} is reserved for a ticket's "
                      "requester (mark the steps they take with 'requester:')")
        seen: dict[tuple[str, str], int] = {}
        for index, transition in enumerate(self.spec.transitions):
            mark = transition.requester
            if mark not in REQUESTER_ANSWERS:
                continue
            loc: Path_ = ("transitions", index, "requester")
            if transition.requires:
                self.fail(loc, f"a requester's answer ({mark}) cannot require fields: the "
                          f"requester gives none (requires: {', '.join(transition.requires)})")
            for source in self.expand(transition.sources):
                first = seen.setdefault((source, mark), index)
                if first != index:
                    self.fail(loc, f"the requester's {mark!r} from {source!r} is already "
                              f"transition {first + 1}; one per state")
                    break

    # -- parallel branches -----------------------------------------------------------------

    def check_forks(self) -> None:
        """Branch limits and join conditions; no transition crosses a branch's border."""
        for fork in self.forks.forks.values():
            loc: Path_ = ("states", fork.name)
            for region in fork.regions.values():
                branch = (self.spec.states[fork.name].fork or {})[region.name]
                self.limit((*loc, "fork", region.name, "limit"), branch.limit)
            if fork.join is not None:
                self.join_condition((*loc, "join"), fork.join, set(fork.regions))
        for index, timer in enumerate(self.spec.timers):
            if timer.state in self.forks.region:
                self.fail(("timers", index, "state"), f"{timer.state!r} is a branch state; "
                          "a branch is timed by its clock (its 'limit:'), not by timers")
        owner: dict[tuple[str, str], str] = {}
        for index, transition in enumerate(self.spec.transitions):
            self.check_border(("transitions", index), transition)
            self.check_owner(("transitions", index, "trigger"), transition, owner)

    def check_owner(self, loc: Path_, transition: TransitionSpec,
                    owner: dict[tuple[str, str], str]) -> None:
        """One trigger names one step of a forked ticket: of one branch, or of the fork."""
        for source in self.expand(transition.sources):
            region = self.forks.region.get(source)
            fork, part = (region.fork, region.name) if region else (source, source)
            if fork not in self.forks.forks:
                continue
            first = owner.setdefault((fork, transition.trigger), part)
            if first != part:
                self.fail(loc, f"{transition.trigger!r} is fired in {first!r} and in {part!r} "
                          f"of the fork {fork!r}; name each branch's triggers apart")
                return

    def join_condition(self, loc: Path_, text: str, branches: set[str]) -> None:
        """A join reads the fields and, by name, whether each branch is done."""
        source = text.removeprefix("=").strip()
        try:
            self.expressions[source] = Expression(source, self.names | branches,
                                                  self.decisions)
        except ExpressionError as exc:
            self.fail(loc, str(exc))

    def check_border(self, loc: Path_, transition: TransitionSpec) -> None:
        """A branch's steps stay in it; nothing enters a branch but its fork."""
        regions = {self.forks.region.get(s) for s in self.expand(transition.sources)}
        for target in destinations(transition):
            inside = self.forks.region.get(target)
            for region in regions:
                if region is not None and inside is not region:
                    self.fail(loc, f"a step of branch {region.name!r} cannot lead to "
                              f"{target!r}, outside the branch; the branch ends in an end "
                              "state and its fork joins")
                elif region is None and inside is not None:
                    self.fail(loc, f"{target!r} is a state of branch {inside.name!r}; a "
                              f"ticket enters it through the fork {inside.fork!r}")

    # -- the graph -------------------------------------------------------------------------

    def check_graph(self) -> None:
        reachable = self.reachable()
        for name, state in self.spec.states.items():
            loc = self.where(name)
            if name not in reachable:
                self.fail(loc, f"state {name!r} cannot be reached from the start", key=True)
            elif state.kind != "end" and not any(self.exits(name)):
                self.fail(loc, f"state {name!r} is not an end state but has no way out",
                          key=True)

    def exits(self, state: str) -> Iterator[str]:
        """The destinations of every transition that may be fired from ``state``."""
        for transition in self.spec.transitions:
            if state in self.expand(transition.sources):
                yield from destinations(transition)
        fork = self.forks.forks.get(state)
        if fork is not None:
            yield fork.then
            yield from (region.start for region in fork.regions.values())

    def reachable(self) -> set[str]:
        seen: set[str] = set()
        todo = [self.spec.start_state()]
        while todo:
            state = todo.pop()
            if state not in seen:
                seen.add(state)
                todo.extend(self.exits(state))
        return seen
