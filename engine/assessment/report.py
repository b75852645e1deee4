"""The assessment report: per post, each indicator's numerator, denominator, rate and score.

Everything is computed from the journal (events and the process versions they name),
each ticket read only up to the end of the period, so a report for a past period rebuilt
at any time gives the figures it gave then. The command line, the terminal app and
scenario tests (``expect_assessment``) all use :class:`Assessor`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

from engine.assessment.indicators import Count, tally, tally_groups
from engine.assessment.stints import Record, Versions, read_records
from engine.assessment.table import Assessment, IndicatorSpec, Period, load_assessment, parse_period
from engine.core.errors import BadRequest
from engine.core.journal import Event
from engine.core.model import ProcessVersion

DEFAULT_FILE = Path("flows") / "assessment.yaml"
"""The assessment file looked for in the current folder."""
SHIPPED_FILE = Path(__file__).resolve().parents[2] / DEFAULT_FILE
"""The assessment file shipped with ticketflow, used when the current folder has none."""


class Journal(Protocol):
    """What the assessment reads of a store: journals, and the process versions they name."""

    def ticket_ids_active(self, since: datetime, until: datetime) -> list[int]: ...

    def iter_events(self, ticket_ids: Iterable[int] | None = None) -> Iterable[Event]: ...

    def get_version(self, digest: str) -> ProcessVersion: ...


@dataclass(frozen=True)
class Figure:
    """One indicator of one post in one period."""

    indicator: str
    title: str
    numerator: int
    denominator: int
    score: int | None
    """The tier's score; None (n/a) when nothing was counted and no ``when_empty`` is set."""
    weight: int

    @property
    def rate(self) -> Fraction | None:
        """numerator / denominator; None (n/a) when nothing was counted."""
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def rate_text(self) -> str:
        """The rate in percent, cut (not rounded) to 2 decimals: 89.996% shows as 89.99%, so
        a rate shown at a tier's bound is in that tier; n/a when nothing was counted."""
        rate = self.rate
        return "n/a" if rate is None else f"{math.floor(rate * 10_000) / 100:.2f}%"

    @property
    def score_text(self) -> str:
        """The score, or n/a."""
        return score_text(self.score)

    def as_dict(self) -> dict[str, Any]:
        rate = self.rate
        return {"indicator": self.indicator, "title": self.title, "numerator": self.numerator,
                "denominator": self.denominator, "rate": None if rate is None else float(rate),
                "score": self.score, "weight": self.weight}


@dataclass(frozen=True)
class PostReport:
    """A post's figures and total score for a period."""

    post: str
    figures: list[Figure]

    @property
    def total(self) -> int | None:
        """The sum of the scores; n/a scores are skipped, and a post with no score at all has
        no total (None)."""
        scores = [figure.score for figure in self.figures if figure.score is not None]
        return sum(scores) if scores else None

    @property
    def total_text(self) -> str:
        return score_text(self.total)

    def figure(self, indicator: str) -> Figure:
        for figure in self.figures:
            if figure.indicator == indicator:
                return figure
        raise BadRequest(f"indicator {indicator!r} does not apply to the post {self.post!r}")

    def as_dict(self) -> dict[str, Any]:
        return {"post": self.post, "indicators": [f.as_dict() for f in self.figures],
                "total": self.total}


@dataclass(frozen=True)
class GroupReport(PostReport):
    """A group's figures within its post (group None: the post's tickets with no group)."""

    group: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"post": self.post, "group": self.group, **{
            key: value for key, value in super().as_dict().items() if key != "post"}}


@dataclass(frozen=True)
class Report:
    """The assessment of some posts over a month or a year."""

    period: Period
    time_zone: str
    assessment: str
    """The assessment file's content hash: the rules the figures were computed with."""
    posts: list[PostReport]
    groups: list[GroupReport] | None = None
    """With ``by group``: each post's groups (a post with none once, as group None)."""

    def group(self, post: str, group: str | None) -> GroupReport:
        for report in self.groups or []:
            if (report.post, report.group) == (post, group):
                return report
        raise BadRequest(f"group {group!r} of the post {post!r} is not in this report")

    def post(self, name: str) -> PostReport:
        for report in self.posts:
            if report.post == name:
                return report
        raise BadRequest(f"post {name!r} is not in this report")

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period.label, "time_zone": self.time_zone,
                "start": self.period.start.isoformat(), "end": self.period.end.isoformat(),
                "assessment": self.assessment, "posts": [p.as_dict() for p in self.posts],
                **({} if self.groups is None else {"groups": [g.as_dict() for g in self.groups]})}


@dataclass(frozen=True)
class Explanation:
    """The tickets behind one figure: those on the numerator's side, and the rest."""

    period: Period
    post: str
    figure: Figure
    time_zone: str
    """The desk's time zone, to show when things happened."""
    counted: list[Count] = field(default_factory=list)
    others: list[Count] = field(default_factory=list)
    group: str | None = None
    """With a group: the tickets counted for that group of the post."""


class Assessor:
    """Computes reports from a journal with the rules of an assessment file."""

    def __init__(self, journal: Journal, assessment: Assessment) -> None:
        self.journal = journal
        self.assessment = assessment
        self.spec = assessment.spec

    def period(self, text: str) -> Period:
        """A ``YYYY-MM`` or ``YYYY`` period in the desk's time zone."""
        return parse_period(text, self.spec.zone)

    def records(self, period: Period) -> list[Record]:
        """The records of every ticket with something in the period, read up to its end."""
        versions = Versions(self.journal.get_version)
        tickets = self.journal.ticket_ids_active(period.start, period.end)
        return list(read_records(self.journal.iter_events(tickets), versions,
                                 since=period.start, until=period.end))

    def report(self, period: str, posts: list[str] | None = None, *,
               by_group: bool = False) -> Report:
        """Every assessed post's figures (or only these posts') for a period; ``by_group``:
        also each group's within its post."""
        chosen = self._posts(posts)
        span = self.period(period)
        records = self.records(span)
        tallies = self._tallies(records, span)
        return Report(span, self.spec.time_zone, self.assessment.digest, [
            PostReport(post, [self._figure(name, spec, tallies[name][post])
                              for name, spec in self.spec.for_post(post)])
            for post in chosen], self._groups(records, span, chosen) if by_group else None)

    def explain(self, period: str, indicator: str, post: str,
                records: list[Record] | None = None, *, group: str | None = None
                ) -> Explanation:
        """The tickets counted on each side of one indicator of one post (or of one group
        of it: ``group``), from ``records`` (the period's :meth:`records`) when the caller
        already read them."""
        spec = self._indicator(indicator, post)
        span = self.period(period)
        records = self.records(span) if records is None else records
        counts = (tally(records, spec, span)[post] if group is None else
                  tally_groups(records, spec, span).get((post, group), {}))
        ordered = sorted(counts.values(), key=lambda c: c.ticket_id)
        return Explanation(span, post, self._figure(indicator, spec, counts),
                           self.spec.time_zone, [c for c in ordered if c.hit],
                           [c for c in ordered if not c.hit], group)

    def _groups(self, records: list[Record], period: Period, posts: list[str]
                ) -> list[GroupReport]:
        """Each post's groups that counted something, by name (no group last); a post
        with nothing counted, once, as group None."""
        tallies = {name: tally_groups(records, spec, period)
                   for name, spec in self.spec.indicators.items()}
        reports = []
        for post in posts:
            found = {group for by in tallies.values() for (at, group) in by if at == post}
            for group in sorted(found, key=lambda g: (g is None, g or "")) or [None]:
                reports.append(GroupReport(post, [
                    self._figure(name, spec, tallies[name].get((post, group), {}))
                    for name, spec in self.spec.for_post(post)], group))
        return reports

    def _tallies(self, records: list[Record], period: Period
                 ) -> dict[str, dict[str, dict[int, Count]]]:
        return {name: tally(records, spec, period) for name, spec in self.spec.indicators.items()}

    @staticmethod
    def _figure(name: str, spec: IndicatorSpec, counts: dict[int, Count]) -> Figure:
        numerator, denominator = sum(c.hit for c in counts.values()), len(counts)
        rate = Fraction(numerator, denominator) if denominator else None
        return Figure(name, spec.title, numerator, denominator, spec.score(rate), spec.weight)

    def _posts(self, posts: list[str] | None) -> list[str]:
        for post in posts or []:
            if post not in self.spec.posts:
                raise BadRequest(f"post {post!r} is not assessed (assessed: "
                                 f"{', '.join(self.spec.posts)})")
        return [post for post in self.spec.posts if posts is None or post in posts]

    def _indicator(self, name: str, post: str) -> IndicatorSpec:
        self._posts([post])
        spec = self.spec.indicators.get(name)
        if spec is None:
            raise BadRequest(f"no indicator {name!r} (known: "
                             f"{', '.join(self.spec.indicators)})")
        if post not in spec.posts:
            raise BadRequest(f"indicator {name!r} does not apply to the post {post!r}")
        return spec


def score_text(score: int | None) -> str:
    """A score as text: the number, or n/a."""
    return "n/a" if score is None else str(score)


def find_assessment(path: str | Path | None = None) -> Assessment:
    """The assessment file at ``path``; else ./flows/assessment.yaml; else the shipped one."""
    if path is not None:
        return load_assessment(path)
    return load_assessment(DEFAULT_FILE if DEFAULT_FILE.is_file() else SHIPPED_FILE)
