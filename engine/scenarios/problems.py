"""Scenario steps for problem records: ``link`` and ``unlink`` a ticket, ``expect_problem``
(the problem a ticket shows, with its workaround) and ``expect_outbox`` (the notifications
about a ticket, such as ``problem_closed``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import Field

from engine.core.errors import ServiceError
from engine.desk.problems import Problems, workaround
from engine.scenarios.steps import (
    AccountName,
    Fail,
    Mismatch,
    Plan,
    Stage,
    StepKind,
    StepModel,
    register_step,
)

LinkFail = Literal["forbidden", "conflict", "not_found", "bad_request"]


class LinkStep(StepModel):
    link: str
    """The ticket to link."""
    problem: str
    """The problem (a ticket of the problem process) it is linked to."""
    actor: AccountName = Field(alias="as")
    fails: LinkFail | None = None
    """The step must be refused with this kind of error."""


class UnlinkStep(StepModel):
    unlink: str
    """The ticket whose link to its problem is undone."""
    actor: AccountName = Field(alias="as")
    fails: LinkFail | None = None


class ProblemExpectation(StepModel):
    ticket: str
    problem: str | None
    """The problem the ticket is linked to (null: none)."""
    workaround: str | None = None
    """The workaround it shows (null: none: the problem is not a known error)."""


class ExpectProblemStep(StepModel):
    expect_problem: ProblemExpectation


class OutboxExpectation(StepModel):
    ticket: str
    kinds: list[str]
    """The kinds of every notification about the ticket so far, oldest first."""


class ExpectOutboxStep(StepModel):
    expect_outbox: OutboxExpectation


def _check_link(plan: Plan, step: LinkStep, fail: Fail) -> None:
    plan.account(step.actor, ("as",), fail)
    plan.ticket(step.link, ("link",), fail)
    plan.ticket(step.problem, ("problem",), fail)


def _check_unlink(plan: Plan, step: UnlinkStep, fail: Fail) -> None:
    plan.account(step.actor, ("as",), fail)
    plan.ticket(step.unlink, ("unlink",), fail)


def _check_problem(plan: Plan, step: ExpectProblemStep, fail: Fail) -> None:
    plan.ticket(step.expect_problem.ticket, ("expect_problem", "ticket"), fail)
    if step.expect_problem.problem is not None:
        plan.ticket(step.expect_problem.problem, ("expect_problem", "problem"), fail)


def _check_outbox(plan: Plan, step: ExpectOutboxStep, fail: Fail) -> None:
    plan.ticket(step.expect_outbox.ticket, ("expect_outbox", "ticket"), fail)


def _run_link(stage: Stage, step: LinkStep) -> None:
    ticket, problem = stage.ticket_id(step.link), stage.ticket_id(step.problem)
    _attempt(step.fails, lambda: Problems(stage.desk).link(ticket, problem,
                                                           stage.accounts[step.actor]))


def _run_unlink(stage: Stage, step: UnlinkStep) -> None:
    ticket = stage.ticket_id(step.unlink)
    _attempt(step.fails, lambda: Problems(stage.desk).unlink(ticket,
                                                             stage.accounts[step.actor]))


def _attempt(fails: str | None, action: Callable[[], object]) -> None:
    """Run a link or unlink; a Mismatch unless it succeeds or fails as the step says."""
    try:
        action()
    except ServiceError as exc:
        if exc.kind == fails:
            return
        raise Mismatch(f"expected {fails or 'success'}, got {exc.kind}: {exc}") from None
    if fails:
        raise Mismatch(f"expected {fails}, got success")


def _run_problem(stage: Stage, step: ExpectProblemStep) -> None:
    wanted = step.expect_problem
    found = Problems(stage.desk).problem_of(stage.ticket(wanted.ticket))
    expected = stage.ticket_id(wanted.problem) if wanted.problem is not None else None
    misses = []
    if (found.id if found else None) != expected:
        misses.append(f"expected problem {wanted.problem!r} (ticket {expected}), got "
                      f"{found.id if found else None}")
    shown = workaround(found) if found is not None else None
    if shown != wanted.workaround:
        misses.append(f"expected workaround {wanted.workaround!r}, got {shown!r}")
    if misses:
        raise Mismatch("; ".join(misses))


def _run_outbox(stage: Stage, step: ExpectOutboxStep) -> None:
    ticket = stage.ticket_id(step.expect_outbox.ticket)
    kinds = [note.kind for note in stage.desk.notifications(None, limit=10_000)
             if note.ticket_id == ticket]
    if kinds != step.expect_outbox.kinds:
        raise Mismatch(f"expected notifications {step.expect_outbox.kinds}, got {kinds}")


register_step("link", StepKind(LinkStep, _run_link, _check_link, acts=True))
register_step("unlink", StepKind(UnlinkStep, _run_unlink, _check_unlink, acts=True))
register_step("expect_problem", StepKind(ExpectProblemStep, _run_problem, _check_problem))
register_step("expect_outbox", StepKind(ExpectOutboxStep, _run_outbox, _check_outbox))
