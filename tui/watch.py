"""Noticing what others did: a cheap change marker polled every few seconds, due timers
fired on a single-user desk, and the post's new notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import TicketflowError
from tui.screens.session import Notice, Session


@dataclass(frozen=True)
class PollReport:
    """What one poll found."""

    changed: bool = False
    notices: list[Notice] = field(default_factory=list)


class DeskWatch:
    """Polls the desk for the session; each poll costs one or two small queries."""

    def __init__(self, session: Session, *, fire_timers: bool = False) -> None:
        self.session = session
        self.fire_timers = fire_timers
        self.marker: Any = self._marker()

    def _marker(self) -> Any:
        last_change = self.session.capabilities.last_change
        return last_change() if last_change else None

    def poll(self) -> PollReport:
        """Fire due timers (if asked), then compare the change marker with the last one."""
        try:
            fired = self.session.workspace.desk.fire_due() if self.fire_timers else 0
            marker = self._marker()
            notices = self._notices()
        except TicketflowError as exc:
            return PollReport(notices=[Notice(exc.title, str(exc), "error")])
        changed = bool(fired) or marker != self.marker
        self.marker = marker
        self.session.notices.extend(notices)
        return PollReport(changed=changed, notices=notices)

    def _notices(self) -> list[Notice]:
        return []
