"""Approvals by several people: votes, rounds and quorums (pure).

A transition with ``approve:`` is fired once per vote. Each vote is its own journal event
(``details.vote``: ``approve`` or ``reject``) by one account; the votes since the ticket
last changed state are the round, and an account votes once per round. The transition is
taken when the approvals reach the quorum, the ``rejected`` state when the rejections reach
``reject_on``; until then the ticket stays where it is. The journal alone holds the round:
the desk, replay and verify all read it with :func:`follow`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.core.errors import BadRequest, Forbidden, MissingField
from engine.core.journal import Event
from engine.core.model import Account, Ticket
from engine.process.expressions import is_expression
from engine.process.load import Process
from engine.process.spec import ApprovalSpec, Quorum, TransitionSpec

APPROVE, REJECT = "approve", "reject"
VOTES = (APPROVE, REJECT)
Vote = tuple[str, str, str]
"""(account, trigger, vote) of one vote of the round."""


@dataclass(frozen=True)
class Ballot:
    """One vote about to be cast, with the round it joins."""

    vote: str = APPROVE
    votes: tuple[Vote, ...] = ()
    """The earlier votes of the round."""
    eligible: int | None = None
    """How many active accounts hold the approving role (for ``all`` and percentages)."""


@dataclass(frozen=True)
class Tally:
    """The round after this vote: whether it is settled, and what the journal records."""

    settled: bool
    details: dict[str, Any]


def follow(votes: tuple[Vote, ...], event: Event) -> tuple[Vote, ...]:
    """The round after one more event: a change of state (or an opening) starts anew."""
    if event.kind in ("open", "migrate") or event.dest != event.source:
        return ()
    vote = event.details.get("vote")
    if event.kind == "fire" and vote in VOTES:
        return (*votes, (event.actor, event.trigger or "", str(vote)))
    return votes


def round_of(events: Iterable[Event]) -> tuple[Vote, ...]:
    """The votes of the current round of a journal."""
    votes: tuple[Vote, ...] = ()
    for event in events:
        votes = follow(votes, event)
    return votes


def needs_eligible(spec: ApprovalSpec) -> bool:
    """Whether a quorum counts the accounts holding the role (``all``, a percentage)."""
    return any(isinstance(q, str) and not is_expression(q) for q in (spec.quorum,
                                                                      spec.reject_on))


def check_ballot(transition: TransitionSpec, ticket: Ticket, actor: Account,
                 ballot: Ballot | None) -> Ballot | None:
    """The ballot of this firing (None: not an approval); refuses a second vote."""
    if transition.approve is None:
        if ballot is not None and ballot.vote != APPROVE:
            raise BadRequest(f"{transition.trigger!r} is not an approval", ticket=ticket.id,
                             state=ticket.state)
        return None
    ballot = ballot or Ballot()
    for account, trigger, vote in ballot.votes:
        if account == actor.username and trigger == transition.trigger:
            raise Forbidden(f"{actor.username!r} has already voted ({vote}) on "
                            f"{transition.trigger!r}", ticket=ticket.id, state=ticket.state)
    return ballot


def tally(process: Process, transition: TransitionSpec, ballot: Ballot,
          names: dict[str, Any], ticket: Ticket) -> Tally:
    """Count this vote with the round's: settled when it reaches its quorum."""
    spec = transition.approve
    assert spec is not None
    same = 1 + sum(1 for _, trigger, vote in ballot.votes
                   if trigger == transition.trigger and vote == ballot.vote)
    rule = spec.quorum if ballot.vote == APPROVE else spec.reject_on
    need = needed(process, rule, ballot.eligible, names, ticket)
    details: dict[str, Any] = {"vote": ballot.vote, "votes": same, "needed": need}
    if needs_eligible(spec):
        details["eligible"] = ballot.eligible
    return Tally(same >= need, details)


def needed(process: Process, rule: Quorum, eligible: int | None, names: dict[str, Any],
           ticket: Ticket) -> int:
    """The votes a quorum asks for now (at least one)."""
    if isinstance(rule, int):
        return max(1, rule)
    if is_expression(rule):
        value = process.value(rule, names)
        if not isinstance(value, int) or isinstance(value, bool):
            raise MissingField(f"the quorum {rule!r} gave {value!r}, not a number",
                               ticket=ticket.id, state=ticket.state)
        return max(1, value)
    count = eligible or 0
    share = 100 if rule == "all" else int(rule.removesuffix("%"))
    return max(1, math.ceil(count * share / 100))

