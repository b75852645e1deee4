"""Tickets, events and accounts as plain dicts: the shape of ``--json`` output."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.core.journal import Event
from engine.core.model import Account, Delivery, Inbound, Requester, Ticket, Timer

if TYPE_CHECKING:  # the vendor accounts' module brings the process language: not for reads
    from engine.accounts.vendor import Credential


def ticket_record(ticket: Ticket, version: int | None = None) -> dict[str, Any]:
    """A ticket as JSON-able data (``version``: the process version number)."""
    return {
        "id": ticket.id, "process": ticket.process, "version": version,
        "digest": ticket.digest, "state": ticket.state, "branches": ticket.branches,
        "data": ticket.data,
        "post": ticket.post, "assignee": ticket.assignee, "open": ticket.is_open,
        "parent": ticket.parent_id, "opened_at": ticket.opened_at.isoformat(),
        "opened_by": ticket.opened_by, "updated_at": ticket.updated_at.isoformat(),
        "revision": ticket.version, "events": ticket.seq,
    }


def event_record(event: Event) -> dict[str, Any]:
    """A journal event as JSON-able data."""
    record = asdict(event)
    record["at"] = event.at.isoformat()
    return record


def timer_record(timer: Timer) -> dict[str, Any]:
    """A pending timer as JSON-able data."""
    return {"trigger": timer.trigger, "due_at": timer.due_at.isoformat(),
            "state": timer.state, "kind": timer.kind, "status": timer.status}


def account_record(account: Account) -> dict[str, Any]:
    """An account as JSON-able data — never its password hash."""
    return {
        "username": account.username, "display_name": account.display_name,
        "roles": account.roles, "post": account.post, "group": account.group,
        "vendor": account.vendor,
        "expires_at": account.expires_at.isoformat() if account.expires_at else None,
        "disabled": account.disabled,
        "last_login_at": account.last_login_at.isoformat() if account.last_login_at else None,
        "failed_logins": account.failed_logins,
        "locked_until": account.locked_until.isoformat() if account.locked_until else None,
    }


def credential_record(credential: Credential) -> dict[str, Any]:
    """A temporary vendor password handed over once (``fire`` output only, never stored)."""
    return {"username": credential.username, "password": credential.password,
            "expires_at": credential.expires_at.isoformat() if credential.expires_at else None,
            "ticket": credential.ticket_id}


def requester_record(requester: Requester) -> dict[str, Any]:
    """A requester as JSON-able data."""
    return {"id": requester.id, "name": requester.name, "email": requester.email,
            "phone": requester.phone, "organisation": requester.organisation,
            "created_at": requester.created_at.isoformat() if requester.created_at else None}


def delivery_record(delivery: Delivery) -> dict[str, Any]:
    """A mail delivery as JSON-able data (without its body)."""
    return {"id": delivery.id, "kind": delivery.kind, "to": delivery.recipient,
            "subject": delivery.subject, "ticket": delivery.ticket_id,
            "message_id": delivery.message_id, "status": delivery.status,
            "attempts": delivery.attempts, "last_error": delivery.last_error,
            "next_attempt_at": _time(delivery.next_attempt_at),
            "sent_at": _time(delivery.sent_at), "created_at": _time(delivery.created_at),
            "source": f"{delivery.source}:{delivery.source_id}"}


def inbound_record(inbound: Inbound) -> dict[str, Any]:
    """A received mail as JSON-able data (without its content)."""
    return {"id": inbound.id, "received_at": inbound.received_at.isoformat(),
            "sender": inbound.sender, "subject": inbound.subject,
            "message_id": inbound.message_id, "size": inbound.size, "status": inbound.status,
            "reason": inbound.reason, "ticket": inbound.ticket_id}


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
