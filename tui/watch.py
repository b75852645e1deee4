"""Noticing what others did: the database's word that tickets changed, heard at once
(:func:`listen`), a cheap change marker polled every few seconds, due timers fired on a
single-user desk, and the post's new notifications."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from engine.core.errors import TicketflowError
from tui.output import safe
from tui.screens.session import Notice, Session, Severity
from tui.wiring import UNAVAILABLE, ChangeFeed

WAIT_SECONDS = 0.5
"""How long one wait for news lasts: the listening thread notices that it should stop
within this time."""

BACKLOG = 50
"""How many of the post's earlier notifications the notices screen shows after login."""


@dataclass(frozen=True)
class PollReport:
    """What one poll found."""

    changed: bool = False
    notices: list[Notice] = field(default_factory=list)


TITLES = {"sla_warning": "SLA warning", "sla_breach": "SLA breach"}
"""How a notification's kind reads as a title; others: the kind in words."""


def notice(notification: Any) -> Notice:
    """A desk notification (``engine.core.model.Notification``) as the app shows it."""
    kind = str(getattr(notification, "kind", "notice"))
    severity: Severity = "error" if "breach" in kind else "warning"
    title = TITLES.get(kind, kind.replace("_", " ").capitalize())
    return Notice(title, safe(notification.message, 300), severity,
                  getattr(notification, "at", None), getattr(notification, "ticket_id", None))


class DeskWatch:
    """Polls the desk for the session; each poll costs one or two small queries."""

    def __init__(self, session: Session, *, fire_timers: bool = False) -> None:
        self.session = session
        self.fire_timers = fire_timers
        self.marker = session.workspace.store.last_change()
        self.last_notice: int | None = None
        with suppress(TicketflowError):  # the first poll says what is wrong
            session.notices.extend(self._new_notices()[-BACKLOG:])

    def poll(self) -> PollReport:
        """Fire due timers (if asked), then compare the change marker with the last one."""
        try:
            fired = self.session.workspace.desk.fire_due() if self.fire_timers else 0
            marker = self.session.workspace.store.last_change()
            notices = self._new_notices()
        except TicketflowError as exc:
            return PollReport(notices=[Notice(exc.title, str(exc), "error")])
        changed = bool(fired) or marker != self.marker
        self.marker = marker
        self.session.notices.extend(notices)
        return PollReport(changed=changed, notices=notices)

    def _new_notices(self) -> list[Notice]:
        """The post's notifications after the last one seen, oldest first."""
        fetch, post = self.session.workspace.desk.notifications, self.session.account.post
        if post is None:
            return []
        found: list[Any] = []
        while True:
            page = fetch(post, after=self.last_notice, limit=200)
            found += page
            if page:
                self.last_notice = page[-1].id
            if len(page) < 200:
                return [notice(n) for n in found]


def listen(open_feed: Callable[[], ChangeFeed | None], tell: Callable[[frozenset[int]], object],
           stop: threading.Event) -> None:
    """Until ``stop`` is set, wait for the database's news of changed tickets and ``tell``
    each (the ids; empty: which is unknown). A lost connection is opened again; with no
    feed at all (an in-memory database) there is nothing to hear and polling does it all."""
    feed: ChangeFeed | None = None
    try:
        while not stop.is_set():
            try:
                feed = feed or open_feed()
                if feed is None:
                    return
                changed = feed.wait(WAIT_SECONDS)
            except UNAVAILABLE:  # the server went away: open a new feed when it is back
                if feed is not None:
                    feed.close()
                feed = None
                stop.wait(WAIT_SECONDS)
                continue
            if changed is not None and not stop.is_set():
                tell(changed)
    finally:
        if feed is not None:
            feed.close()
