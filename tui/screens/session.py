"""Who is logged in, on which desk: what every screen reads, set once by the login."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Literal

from engine.core.model import Account, Ticket
from tui.wiring import Workspace

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class Notice:
    """Something the desk tells the agent's post: an escalation, a warning, a breach."""

    title: str
    message: str
    severity: Severity = "information"
    at: datetime | None = None
    ticket_id: int | None = None


@dataclass
class Session:
    """The workspace, the logged-in account, and what the screens keep for it."""

    workspace: Workspace
    account: Account
    zone: tzinfo | None = None
    """Where times are shown (None: the machine's local time zone)."""
    drafts: dict[tuple[int, str], dict[str, str]] = field(default_factory=dict)
    """What the agent typed into a form, by (ticket, trigger): kept across conflicts."""
    notices: list[Notice] = field(default_factory=list)
    """The post's notifications seen since login, newest last."""

    def has(self, role: str) -> bool:
        """Whether the account holds a role."""
        return role in self.account.roles

    @property
    def works_tickets(self) -> bool:
        """Agents and supervisors act on tickets; admins and auditors look."""
        return self.has("agent") or self.has("supervisor")

    def may_assign(self, ticket: Ticket | None) -> bool:
        """Whether the desk lets this account (re)assign the ticket: an open one of its post."""
        return (self.works_tickets and ticket is not None and ticket.is_open
                and ticket.post in (None, self.account.post))

    def may_claim(self, ticket: Ticket | None) -> bool:
        """Whether claiming the ticket would change anything the desk allows."""
        return (self.may_assign(ticket) and ticket is not None
                and ticket.assignee != self.account.username)

    def now(self) -> datetime:
        """The desk's clock."""
        return self.workspace.desk.clock.now()

    def due(self, moment: datetime) -> str:
        """A due time as the agent reads it: ``14:05`` today, else ``2026-10-06 14:05``."""
        shown, today = moment.astimezone(self.zone), self.now().astimezone(self.zone)
        return shown.strftime("%H:%M" if shown.date() == today.date() else "%Y-%m-%d %H:%M")

    def local(self, moment: datetime | None, *, seconds: bool = False) -> str:
        """A moment as the agent reads it: local date and time, no microseconds."""
        if moment is None:
            return "-"
        shown = moment.astimezone(self.zone)
        return shown.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
