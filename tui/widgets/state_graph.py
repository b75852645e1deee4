"""A process's state graph as text: each state with its post and limit, then its ways out."""

from __future__ import annotations

from collections.abc import Collection

from rich.text import Text
from textual.widgets import Static

from engine.process.spec import ANY, Limit, LimitTable, ProcessSpec, StateSpec, TransitionSpec

KIND_MARKS = {"start": "◆", "task": "●", "waiting": "◌", "end": "■"}


def limit_text(limit: Limit | None) -> str:
    """A limit as written: ``PT15M`` or ``by priority: critical PT2H, …``."""
    if limit is None:
        return ""
    if isinstance(limit, LimitTable):
        values = ", ".join(f"{k} {v}" for k, v in limit.values.items())
        return f"by {limit.by}: {values}" + (f", else {limit.default}" if limit.default else "")
    return limit


def _targets(transition: TransitionSpec) -> list[tuple[str, str]]:
    approval = transition.approve
    if approval is not None:
        return [(transition.to or "", f"✔ {quorum_text(approval.quorum)} × {approval.by}"),
                (approval.rejected,
                 f"✘ {quorum_text(approval.reject_on)} × {approval.by}")]
    if transition.to:
        return [(transition.to, "")]
    return [(b.to, f"when {b.when}" if b.when else "otherwise") for b in transition.choose or []]


def quorum_text(quorum: int | str) -> str:
    """A quorum as read: ``2``, ``all``, ``50%``, or its expression without ``=``."""
    return str(quorum).removeprefix("=").strip()


def _edge(text: Text, transition: TransitionSpec, states: set[str]) -> None:
    voters = [transition.approve.by] if transition.approve else ["agent"]
    roles = ",".join(transition.roles or voters)
    for dest, condition in _targets(transition):
        text.append("    ")
        text.append(transition.trigger, style="bold")
        text.append(" ──▶ ")
        text.append(dest, style="cyan" if dest in states else "red")
        extras = [e for e in (condition, f"if {transition.when}" if transition.when else "",
                              f"[{roles}]") if e]
        text.append("  " + "  ".join(extras) + "\n", style="dim")


def graph_text(spec: ProcessSpec, current: str | Collection[str] | None = None) -> Text:
    """The graph of a process; ``current`` (a ticket's state, or its state and active
    branch states) is highlighted. A fork shows its branches (⑂) and its join (⑃); a
    branch's states are drawn under it, marked ┃."""
    text = Text()
    names = set(spec.states)
    marked = {current} if isinstance(current, str) else set(current or ())
    inner = _branch_of(spec)
    for name, state in spec.states.items():
        facts = [state.kind, state.post or "", limit_text(state.limit), inner.get(name, "")]
        line = f"{'┃ ' if name in inner else ''}{KIND_MARKS.get(state.kind, '●')} {name}"
        text.append(line, style="reverse bold" if name in marked else "bold magenta")
        text.append("  " + " · ".join(f for f in facts if f) + "\n", style="dim")
        _fork_lines(text, state)
        for transition in spec.transitions:
            if name in transition.sources:
                _edge(text, transition, names)
        for timer in spec.timers:
            if timer.state == name:
                when = limit_text(timer.after) if timer.after else f"at {timer.at}"
                text.append(f"    ◷ {when} fires {timer.fire}\n", style="yellow")
    anywhere = [t for t in spec.transitions if ANY in t.sources]
    if anywhere:
        text.append("* from every state that is not an end\n", style="bold magenta")
        for transition in anywhere:
            _edge(text, transition, names)
    return text


def _branch_of(spec: ProcessSpec) -> dict[str, str]:
    """Branch state → ``branch B of F`` (its place)."""
    return {inner: f"branch {branch} of {fork}" for fork, state in spec.states.items()
            for branch, spec_ in (state.fork or {}).items() for inner in spec_.states}


def _fork_lines(text: Text, state: StateSpec) -> None:
    """A fork's branches (first state, post, clock) and its join."""
    for branch, spec in (state.fork or {}).items():
        clock = f"  clock {limit_text(spec.limit)}" if spec.limit else ""
        text.append(f"    ⑂ {branch} ──▶ {next(iter(spec.states), '')}", style="green")
        text.append(f"  [{spec.post or 'post of its states'}]{clock}\n", style="dim")
    if state.fork:
        condition = f", or when {state.join}" if state.join else ""
        text.append(f"    ⑃ join ──▶ {state.then}", style="green")
        text.append(f"  when every branch is done{condition}\n", style="dim")


class StateGraph(Static):
    """Shows a process's graph; the screen hands it the spec and the state to highlight."""

    def show(self, spec: ProcessSpec, current: str | Collection[str] | None = None) -> None:
        self.border_title = f"{spec.process} · {len(spec.states)} states"
        self.update(graph_text(spec, current))
