"""The SLA clocks a process defines, and its declarative escalation ladder.

Every state with a ``limit`` has a clock named after it. The ladder (``escalation:``) lists
tiers — a state, or every state of a post — each with a limit and what missing it does:
hand the ticket to the next tier, notify posts, raise a field. The ladder compiles down to
what the engine runs: a clock per tier (SLA timers, see :mod:`engine.time.sla`) and, for each
``hand_to``, a system transition fired by the ladder's trigger — nothing is hand-written.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.process.calendars import calendar_problems
from engine.process.durations import parse_duration
from engine.process.expressions import is_expression
from engine.process.spec import (
    ANY,
    BreachSpec,
    Limit,
    LimitTable,
    ProcessSpec,
    TierSpec,
    TransitionSpec,
)

Loc = tuple[str | int, ...]
Found = list[tuple[Loc, str]]
RAISABLE = ("integer", "choice")


@dataclass(frozen=True)
class ClockSpec:
    """One SLA clock of a process: the states it times, its limit, its breach actions."""

    name: str
    states: frozenset[str]
    """The states a stint of this clock spans (waiting ones pause it)."""
    limit: Limit | None
    breach: BreachSpec | None = None
    """The ladder tier's breach actions; None for a plain state limit."""


def clocks_of(spec: ProcessSpec) -> dict[str, ClockSpec]:
    """Every clock of a (valid) process: one per state limit and one per ladder tier."""
    tiers = spec.escalation.tiers if spec.escalation else []
    tier_states = {tier.state for tier in tiers}
    clocks = {name: ClockSpec(name, frozenset([name]), state.limit)
              for name, state in spec.states.items()
              if state.limit is not None and name not in tier_states}
    for tier in tiers:
        name = tier_name(tier)
        clocks[name] = ClockSpec(name, frozenset(tier_states_of(spec, tier)),
                                 tier_limit(spec, tier), tier.breach)
    for state in spec.states.values():
        for branch, fork in (state.fork or {}).items():
            if fork.limit is not None:
                clocks[branch] = ClockSpec(branch, frozenset(
                    name for name, inner in fork.states.items() if inner.kind != "end"),
                    fork.limit)
    return clocks


def tier_name(tier: TierSpec) -> str:
    """A tier's clock name: its state, or its post."""
    return tier.state or tier.post or ""


def tier_states_of(spec: ProcessSpec, tier: TierSpec) -> list[str]:
    """The states a tier spans, in file order."""
    if tier.state:
        return [tier.state]
    return [name for name, state in spec.states.items()
            if state.post == tier.post and state.kind != "end"]


def tier_limit(spec: ProcessSpec, tier: TierSpec) -> Limit | None:
    """The tier's own limit, else its state's."""
    state = spec.states.get(tier.state or "")
    return tier.limit if tier.limit is not None else (state.limit if state else None)


def expand(spec: ProcessSpec) -> ProcessSpec:
    """The spec with the ladder's hand-off transitions added (tiers with problems left out)."""
    if spec.escalation is None:
        return spec
    added = []
    for tier in spec.escalation.tiers:
        sources = [s for s in tier_states_of(spec, tier)
                   if s in spec.states and spec.states[s].sla_runs]
        if tier.breach.hand_to not in spec.states or not sources or \
                _LadderCheck(spec).clash(spec.escalation.trigger, set(sources)):
            continue
        added.append(TransitionSpec.model_validate({
            "trigger": spec.escalation.trigger, "from": sources, "to": tier.breach.hand_to,
            "roles": ["system"], "title": f"{tier_name(tier)} missed its limit: escalate"}))
    return spec.model_copy(update={"transitions": [*spec.transitions, *added]})


def time_problems(spec: ProcessSpec) -> Found:
    """What is wrong with a process's calendar and ladder, each with its place."""
    found: Found = []
    if spec.calendar is not None:
        found += [(("calendar", *loc), message)
                  for loc, message in calendar_problems(spec.calendar)]
    if spec.escalation is not None:
        found += _LadderCheck(spec).run()
    return found


class _LadderCheck:
    """The meaning checks of an ``escalation:`` block."""

    def __init__(self, spec: ProcessSpec) -> None:
        assert spec.escalation is not None
        self.spec, self.ladder = spec, spec.escalation
        self.found: Found = []
        self.owner: dict[str, str] = {}

    def fail(self, loc: Loc, message: str) -> None:
        self.found.append((("escalation", *loc), message))

    def run(self) -> Found:
        if self.ladder.trigger in self.spec.events:
            self.fail(("trigger",), f"{self.ladder.trigger!r} is also an event name")
        if not self.ladder.tiers:
            self.fail(("tiers",), "the ladder needs at least one tier")
        names: set[str] = set()
        for index, tier in enumerate(self.ladder.tiers):
            self.tier(("tiers", index), tier, names)
        return self.found

    def tier(self, loc: Loc, tier: TierSpec, names: set[str]) -> None:
        if (tier.state is None) == (tier.post is None):
            self.fail(loc, "a tier needs exactly one of 'state' and 'post'")
            return
        name = tier_name(tier)
        if name in names or (tier.post and self._state_clock(name)):
            self.fail(loc, f"the clock {name!r} is defined twice")
        names.add(name)
        if not self.where(loc, tier):
            return
        for state in tier_states_of(self.spec, tier):
            first = self.owner.setdefault(state, name)
            if first != name:
                self.fail(loc, f"state {state!r} is already in the tier {first!r}")
        self.limit(loc, tier)
        self.breach((*loc, "breach"), tier)

    def _state_clock(self, name: str) -> bool:
        state = self.spec.states.get(name)
        return state is not None and state.limit is not None

    def where(self, loc: Loc, tier: TierSpec) -> bool:
        if tier.state is not None:
            state = self.spec.states.get(tier.state)
            if state is None or state.kind == "end":
                self.fail((*loc, "state"), f"state {tier.state!r} does not exist"
                          if state is None else f"{tier.state!r} is an end state")
                return False
            return True
        if tier.post not in self.spec.posts:
            self.fail((*loc, "post"), f"post {tier.post!r} is not declared")
            return False
        if not tier_states_of(self.spec, tier):
            self.fail((*loc, "post"), f"no state belongs to the post {tier.post!r}")
            return False
        return True

    def limit(self, loc: Loc, tier: TierSpec) -> None:
        own = self.spec.states[tier.state].limit if tier.state else None
        if tier.limit is not None and own is not None:
            self.fail((*loc, "limit"), f"state {tier.state!r} has a limit already; give it once")
        limit = tier.limit if tier.limit is not None else own
        if limit is None:
            self.fail(loc, "a tier needs a limit (here or on its state)")
            return
        texts = [limit] if isinstance(limit, str) else [*limit.values.values(),
                                                        *([limit.default] if limit.default else [])]
        if isinstance(limit, LimitTable) and limit.by not in self.spec.fields:
            self.fail((*loc, "limit", "by"), f"field {limit.by!r} is not declared")
        for text in texts:
            if text is own and is_expression(text):
                continue  # a computed state limit: checked with the state's expressions
            try:
                parse_duration(text)
            except ValueError as exc:
                self.fail((*loc, "limit"), str(exc))

    def breach(self, loc: Loc, tier: TierSpec) -> None:
        breach = tier.breach
        states = set(tier_states_of(self.spec, tier))
        if breach.hand_to is not None:
            self.hand_to((*loc, "hand_to"), breach.hand_to, states)
        for index, post in enumerate(breach.notify):
            if post not in self.spec.posts:
                self.fail((*loc, "notify", index), f"post {post!r} is not declared")
        if breach.raise_ is not None:
            field = self.spec.fields.get(breach.raise_)
            if field is None or field.type not in RAISABLE:
                self.fail((*loc, "raise"), f"{breach.raise_!r} is not an integer or choice "
                          "field")

    def hand_to(self, loc: Loc, target: str, states: set[str]) -> None:
        if target not in self.spec.states:
            self.fail(loc, f"state {target!r} does not exist")
        elif target in states:
            self.fail(loc, f"the tier cannot hand a ticket to its own state {target!r}")
        trigger = self.ladder.trigger
        if self.clash(trigger, states):
            self.fail(loc, f"the process already has a {trigger!r} transition from this tier; "
                      "the ladder adds its own (remove it, or name escalation.trigger)")

    def clash(self, trigger: str, states: set[str]) -> bool:
        """Whether a transition of the file fires ``trigger`` from one of ``states``."""
        return any(t.trigger == trigger and (ANY in t.sources or states & set(t.sources))
                   for t in self.spec.transitions)
