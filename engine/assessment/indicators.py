"""The formulas: which tickets an indicator counts for a post in a period, and which of
them are on the numerator's side.

Each formula turns a ticket's :class:`~engine.assessment.stints.Record` into :class:`Count`
s, one per thing counted, for the post that held the ticket when it happened. A ticket
counts at most once per post and indicator in a period: for the timely and first-time
indicators it is on the numerator's side only if every occurrence was (a post that handled
it twice must have been timely twice); for pending and complaints, if any occurrence was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.assessment.stints import Part, Record
from engine.assessment.table import IndicatorSpec, Period


@dataclass(frozen=True, slots=True)
class Count:
    """One ticket counted for a post; ``hit``: on the numerator's side."""

    ticket_id: int
    post: str
    hit: bool
    at: datetime | None = None
    """When the counted thing happened (None: the ticket was merely held in the period)."""
    measured: timedelta | None = None
    """The delay or working time measured, where the formula measures one."""
    limit: timedelta | None = None
    """What it was measured against."""
    clock: str | None = None
    """For handling: the SLA clock (the state with the limit) that was timed."""
    reason: str = ""
    """Why the ticket is on its side, as a code the front ends put in words (REASONS)."""
    group: str | None = None
    """The group of the post it was counted for (None: the post has no groups)."""


REASONS = {
    "received_in_time", "received_late", "replied_in_time", "replied_late", "first_time",
    "returned", "unconfirmed", "handled_in_time", "handled_late", "breached", "handed_on",
    "left_pending", "not_pending", "complained", "no_complaint"}
"""Every reason a formula gives for a count."""


Formula = Callable[[Record, IndicatorSpec, Period], Iterator[Count]]


def response(record: Record, indicator: IndicatorSpec, period: Period) -> Iterator[Count]:
    """Received (first ``receive`` step) within the threshold of the ticket's opening."""
    return _waits(record, "receive", "received", indicator, period)


def reply(record: Record, indicator: IndicatorSpec, period: Period) -> Iterator[Count]:
    """Replied to (a ``reply`` step) within the threshold after handling finished."""
    return _waits(record, "reply", "replied", indicator, period)


def _waits(record: Record, tag: str, done: str, indicator: IndicatorSpec, period: Period
           ) -> Iterator[Count]:
    limit = indicator.limit or timedelta(0)
    for mark in record.marks:
        if mark.tag == tag and mark.post and mark.waited is not None and mark.at in period:
            hit = mark.waited <= limit
            yield Count(record.ticket_id, mark.post, hit, mark.at, mark.waited, limit,
                        reason=f"{done}_{'in_time' if hit else 'late'}", group=mark.group)


def first_time_resolution(record: Record, indicator: IndicatorSpec, period: Period
                          ) -> Iterator[Count]:
    """Closed after handling with no return or reopening (and confirmed, by default)."""
    needs_confirmation = indicator.confirmation is not False
    for closing in record.closings:
        if closing.at in period:
            hit = closing.clean and (closing.confirmed or not needs_confirmation)
            reason = "first_time" if hit else "unconfirmed" if closing.clean else "returned"
            yield Count(record.ticket_id, closing.post, hit, closing.at, reason=reason,
                        group=closing.group)


def handling(record: Record, indicator: IndicatorSpec, period: Period) -> Iterator[Count]:
    """Each part (SLA clock run) a post finished in the period, against its limit."""
    for part in record.parts:
        if part.end in period:
            yield Count(record.ticket_id, part.post, part.timely, part.end, part.spent,
                        part.limit, part.clock, _handling_reason(part), part.group)


def _handling_reason(part: Part) -> str:
    if part.by_timer:
        return "handed_on"
    if part.breached:
        return "breached"
    return "handled_in_time" if part.timely else "handled_late"


def pending(record: Record, indicator: IndicatorSpec, period: Period) -> Iterator[Count]:
    """Of the tickets a post held, those left pending there (at the end, or in the period)."""
    if indicator.counts == "during_period":
        pended = {(mark.post, mark.group): mark.at for mark in record.marks
                  if mark.tag == "pend" and mark.at in period}
    else:
        pended = ({(record.pending_post, record.pending_group): period.end}
                  if record.pending_post else {})
    yield from _held(record, pended, record.held_groups | {
        key for key in pended if key[0] in record.held}, ("left_pending", "not_pending"))


def complaint(record: Record, indicator: IndicatorSpec, period: Period) -> Iterator[Count]:
    """Of the tickets a post held, those with a step tagged ``tag`` while it held them."""
    hits: dict[tuple[str | None, str | None], datetime] = {
        (mark.post, mark.group): mark.at for mark in record.marks
        if mark.tag == indicator.tag and mark.post and mark.at in period}
    yield from _held(record, hits, record.held_groups | hits.keys(),
                     ("complained", "no_complaint"))


def _held(record: Record, hits: dict[tuple[str | None, str | None], datetime],
          held: Iterable[tuple[str | None, str | None]], reasons: tuple[str, str]
          ) -> Iterator[Count]:
    """A count for each (post, group) in ``held``, on the numerator's side if it is in
    ``hits``; per post (any group's hit decides), that is whether the post is in ``hits``.
    ``reasons``: the reason of a hit, then of a miss."""
    for post, group in sorted(held, key=lambda key: (key[0] or "", key[1] or "")):
        if post is not None:
            hit = (post, group) in hits
            yield Count(record.ticket_id, post, hit, hits.get((post, group)),
                        reason=reasons[0] if hit else reasons[1], group=group)


FORMULAS: dict[str, Formula] = {
    "response": response, "reply": reply, "first_time_resolution": first_time_resolution,
    "handling": handling, "pending": pending, "complaint": complaint}
ANY_OCCURRENCE = ("pending", "complaint")
"""Formulas where one occurrence puts the ticket on the numerator's side."""


def tally(records: Iterable[Record], indicator: IndicatorSpec, period: Period
          ) -> dict[str, dict[int, Count]]:
    """Post → ticket → the count that decided its side, for the indicator's posts."""
    result: dict[str, dict[int, Count]] = {post: {} for post in indicator.posts}
    for count in _counts(records, indicator, period):
        _decide(result.get(count.post), count, indicator)
    return result


def tally_groups(records: Iterable[Record], indicator: IndicatorSpec, period: Period
                 ) -> dict[tuple[str, str | None], dict[int, Count]]:
    """(post, group) → ticket → the count that decided its side, for the indicator's posts;
    a post's tickets with no group (its post has none, or the journal predates them) are
    under the group None."""
    result: dict[tuple[str, str | None], dict[int, Count]] = {}
    for count in _counts(records, indicator, period):
        if count.post in indicator.posts:
            _decide(result.setdefault((count.post, count.group), {}), count, indicator)
    return result


def _counts(records: Iterable[Record], indicator: IndicatorSpec, period: Period
            ) -> Iterator[Count]:
    formula = FORMULAS[indicator.formula]
    processes = set(indicator.processes) if indicator.processes is not None else None
    for record in records:
        if processes is None or record.process in processes:
            yield from formula(record, indicator, period)


def _decide(tickets: dict[int, Count] | None, count: Count, indicator: IndicatorSpec) -> None:
    """Keep the count that decides the ticket's side (see the module's docstring)."""
    if tickets is None:
        return
    deciding = indicator.formula in ANY_OCCURRENCE
    seen = tickets.get(count.ticket_id)
    if seen is None or (seen.hit != deciding and count.hit == deciding):
        tickets[count.ticket_id] = count
