"""Re-planning recorded firings, remembered by exactly what a plan reads.

:func:`engine.desk.plan.plan_outcome` is a pure function, and a transition reads little of a
ticket: its state, post and assignee, the fields its guard, routing, ``set`` and
``assign`` expressions name, the fields it requires or sets, the actor (name, roles and
post) and the actor's input. One transition may leave several states (``from: [a, b]``)
and its expressions may read ``state``, so the state is part of the key, not only the
transition. ``verify`` re-plans every recorded firing; on a desk most of them repeat the
same situation, so the verdict — the destination, changes and details, or the refusal —
is kept under a key made of exactly those inputs. Transitions whose plan reads the clock
(an expression naming ``now``, or a ``do:`` action) are always planned afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.core.errors import ServiceError
from engine.core.model import Account, Ticket, Timer
from engine.desk import approvals, plan
from engine.process.compiler import CompiledProcess
from engine.process.expressions import is_expression
from engine.process.spec import TransitionSpec

LIMIT = 200_000
"""Verdicts kept before the memory is cleared (a bound on memory, not on correctness)."""


@dataclass(frozen=True)
class Verdict:
    """What re-planning a firing gave: its result, or why it was refused."""

    dest: str | None = None
    changes: dict[str, list[Any]] | None = None
    details: dict[str, Any] | None = None
    refusal: ServiceError | None = None


class Replanner:
    """Plans firings with :func:`engine.desk.plan.plan_outcome`, remembering verdicts."""

    def __init__(self) -> None:
        self._verdicts: dict[tuple[Any, ...], Verdict] = {}
        self._reads: dict[int, tuple[str, ...] | None] = {}

    def plan(self, compiled: CompiledProcess, ticket: Ticket, trigger: str, actor: Account,
             given: dict[str, Any], now: datetime, timer: Timer | None,
             transition: TransitionSpec | None = None,
             ballot: approvals.Ballot | None = None) -> Verdict:
        """The verdict of firing ``trigger`` on ``ticket`` as ``actor`` with ``given``
        (``transition``: the one the trigger takes from the ticket's state, if known; an
        approval's vote, with its round, is planned afresh each time)."""
        if transition is None:
            transition = compiled.step_for(ticket.state, ticket.branches, trigger)
        key = None if transition is None or ballot is not None else self._key(
            compiled, transition, ticket, actor, given, timer)
        if key is None:
            return self._plan(compiled, ticket, trigger, actor, given, now, timer, ballot)
        try:
            return self._verdicts[key]
        except KeyError:
            pass
        except TypeError:  # a value in the key cannot be hashed (a list in the data)
            return self._plan(compiled, ticket, trigger, actor, given, now, timer)
        if len(self._verdicts) >= LIMIT:
            self._verdicts.clear()
        verdict = self._verdicts[key] = self._plan(compiled, ticket, trigger, actor, given,
                                                   now, timer)
        return verdict

    @staticmethod
    def _plan(compiled: CompiledProcess, ticket: Ticket, trigger: str, actor: Account,
              given: dict[str, Any], now: datetime, timer: Timer | None,
              ballot: approvals.Ballot | None = None) -> Verdict:
        try:
            outcome = plan.plan_outcome(compiled, ticket, trigger, actor, given, now, timer,
                                        ballot)
        except ServiceError as exc:
            return Verdict(refusal=exc)
        return Verdict(outcome.moved.state, outcome.changes, outcome.details)

    def _key(self, compiled: CompiledProcess, transition: TransitionSpec, ticket: Ticket,
             actor: Account, given: dict[str, Any], timer: Timer | None
             ) -> tuple[Any, ...] | None:
        reads = self._fields_read(compiled, transition)
        if reads is None or ticket.branches:  # a branch step reads the other branches
            return None
        data = ticket.data
        # the input, and the values before it of the fields it gives that the plan reads not
        inputs: tuple[Any, ...] = ()
        if given:
            inputs = (tuple(sorted(given.items())),
                      tuple([(name, data.get(name)) for name in sorted(given)
                             if name not in reads]))
        # the transition stands for the version and the trigger (the compiled versions, and
        # so their transitions, live as long as the run); one transition may leave several
        # states, and expressions read ``state``, so the state is keyed too
        return (id(transition), ticket.state, ticket.post, ticket.assignee, actor.username,
                tuple(actor.roles), actor.post, inputs, tuple([data.get(name) for name in reads]),
                timer.due_at if timer else None)

    def _fields_read(self, compiled: CompiledProcess, transition: TransitionSpec
                     ) -> tuple[str, ...] | None:
        """The fields a transition's plan reads (None: it reads the clock)."""
        try:
            return self._reads[id(transition)]
        except KeyError:
            reads = self._reads[id(transition)] = reads_of(compiled, transition)
            return reads


def reads_of(compiled: CompiledProcess, transition: TransitionSpec) -> tuple[str, ...] | None:
    """Every field the plan of a transition looks at, or None when it reads the clock."""
    if transition.do:
        return None
    texts = [transition.when, *(branch.when for branch in transition.choose or [])]
    texts += [raw for raw in transition.set.values() if is_expression(raw)]
    if transition.assign and transition.assign not in ("actor", "nobody"):
        texts.append(transition.assign)
    names: set[str] = set(transition.requires) | set(transition.set)
    for text in texts:
        if text:
            names |= set(compiled.process.expression(text).names)
    if "now" in names:
        return None
    return tuple(sorted(names & set(compiled.spec.fields)))
