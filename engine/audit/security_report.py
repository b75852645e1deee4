"""The weekly security review (seed §4–5): failed logins, vendor accesses opened and
closed, verbal approvals still waiting for their written confirmation, accounts with
powerful roles, and dormant accounts for the periodic clean-up.

A verbal approval waits while a ticket's ``approval`` field is ``verbal`` and its
``approval_reference`` (the written confirmation) is empty, for tickets still open or
whose vendor access was opened (``vendor_account`` set) — the fields of
``flows/vendor_access.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.accounts.accounts import SUPERUSER
from engine.audit.verify import every_ticket
from engine.core.admin_journal import LOGIN_FAILED, VENDOR_CLOSED, VENDOR_OPENED
from engine.core.errors import BadRequest
from engine.core.model import Account, TicketQuery
from engine.desk.ports import Store
from engine.process.compiler import compile_process
from engine.process.load import parse_stored

POWERFUL = (SUPERUSER, "supervisor")
"""Roles whose holders the review lists: they manage accounts or approve vendor access."""
DORMANT_DAYS = 90
APPROVAL_FIELDS = ("approval", "approval_reference")


@dataclass
class WeeklyReport:
    """What the weekly review of the security logs looks at."""

    week: str
    start: datetime
    end: datetime
    failed_logins: list[dict[str, Any]] = field(default_factory=list)
    vendor_accesses: list[dict[str, Any]] = field(default_factory=list)
    unconfirmed_verbal: list[dict[str, Any]] = field(default_factory=list)
    powerful_accounts: list[dict[str, Any]] = field(default_factory=list)
    dormant_accounts: list[dict[str, Any]] = field(default_factory=list)


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """Monday 00:00 UTC of an ISO week ``YYYY-Www`` and of the week after."""
    try:
        start = datetime.strptime(week + "-1", "%G-W%V-%u").replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(f"expected an ISO week as YYYY-Www (e.g. 2026-W41), got {week!r}"
                         ) from None
    return start, start + timedelta(days=7)


def weekly_report(store: Store, week: str, *, dormant_days: int = DORMANT_DAYS
                  ) -> WeeklyReport:
    """The review of one ISO week."""
    start, end = week_bounds(week)
    report = WeeklyReport(week, start, end)
    for entry in store.admin_entries(since=start):
        if entry.at >= end:
            break
        if entry.kind == LOGIN_FAILED:
            report.failed_logins.append({"at": entry.at.isoformat(), "username": entry.subject,
                                         "reason": entry.details.get("reason")})
        elif entry.kind in (VENDOR_OPENED, VENDOR_CLOSED):
            report.vendor_accesses.append({
                "at": entry.at.isoformat(), "username": entry.subject, "by": entry.actor,
                "action": "opened" if entry.kind == VENDOR_OPENED else "closed",
                "ticket": entry.details.get("ticket"),
                "expires_at": entry.details["account"].get("expires_at")})
    report.unconfirmed_verbal = unconfirmed_verbal(store)
    accounts = store.list_accounts()
    report.powerful_accounts = [_account(a) for a in accounts
                                if set(POWERFUL) & set(a.roles) and a.can_act(end)]
    report.dormant_accounts = dormant(accounts, end, dormant_days)
    return report


def unconfirmed_verbal(store: Store) -> list[dict[str, Any]]:
    """Tickets whose verbal approval still waits for its written confirmation."""
    found = []
    for process in _processes_with_approvals(store):
        for ticket in every_ticket(store, TicketQuery(process=process, is_open=None)):
            data = ticket.data
            waiting = data.get("approval") == "verbal" and not data.get("approval_reference")
            if waiting and (ticket.is_open or data.get("vendor_account")):
                found.append({"ticket": ticket.id, "process": process, "state": ticket.state,
                              "approved_by": data.get("approved_by"),
                              "vendor_account": data.get("vendor_account"),
                              "open": ticket.is_open})
    return found


def _processes_with_approvals(store: Store) -> list[str]:
    names = set()
    for version in store.list_versions():
        spec = compile_process(parse_stored(version)).spec
        if all(name in spec.fields for name in APPROVAL_FIELDS):
            names.add(version.name)
    return sorted(names)


def dormant(accounts: list[Account], moment: datetime, days: int) -> list[dict[str, Any]]:
    """Enabled accounts without a login in the ``days`` before ``moment``."""
    limit = moment - timedelta(days=days)
    found = []
    for account in accounts:
        last = account.last_login_at or account.created_at
        if account.can_act(moment) and (last is None or last < limit):
            found.append({**_account(account),
                          "idle_days": (moment - last).days if last else None})
    return found


def _account(account: Account) -> dict[str, Any]:
    return {"username": account.username, "roles": account.roles, "post": account.post,
            "vendor": account.vendor,
            "last_login_at": account.last_login_at.isoformat() if account.last_login_at
            else None}
