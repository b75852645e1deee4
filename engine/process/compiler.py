"""Compiling a validated process into one shared ``transitions`` machine.

One ``Machine(model=None, auto_transitions=False)`` per process version, cached by content
hash and shared by every ticket of that version. Guards and gateway conditions become
closures built here — ``transitions`` never resolves a name from YAML. Tickets are plain
objects with a ``state`` attribute, fired with ``machine.events[trigger].trigger(ticket)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine, MachineError

from engine.core.errors import GuardFailed, InvalidTrigger
from engine.process.expressions import Expression, ExpressionError
from engine.process.load import Process
from engine.process.spec import ANY, TransitionSpec

Names = dict[str, Any]


@dataclass
class _Firing:
    """What the machine's callbacks read and write during one trigger."""

    names: Names
    guard_error: str | None = None


class CompiledProcess:
    """A process version ready to run: its machine and a lookup of transitions by state."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.spec = process.spec
        self._by_source: dict[tuple[str, str], TransitionSpec] = {}
        self._direct: dict[tuple[str, str], str] = {}
        """(source, trigger) → destination of the transitions with one destination and
        no condition: all the machine does for those is set the state (it has no
        callbacks), so :meth:`fire` sets it without the machine's ~9 µs of event
        dispatch. Guarded transitions and gateways go through the machine."""
        self.machine = Machine(
            model=None, states=list(self.spec.states), initial=self.spec.start_state(),
            transitions=self._transitions(), auto_transitions=False, send_event=True,
            ignore_invalid_triggers=False)

    def _transitions(self) -> list[dict[str, Any]]:
        result = []
        for transition in self.spec.transitions:
            for source in self._expand(transition.sources):
                key = (source, transition.trigger)
                if key not in self._by_source and transition.to and not transition.when:
                    self._direct[key] = transition.to
                self._by_source.setdefault(key, transition)
                result.extend(self._edges(transition, source))
        return result

    def _expand(self, sources: list[str]) -> list[str]:
        if ANY not in sources:
            return sources
        return [name for name, state in self.spec.states.items()
                if state.kind != "end" and name not in self.process.forks.region]

    def _edges(self, transition: TransitionSpec, source: str) -> list[dict[str, Any]]:
        guard = [self._condition(transition.when)] if transition.when else []
        if transition.to:
            return [dict(trigger=transition.trigger, source=source, dest=transition.to,
                         conditions=guard)]
        return [dict(trigger=transition.trigger, source=source, dest=branch.to,
                     conditions=guard + ([self._condition(branch.when)] if branch.when else []))
                for branch in transition.choose or []]

    def _condition(self, text: str) -> Callable[[EventData], bool]:
        expression: Expression = self.process.expression(text)

        def condition(event: EventData) -> bool:
            firing: _Firing = event.kwargs["firing"]
            try:
                return bool(expression.evaluate(firing.names))
            except ExpressionError as exc:
                firing.guard_error = str(exc)
                return False

        return condition

    def transition_for(self, state: str, trigger: str) -> TransitionSpec | None:
        """The transition a trigger takes from a state, if any."""
        return self._by_source.get((state, trigger))

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        """Every transition that may be fired from a state, in file order."""
        return [t for (source, _), t in self._by_source.items() if source == state]

    def branch_of(self, branches: dict[str, str], trigger: str) -> str | None:
        """The active branch whose state the trigger may be fired from (None: none)."""
        return next((branch for branch, state in branches.items()
                     if (state, trigger) in self._by_source), None)

    def step_for(self, state: str, branches: dict[str, str], trigger: str
                 ) -> TransitionSpec | None:
        """The transition a trigger takes on a ticket: from its state, else from the state
        of one of its active branches."""
        found = self._by_source.get((state, trigger))
        if found is None and branches:
            branch = self.branch_of(branches, trigger)
            found = self._by_source.get((branches[branch], trigger)) if branch else None
        return found

    def transitions_now(self, state: str, branches: dict[str, str]) -> list[TransitionSpec]:
        """Every transition that may be fired on a ticket: from its state and from the
        state of each active branch."""
        result = self.transitions_from(state)
        for inner in branches.values():
            result += self.transitions_from(inner)
        return result

    def fire(self, ticket: Any, trigger: str, names: Names) -> str:
        """Move ``ticket`` (a plain object with ``state`` and ``id``) by ``trigger``.

        ``names`` are the values expressions see. Returns the destination state; raises
        InvalidTrigger or GuardFailed and leaves the ticket as it was.
        """
        direct = self._direct.get((ticket.state, trigger))
        if direct is not None:
            ticket.state = direct
            return direct
        event = self.machine.events.get(trigger)
        if event is None or (ticket.state, trigger) not in self._by_source:
            raise InvalidTrigger(f"{trigger!r} is not possible now", ticket=ticket.id,
                                 state=ticket.state)
        firing = _Firing(self.process.scope(names))
        try:
            moved = event.trigger(ticket, firing=firing)
        except MachineError:
            raise InvalidTrigger(f"{trigger!r} is not possible now", ticket=ticket.id,
                                 state=ticket.state) from None
        if not moved:
            transition = self._by_source[(ticket.state, trigger)]
            reason = firing.guard_error or f"the condition {transition.when!r} is false"
            raise GuardFailed(f"{trigger!r} refused: {reason}", ticket=ticket.id,
                              state=ticket.state)
        return str(ticket.state)


_CACHE: dict[str, CompiledProcess] = {}


def compile_process(process: Process) -> CompiledProcess:
    """The shared compiled machine for a process version (cached by content hash)."""
    compiled = _CACHE.get(process.digest)
    if compiled is None:
        compiled = _CACHE[process.digest] = CompiledProcess(process)
    return compiled
