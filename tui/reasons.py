"""Why a ticket counts (or does not) for an indicator, in words: the assessment's drill-down
in the app and the ``why`` of ``ticketflow assess --explain``."""

from __future__ import annotations

from datetime import timedelta

from engine.assessment.indicators import Count
from engine.process.durations import spoken
from tui.i18n import N_, _

REASONS: dict[str, str] = {
    "received_in_time": N_("received {measured} after opening, within {limit}"),
    "received_late": N_("received {measured} after opening, over {limit}"),
    "replied_in_time": N_("replied {measured} after handling finished, within {limit}"),
    "replied_late": N_("replied {measured} after handling finished, over {limit}"),
    "first_time": N_("closed after handling, first time, confirmed by the customer"),
    "returned": N_("returned or reopened before it closed: not first time"),
    "unconfirmed": N_("closed without the customer's confirmation"),
    "handled_in_time": N_("{clock}: {measured} of working time, within {limit}"),
    "handled_late": N_("{clock}: {measured} of working time, over {limit}"),
    "breached": N_("{clock}: the SLA breached its {limit} limit while the post held it"),
    "handed_on": N_("{clock}: handed on by a timer before the post finished ({limit} limit)"),
    "left_pending": N_("left pending at the post"),
    "not_pending": N_("held by the post, not left pending"),
    "complained": N_("complaint recorded while the post held it"),
    "no_complaint": N_("held by the post, no complaint"),
}
"""Each reason code of ``engine.assessment.indicators.REASONS``, as a sentence."""


def why(count: Count) -> str:
    """The reason a count is on its side, as a person reads it."""
    template = _(REASONS[count.reason]) if count.reason in REASONS else count.reason
    return template.format(measured=_spoken(count.measured), limit=_spoken(count.limit),
                           clock=count.clock or "")


def _spoken(value: timedelta | None) -> str:
    return spoken(value) if value is not None else "-"
