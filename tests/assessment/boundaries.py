"""The seed's tier tables written out independently, and walks that visit every boundary.

A walk is a list of (numerator, denominator) points: for each tier bound, first a rate
exactly on it, then the rate one more ticket on the other side gives (just below it).
Numerator and denominator only grow, so a walk is driven by adding tickets.
"""

from __future__ import annotations

from fractions import Fraction

SEED_TIERS: dict[str, list[tuple[int, int]]] = {
    "timely_response_rate": [(90, 5), (80, 4), (70, 3), (60, 2), (0, 0)],
    "timely_reply_rate": [(90, 5), (80, 4), (70, 3), (60, 2), (0, 0)],
    "first_time_resolution_rate": [(70, 10), (60, 8), (50, 6), (40, 4), (30, 3), (20, 2),
                                   (10, 1), (0, 0)],
    "timely_handling_rate": [(90, 20), (80, 15), (70, 10), (60, 5), (0, 0)],
    "pending_rate": [(10, -3), (5, -2), (0, 0)],
    "complaint_rate": [(10, -3), (5, -2), (1, -1), (0, 0)],
    "escalated_complaint_rate": [(10, -5), (5, -3), (1, -1), (0, 0)],
}
"""DIGEST.md §6, each tier closed at its lower bound (exactly 10% is in the worst tier)."""


def seed_score(indicator: str, numerator: int, denominator: int) -> int:
    """The seed's score for a rate, looked up without the engine."""
    for bound, score in SEED_TIERS[indicator]:
        if numerator * 100 >= bound * denominator:
            return score
    raise AssertionError("the last tier starts at 0")


def walk(bounds: list[int]) -> list[tuple[int, int]]:
    """The shorter of the ascending and descending walks over these tier bounds."""
    positive = [Fraction(b, 100) for b in bounds if b > 0]
    up, down = _walk(sorted(positive)), _walk(sorted(positive, reverse=True))
    return min(up, down, key=lambda points: points[-1][1])


def _walk(bounds: list[Fraction]) -> list[tuple[int, int]]:
    hits = total = 0
    points = []
    for bound in bounds:
        size = total + 1
        while not _reachable(bound * size, hits, total, size):
            size += 1
        hits, total = int(bound * size), size
        points += [(hits, total), (hits, total + 1)]
        total += 1
    return points


def _reachable(needed: Fraction, hits: int, total: int, size: int) -> bool:
    """Whether ``needed`` hits out of ``size`` follow from hits/total by adding tickets."""
    return needed.denominator == 1 and hits <= needed and needed - hits <= size - total
