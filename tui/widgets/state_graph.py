"""A process's state graph as text: each state with its post and limit, then its ways out."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from engine.process.spec import ANY, Limit, LimitTable, ProcessSpec, TransitionSpec

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


def graph_text(spec: ProcessSpec, current: str | None = None) -> Text:
    """The graph of a process; ``current`` (a ticket's state) is highlighted."""
    text = Text()
    names = set(spec.states)
    for name, state in spec.states.items():
        facts = [state.kind, state.post or "", limit_text(state.limit)]
        line = f"{KIND_MARKS.get(state.kind, '●')} {name}"
        text.append(line, style="reverse bold" if name == current else "bold magenta")
        text.append("  " + " · ".join(f for f in facts if f) + "\n", style="dim")
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


class StateGraph(Static):
    """Shows a process's graph; the screen hands it the spec and the state to highlight."""

    def show(self, spec: ProcessSpec, current: str | None = None) -> None:
        self.border_title = f"{spec.process} · {len(spec.states)} states"
        self.update(graph_text(spec, current))
