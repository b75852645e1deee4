"""The ``expect_assessment`` scenario step: checks one figure of the assessment at that moment.

```yaml
- expect_assessment:
    period: 2026-10            # a month (YYYY-MM) or a year (YYYY), in the desk's time zone
    post: service_desk
    group: hardware_platform   # optional: one group of the post (null: its tickets with none)
    indicator: timely_response_rate
    rate: 0.9                  # numerator / denominator exactly; n/a when nothing counted
    score: 5                   # the tier's score; n/a when nothing counted
    numerator: 9               # optional, like denominator: the tickets on each side
    denominator: 10
    assessment: tests/assessment/flows/other.yaml   # optional; default flows/assessment.yaml
```

The figure is computed from the scenario desk's journal exactly as ``ticketflow assess`` does.
Complaints are journaled events, not transitions, so this module also adds the ``record``
step (``record: complaint``, ``ticket``, ``as``, optional ``note``), which the assessment's
scenarios need to count them.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import Field

from engine.assessment.report import Assessor, Figure, find_assessment
from engine.assessment.table import Assessment, parse_period
from engine.core.errors import BadRequest, ServiceError, SpecError
from engine.process.spec import Name
from engine.scenarios.steps import (
    AccountName,
    Fail,
    FailKind,
    Mismatch,
    Plan,
    Stage,
    StepKind,
    StepModel,
    register_step,
)

RATE_TOLERANCE = 1e-9
"""How far a written rate may be from the exact one (0.9 for 9/10)."""


class AssessmentExpectation(StepModel):
    """One figure of the assessment, as it must be at this point of the scenario."""

    period: str | int
    """A month ``YYYY-MM`` or a year ``YYYY``, in the assessment's time zone."""
    post: Name
    """The assessed post."""
    group: str | None = None
    """One group of the post (``ticketflow assess --by group``); absent: the whole post."""
    indicator: Name
    """The indicator's name in the assessment file."""
    rate: float | Literal["n/a"] | None = None
    """numerator / denominator (0.9 means 90%), or n/a when no ticket counted."""
    score: int | Literal["n/a"] | None = None
    """The tier's score, or n/a when nothing was counted (n/a is not a score)."""
    numerator: int | None = None
    """Tickets on the numerator's side."""
    denominator: int | None = None
    """Tickets counted."""
    assessment: str | None = None
    """An assessment file (default: flows/assessment.yaml, else the shipped one)."""


class ExpectAssessmentStep(StepModel):
    expect_assessment: AssessmentExpectation


def _assessment(wanted: AssessmentExpectation) -> Assessment:
    return find_assessment(wanted.assessment)


def check_assessment(plan: Plan, step: ExpectAssessmentStep, fail: Fail) -> None:
    """Before a run: the file loads, the period parses, the post and indicator exist."""
    wanted = step.expect_assessment
    try:
        spec = _assessment(wanted).spec
    except SpecError as exc:
        fail(("expect_assessment", "assessment"), f"invalid assessment file: {exc.problems[0]}")
        return
    try:
        parse_period(str(wanted.period), spec.zone)
    except BadRequest as exc:
        fail(("expect_assessment", "period"), str(exc))
    indicator = spec.indicators.get(wanted.indicator)
    if indicator is None:
        fail(("expect_assessment", "indicator"), f"no indicator {wanted.indicator!r} (known: "
                                          f"{', '.join(spec.indicators)})")
    elif wanted.post not in indicator.posts:
        fail(("expect_assessment", "post"), f"indicator {wanted.indicator!r} does not apply to the "
                                     f"post {wanted.post!r}")
    if (wanted.rate, wanted.score, wanted.numerator, wanted.denominator) == (None,) * 4:
        fail(("expect_assessment",),
             "expect_assessment needs rate, score, numerator or denominator")


def run_assessment(stage: Stage, step: ExpectAssessmentStep) -> None:
    """Compute the figure from the desk's journal; a Mismatch if it is not as expected."""
    wanted = step.expect_assessment
    assessor = Assessor(stage.desk.store, _assessment(wanted))
    grouped = "group" in wanted.model_fields_set
    report = assessor.report(str(wanted.period), [wanted.post], by_group=grouped)
    try:
        found = report.group(wanted.post, wanted.group) if grouped else report.post(wanted.post)
    except BadRequest as exc:
        raise Mismatch(str(exc)) from None
    figure = found.figure(wanted.indicator)
    misses = _misses(wanted, figure)
    of = wanted.post + (f"/{wanted.group}" if grouped else "")
    if misses:
        raise Mismatch(f"{wanted.indicator} of {of} in {wanted.period}: "
                       + "; ".join(misses) + f" ({figure.numerator} of {figure.denominator})")


def _misses(wanted: AssessmentExpectation, figure: Figure) -> list[str]:
    found = []
    if wanted.rate is not None and not _same_rate(wanted.rate, figure.rate):
        found.append(f"expected rate {wanted.rate}, got {_rate_text(figure.rate)}")
    if wanted.score is not None and str(wanted.score) != figure.score_text:
        found.append(f"expected score {wanted.score}, got {figure.score_text}")
    for key in ("numerator", "denominator"):
        expected, got = getattr(wanted, key), getattr(figure, key)
        if expected is not None and expected != got:
            found.append(f"expected {key} {expected}, got {got}")
    return found


def _same_rate(expected: float | str, got: Fraction | None) -> bool:
    if got is None or expected == "n/a":
        return got is None and expected == "n/a"
    return abs(float(expected) - float(got)) <= RATE_TOLERANCE


def _rate_text(rate: Fraction | None) -> str:
    return "n/a" if rate is None else repr(float(rate))


class RecordStep(StepModel):
    record: Name
    """The event (complaint, escalated_complaint, comment, ...) to journal."""
    ticket: str
    actor: AccountName = Field(alias="as")
    note: str = "recorded by the scenario"
    """The event's note (some events require one)."""
    fails: FailKind | None = None
    """The step must be refused with this kind of error."""


def check_record(plan: Plan, step: RecordStep, fail: Fail) -> None:
    plan.account(step.actor, ("as",), fail)
    plan.ticket(step.ticket, ("ticket",), fail)


def run_record(stage: Stage, step: RecordStep) -> None:
    """Journal the event as the account; a Mismatch unless it goes as the step says."""
    before = stage.ticket(step.ticket)
    try:
        stage.desk.record(before.id, step.record, stage.accounts[step.actor], note=step.note)
    except ServiceError as exc:
        if exc.kind != step.fails:
            raise Mismatch(f"expected {step.fails or 'success'}, got {exc.kind}: {exc}") from None
        return
    if step.fails:
        raise Mismatch(f"expected {step.fails}, got success")


register_step("expect_assessment", StepKind(ExpectAssessmentStep, run_assessment, check_assessment))
register_step("record", StepKind(RecordStep, run_record, check_record, acts=True))
