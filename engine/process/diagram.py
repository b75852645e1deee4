"""Drawing a process as a Mermaid ``stateDiagram-v2``.

Edges read like UML: ``trigger [guard] / actions ⏱ timer``; an approval reads
``trigger ✔ QUORUM × ROLE``, with a second edge ``trigger ✘ N × ROLE`` to its
rejected state. Start and end states are
joined to ``[*]``; an exclusive gateway becomes a ``<<choice>>`` state whose branches carry
their conditions (``else`` for the default). A fork is a ``<<fork>>`` pseudo-state leading
into a composite state with one concurrent region (``--``) per branch, each with its own
states and steps; the composite leads to a ``<<join>>`` into the fork's ``then:`` state,
labelled ``all done`` (and its ``join:`` condition when it has one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from engine.process.spec import (
    ANY,
    Limit,
    ProcessSpec,
    StateSpec,
    TimerSpec,
    TransitionSpec,
)

_UNSAFE = re.compile(r"[#:;]")
"""Characters that end a Mermaid label (``:``, ``;``) or start an entity code (``#``)."""


def mermaid(spec: ProcessSpec) -> str:
    """The process's state graph as Mermaid ``stateDiagram-v2`` source."""
    lines = ["stateDiagram-v2", f"    %% {spec.process}: {_flat(spec.title)}"]
    inner = _branch_states(spec)
    lines += [f"    {line}" for line in _states(spec, inner)]
    lines += [f"    {line}" for line in _edges(spec, inner)]
    lines += [f"    {line}" for line in _forks(spec)]
    lines += [f"    {line}" for line in _events(spec)]
    return "\n".join(lines) + "\n"


def _branch_states(spec: ProcessSpec) -> set[str]:
    """The states inside branches (drawn in their fork's composite state)."""
    return {inner for state in spec.states.values() for branch in (state.fork or {}).values()
            for inner in branch.states}


def _states(spec: ProcessSpec, inner: set[str]) -> Iterator[str]:
    for name, state in spec.states.items():
        if name in inner:
            continue
        title = state.title or name
        yield f"{name} : {_text(title + (f' ({state.post})' if state.post else ''))}"
    yield f"[*] --> {spec.start_state()}"
    for name, state in spec.states.items():
        if state.kind == "end" and name not in inner:
            yield f"{name} --> [*]"


def _forks(spec: ProcessSpec) -> Iterator[str]:
    """Each fork: ``<<fork>>``, a composite of concurrent branch regions, ``<<join>>``."""
    for name, state in spec.states.items():
        if not state.fork:
            continue
        yield f"state {name}_fork <<fork>>"
        yield f"{name}_fork --> {name}"
        yield f"state {name} {{"
        for number, branch in enumerate(state.fork.values()):
            if number:
                yield "    --"
            yield from (f"    {line}" for line in _region(spec, branch.states))
        yield "}"
        condition = f" or [{state.join}]" if state.join else ""
        yield f"state {name}_join <<join>>"
        yield f"{name} --> {name}_join"
        yield f"{name}_join --> {state.then} : {_text('all done' + condition)}"


def _region(spec: ProcessSpec, states: dict[str, StateSpec]) -> Iterator[str]:
    first = next(iter(states))
    yield f"[*] --> {first}"
    for name, state in states.items():
        full = spec.states.get(name, state)
        title = (full.title or name) + (f" ({full.post})" if full.post else "")
        yield f"{name} : {_text(title)}"
        if state.kind == "end":
            yield f"{name} --> [*]"
    for transition in spec.transitions:
        for source in transition.sources:
            if source in states:
                yield from _targets(spec, transition, [source], set(spec.states))


def _edges(spec: ProcessSpec, inner: set[str]) -> Iterator[str]:
    choices: set[str] = set(spec.states)
    for transition in spec.transitions:
        sources = [source for source in _sources(spec, transition) if source not in inner]
        if sources:
            yield from _targets(spec, transition, sources, choices)


def _targets(spec: ProcessSpec, transition: TransitionSpec, sources: list[str],
             choices: set[str]) -> Iterator[str]:
    """The edges of one transition from its sources (a fork is entered by its ``<<fork>>``)."""
    if transition.to:
        for source in sources:
            yield f"{source} --> {_dest(spec, transition.to)} : " \
                  f"{_label(spec, transition, source)}"
            yield from _rejection(transition, source)
        return
    choice = _unique(f"{transition.trigger}_choice", choices)
    yield f"state {choice} <<choice>>"
    for source in sources:
        yield f"{source} --> {choice} : {_label(spec, transition, source)}"
    for branch in transition.choose or []:
        condition = f"[{branch.when}]" if branch.when else "else"
        yield f"{choice} --> {_dest(spec, branch.to)} : {_text(condition)}"


def _dest(spec: ProcessSpec, name: str) -> str:
    state = spec.states.get(name)
    return f"{name}_fork" if state is not None and state.fork else name


def _rejection(transition: TransitionSpec, source: str) -> Iterator[str]:
    """An approval's other way out: enough rejections."""
    approval = transition.approve
    if approval is not None:
        label = f"{transition.trigger} ✘ {_quorum(approval.reject_on)} × {approval.by}"
        yield f"{source} --> {approval.rejected} : {_text(label)}"


def _quorum(quorum: int | str) -> str:
    return str(quorum).removeprefix("=").strip()


def _sources(spec: ProcessSpec, transition: TransitionSpec) -> list[str]:
    every = [name for name, state in spec.states.items() if state.kind != "end"]
    return [name for source in transition.sources
            for name in (every if source == ANY else [source])]


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    taken.add(candidate)
    return candidate


def _label(spec: ProcessSpec, transition: TransitionSpec, source: str) -> str:
    """``trigger [guard] / actions ▶ child ⏱ timer`` for one source state."""
    parts = [transition.trigger]
    if transition.when:
        parts.append(f"[{transition.when}]")
    if transition.approve:
        parts.append(f"✔ {_quorum(transition.approve.quorum)} × {transition.approve.by}")
    if transition.do:
        parts.append("/ " + ", ".join(transition.do))
    if transition.start:
        parts.append(f"▶ {transition.start.process}")
    parts += [_timer(timer) for timer in spec.timers
              if timer.state == source and timer.fire == transition.trigger]
    parts += _ladder(spec, transition.trigger, source)
    return _text(" ".join(parts))


def _ladder(spec: ProcessSpec, trigger: str, source: str) -> list[str]:
    """The escalation ladder's hand-off from a tier fires when the tier's limit is missed."""
    ladder = spec.escalation
    if ladder is None or trigger != ladder.trigger:
        return []
    return [f"⏱ after {_limit(tier.limit or spec.states[source].limit)}"
            for tier in ladder.tiers if tier.state == source and tier.breach.hand_to]


def _timer(timer: TimerSpec) -> str:
    if timer.at:
        return f"⏱ at {timer.at}"
    return f"⏱ after {_limit(timer.after)}"


def _limit(limit: Limit | None) -> str:
    if limit is None or isinstance(limit, str):
        return str(limit)
    table = " ".join(f"{value}={duration}" for value, duration in limit.values.items())
    default = f" else {limit.default}" if limit.default else ""
    return f"{limit.by} {table}{default}"


def _events(spec: ProcessSpec) -> Iterator[str]:
    for name, event in spec.events.items():
        tags = f" [{', '.join(event.tags)}]" if event.tags else ""
        yield f"%% event {name}: {_flat((event.title or name) + tags)}"


def _flat(text: str) -> str:
    """Text on one line (for comments)."""
    return " ".join(text.split())


def _text(text: str) -> str:
    """Text safe inside a Mermaid label: one line, ``#``, ``:`` and ``;`` as entity codes."""
    return _UNSAFE.sub(lambda match: f"#{ord(match[0])};", _flat(text))
