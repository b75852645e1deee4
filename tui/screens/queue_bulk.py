"""Acting on every selected ticket of a queue: each one its own change (journaled as if
done one by one), the refusals gathered into one summary instead of stopping at the first."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from engine.core.errors import ServiceError


def act_on_each(ticket_ids: Iterable[int], act: Callable[[int], object]
                ) -> tuple[list[int], list[tuple[int, str]]]:
    """Run ``act`` on each ticket; the ids it succeeded on, and the refused ones with why."""
    done: list[int] = []
    refused: list[tuple[int, str]] = []
    for ticket_id in ticket_ids:
        try:
            act(ticket_id)
        except ServiceError as exc:
            refused.append((ticket_id, f"{exc.title}: {exc}"))
        else:
            done.append(ticket_id)
    return done, refused


def summary(verb: str, done: list[int], refused: list[tuple[int, str]]) -> str:
    """``claimed #1 #4; refused #5 (Not allowed: …)``."""
    parts = [f"{verb} " + " ".join(f"#{n}" for n in done)] if done else [f"{verb} none"]
    if refused:
        parts.append("refused " + "; ".join(f"#{n} ({why})" for n, why in refused))
    return "; ".join(parts)
