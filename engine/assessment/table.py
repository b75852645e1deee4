"""The assessment file (考覈): indicators, their formulas, weights, tiers and posts.

A file is checked like a process file: pydantic models check the shape of each mapping,
then :class:`AssessmentChecker` checks the meaning (tiers that cover every rate, weights
that match the tiers, posts that exist, a time zone that exists). Every problem is
reported as ``path:line:column: message``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from engine.core.errors import BadRequest, Problem, SpecError
from engine.process import yamlfile
from engine.process.durations import parse_duration
from engine.process.load import shape_problems
from engine.process.spec import Model, Name
from engine.process.validate import Path_, locate

Formula = Literal["response", "reply", "first_time_resolution", "handling", "pending",
                  "complaint"]
ONLY_FOR: dict[str, tuple[str, ...]] = {
    "threshold": ("response", "reply"), "tag": ("complaint",), "counts": ("pending",),
    "confirmation": ("first_time_resolution",)}
"""Indicator settings that apply to some formulas only."""
PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2}))?$")
"""A month ``YYYY-MM`` or a year ``YYYY``."""
REQUIRED_FOR = {"threshold": ("response", "reply"), "tag": ("complaint",)}
"""Indicator settings that those formulas cannot do without."""


class Tier(Model):
    """One score tier: a rate of at least ``at_least`` percent, below the tier above."""

    at_least: float
    """The tier's lower bound in percent, included (90 means 90% or more)."""
    score: int
    """The score a rate in this tier earns (negative for a penalty)."""


class IndicatorSpec(Model):
    """One indicator: what it counts, how much it weighs, how rates become scores."""

    title: str
    """A human label, shown in reports."""
    formula: Formula
    """What is counted: response, reply, first_time_resolution, handling, pending, complaint."""
    weight: int
    """The most the indicator can add (or, when negative, take away): its extreme tier."""
    posts: list[Name]
    """The posts this indicator applies to."""
    tiers: list[Tier]
    """Score tiers from the highest bound down; the last one starts at 0."""
    description: str | None = None
    """What the indicator means, for people reading the file."""
    threshold: str | None = None
    """For response and reply: the longest delay that is still timely (ISO 8601)."""
    tag: Name | None = None
    """For complaint: the step tag that counts (complaint, escalated_complaint)."""
    counts: Literal["at_period_end", "during_period"] | None = None
    """For pending: tickets still pending when the period ends (default), or pended in it."""
    confirmation: bool | None = None
    """For first_time_resolution: whether the customer's confirmation is needed (default)."""
    processes: list[Name] | None = None
    """Only tickets of these processes count (default: every process)."""
    when_empty: int | None = None
    """The score when the post had no ticket to count (default: none, the score is n/a)."""

    def score(self, rate: Fraction | None) -> int | None:
        """The score of a rate: the first tier whose lower bound it reaches; for no rate
        (nothing counted) ``when_empty``, else None: n/a is not a score."""
        if rate is None:
            return self.when_empty
        for tier in self.tiers:
            if rate >= percent(tier.at_least):
                return tier.score
        return self.tiers[-1].score

    @property
    def limit(self) -> timedelta | None:
        """The threshold as a duration (response and reply)."""
        return _duration(self.threshold) if self.threshold else None


class AssessmentSpec(Model):
    """The whole assessment file."""

    assessment: str
    """A title for the assessment."""
    time_zone: str
    """The desk's IANA time zone; monthly and yearly periods begin at its midnight."""
    posts: list[Name]
    """The posts assessed, in report order."""
    indicators: dict[Name, IndicatorSpec]
    """The indicators, by the name reports and ``--explain`` use."""
    description: str | None = None
    """Notes for people reading the file."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def for_post(self, post: str) -> list[tuple[str, IndicatorSpec]]:
        """The indicators that apply to a post, in file order."""
        return [(name, spec) for name, spec in self.indicators.items() if post in spec.posts]


@cache
def _duration(text: str) -> timedelta:
    return parse_duration(text)


def percent(value: float) -> Fraction:
    """A percentage written in the file as an exact fraction (90 → 9/10)."""
    return Fraction(str(value)) / 100


@dataclass(frozen=True)
class Assessment:
    """A validated assessment file: its spec, where it came from and its content hash."""

    spec: AssessmentSpec
    path: str
    digest: str


def load_assessment(path: str | Path) -> Assessment:
    """Read and validate an assessment file; raise SpecError with every problem."""
    return parse_assessment(yamlfile.read_text(path), str(path))


def parse_assessment(source: str, path: str) -> Assessment:
    """Validate assessment source text named ``path``; raise SpecError with every problem."""
    raw = yamlfile.parse(source, path)
    if not isinstance(raw, yamlfile.Mapping):
        raise SpecError([Problem(path, 1, 1, "an assessment file must be a mapping")])
    try:
        spec = AssessmentSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(shape_problems(exc, raw, path)) from None
    problems = AssessmentChecker(spec, raw, path).run()
    if problems:
        raise SpecError(problems)
    return Assessment(spec, path, hashlib.sha256(source.encode("utf-8")).hexdigest())


class AssessmentChecker:
    """The meaning checks the shape models cannot express."""

    def __init__(self, spec: AssessmentSpec, raw: yamlfile.Mapping, path: str) -> None:
        self.spec, self.raw, self.path = spec, raw, path
        self.problems: list[Problem] = []

    def fail(self, loc: Path_, message: str, *, key: bool = False) -> None:
        line, column = locate(self.raw, loc, key=key)
        self.problems.append(Problem(self.path, line, column, message))

    def run(self) -> list[Problem]:
        """Run every check; the problems found."""
        self.check_zone()
        self.check_posts()
        for name, indicator in self.spec.indicators.items():
            loc: Path_ = ("indicators", name)
            self.check_settings(loc, indicator)
            self.check_tiers(loc, indicator)
            self.check_weight(loc, indicator)
            self.check_indicator_posts(loc, indicator)
        return self.problems

    def check_zone(self) -> None:
        try:
            ZoneInfo(self.spec.time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.fail(("time_zone",), f"unknown time zone {self.spec.time_zone!r} "
                      "(use an IANA name such as Asia/Taipei)")

    def check_posts(self) -> None:
        seen: set[str] = set()
        for index, post in enumerate(self.spec.posts):
            if post in seen:
                self.fail(("posts", index), f"post {post!r} is listed twice")
            seen.add(post)

    def check_settings(self, loc: Path_, indicator: IndicatorSpec) -> None:
        for setting, formulas in ONLY_FOR.items():
            if getattr(indicator, setting) is not None and indicator.formula not in formulas:
                self.fail((*loc, setting), f"{setting!r} applies to the formula "
                          f"{' and '.join(formulas)}, not {indicator.formula}", key=True)
        for setting, formulas in REQUIRED_FOR.items():
            if indicator.formula in formulas and getattr(indicator, setting) is None:
                self.fail(loc, f"the formula {indicator.formula} needs {setting!r}")
        if indicator.threshold is not None:
            try:
                parse_duration(indicator.threshold)
            except ValueError as exc:
                self.fail((*loc, "threshold"), str(exc))

    def check_tiers(self, loc: Path_, indicator: IndicatorSpec) -> None:
        tiers = indicator.tiers
        if not tiers:
            self.fail((*loc, "tiers"), "an indicator needs at least one tier")
            return
        for index, tier in enumerate(tiers):
            where = (*loc, "tiers", index, "at_least")
            if not 0 <= tier.at_least <= 100:
                self.fail(where, f"at_least {tier.at_least:g} is not a percentage (0 to 100)")
            elif index and tier.at_least >= tiers[index - 1].at_least:
                self.fail(where, f"tiers go from the highest bound down: {tier.at_least:g} "
                          f"is not below {tiers[index - 1].at_least:g}")
        if tiers[-1].at_least != 0:
            self.fail((*loc, "tiers", len(tiers) - 1, "at_least"), "the last tier must start "
                      "at 0, so that every rate falls in a tier")

    def check_weight(self, loc: Path_, indicator: IndicatorSpec) -> None:
        if not indicator.tiers:
            return
        scores = [tier.score for tier in indicator.tiers]
        extreme = max(scores) if indicator.weight >= 0 else min(scores)
        if extreme != indicator.weight:
            self.fail((*loc, "weight"), f"weight {indicator.weight} does not match the tiers, "
                      f"whose {'best' if indicator.weight >= 0 else 'worst'} score is {extreme}")

    def check_indicator_posts(self, loc: Path_, indicator: IndicatorSpec) -> None:
        for index, post in enumerate(indicator.posts):
            if post not in self.spec.posts:
                self.fail((*loc, "posts", index), f"post {post!r} is not among the assessed "
                          f"posts ({', '.join(self.spec.posts)})")


@dataclass(frozen=True)
class Period:
    """A calendar month or year in the desk's time zone, as a UTC half-open interval."""

    label: str
    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def parse_period(text: str, zone: ZoneInfo) -> Period:
    """``YYYY-MM`` (a month) or ``YYYY`` (a year) in ``zone``; BadRequest otherwise."""
    match = PERIOD.match(text.strip())
    if not match or not 1 <= int(match["year"]) <= 9998 or not 1 <= int(match["month"] or 1) <= 12:
        raise BadRequest(f"period {text!r} is not a month (YYYY-MM) or a year (YYYY)")
    year, month = int(match["year"]), int(match["month"]) if match["month"] else None
    start = datetime(year, month or 1, 1, tzinfo=zone)
    if month is None:
        end = datetime(year + 1, 1, 1, tzinfo=zone)
    else:
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return Period(text.strip(), start.astimezone(UTC), end.astimezone(UTC))
