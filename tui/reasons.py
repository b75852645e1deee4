"""Why a ticket counts (or does not) for an indicator, in words: the assessment's drill-down
in the app and the ``why`` of ``ticketflow assess --explain``."""

from __future__ import annotations

from datetime import timedelta

from engine.assessment.indicators import Count
from engine.process.durations import spoken

REASONS: dict[str, str] = {
    "received_in_time": "received {measured} after opening, within {limit}",
    "received_late": "received {measured} after opening, over {limit}",
    "replied_in_time": "replied {measured} after handling finished, within {limit}",
    "replied_late": "replied {measured} after handling finished, over {limit}",
    "first_time": "closed after handling, first time, confirmed by the customer",
    "returned": "returned or reopened before it closed: not first time",
    "unconfirmed": "closed without the customer's confirmation",
    "handled_in_time": "{clock}: {measured} of working time, within {limit}",
    "handled_late": "{clock}: {measured} of working time, over {limit}",
    "breached": "{clock}: the SLA breached its {limit} limit while the post held it",
    "handed_on": "{clock}: handed on by a timer before the post finished ({limit} limit)",
    "left_pending": "left pending at the post",
    "not_pending": "held by the post, not left pending",
    "complained": "complaint recorded while the post held it",
    "no_complaint": "held by the post, no complaint",
}
"""Each reason code of ``engine.assessment.indicators.REASONS``, as a sentence."""


def why(count: Count) -> str:
    """The reason a count is on its side, as a person reads it."""
    template = REASONS.get(count.reason, count.reason)
    return template.format(measured=_spoken(count.measured), limit=_spoken(count.limit),
                           clock=count.clock or "")


def _spoken(value: timedelta | None) -> str:
    return spoken(value) if value is not None else "-"
