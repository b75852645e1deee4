"""Temporary vendor accounts (seed §4): the ``do:`` actions ``open_vendor_account`` and
``close_vendor_account``.

Planning is pure: :func:`actions_for` turns a step's ``do:`` list into journal details
(which account, which roles, until when) that ``verify`` can recompute. The desk then
materialises them with :func:`opened_account` / :func:`closed_account` — a random password,
hashed — and saves the accounts in the same transaction as the step. The temporary
password is handed over once, as a :class:`Credential`, and never journaled.

The actions read these fields of the ticket: ``vendor_account`` (the account name),
``access_expires_at`` (its expiry), ``rights`` (``read_only`` or ``operator``; never
``superuser``) and ``vendor_name`` (its display name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from engine.accounts.accounts import (
    SUPERUSER,
    VENDOR_ROLE,
    check_account,
    hash_password,
    random_password,
)
from engine.core.admin_journal import VENDOR_CLOSED, VENDOR_OPENED, account_entry
from engine.core.errors import BadRequest, Conflict, Forbidden, MissingField, NotFound
from engine.core.model import Account, Change, Ticket
from engine.process.fields import parse_timestamp

OPEN = "open_vendor_account"
CLOSE = "close_vendor_account"
USERNAME_FIELD = "vendor_account"
EXPIRY_FIELD = "access_expires_at"
RIGHTS_FIELD = "rights"
NAME_FIELD = "vendor_name"
VENDOR_POST = "vendor"
PROCESS = "vendor_access"
AWAITING_APPROVAL = ("requested",)
"""The states of flows/vendor_access.yaml where an access waits for a supervisor's approval."""
AWAITING_WRITTEN = ("verbally_approved", "open_unconfirmed", "confirmation_overdue",
                    "registering_unconfirmed", "unconfirmed")
"""Its states where a verbal approval waits for its written record."""
RIGHTS = ("read_only", "operator")
"""The rights a vendor account may get; anything else (superuser) is refused."""
DETAILS_KEY = "vendor_accounts"
"""The journal details key listing what a step did to vendor accounts."""


@dataclass(frozen=True)
class Credential:
    """A temporary password, handed once to whoever opened the access; never stored."""

    username: str
    password: str = field(repr=False)
    expires_at: datetime | None
    ticket_id: int


Deliver = Callable[[Credential], None]
"""Who receives a temporary password, once (the CLI prints it to the supervisor)."""


def actions_for(actions: list[str], ticket: Ticket, data: dict[str, Any], now: datetime
                ) -> list[dict[str, Any]]:
    """What a step's ``do:`` actions do to vendor accounts, as journal details."""
    planned = []
    for action in actions:
        if action == OPEN:
            planned.append(_opening(ticket, data, now))
        elif action == CLOSE:
            planned.append({"action": "close", "username": _username(ticket, data)})
        else:
            raise BadRequest(f"unknown action {action!r}", ticket=ticket.id, state=ticket.state)
    return planned


def _opening(ticket: Ticket, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    rights = data.get(RIGHTS_FIELD) or "read_only"
    if rights not in RIGHTS:
        raise Forbidden(f"{rights!r} rights are never granted to a vendor account",
                        ticket=ticket.id, state=ticket.state)
    raw = data.get(EXPIRY_FIELD)
    if not raw:
        raise MissingField(f"a vendor account needs {EXPIRY_FIELD!r}", ticket=ticket.id,
                           state=ticket.state)
    expires = parse_timestamp(raw)
    if expires <= now:
        raise MissingField(f"{EXPIRY_FIELD!r} must be in the future", ticket=ticket.id,
                           state=ticket.state)
    return {"action": "open", "username": _username(ticket, data),
            "roles": sorted({VENDOR_ROLE, f"{VENDOR_ROLE}_{rights}"}), "post": VENDOR_POST,
            "expires_at": expires.isoformat(), "display_name": str(data.get(NAME_FIELD) or "")}


def _username(ticket: Ticket, data: dict[str, Any]) -> str:
    username = data.get(USERNAME_FIELD)
    if not username:
        raise MissingField(f"the step needs the field {USERNAME_FIELD!r}", ticket=ticket.id,
                           state=ticket.state)
    return str(username)


def opened_account(action: dict[str, Any], existing: Account | None, now: datetime,
                   ticket_id: int, longest: timedelta) -> tuple[Account, Credential]:
    """The vendor account an ``open`` action creates (or re-opens), with its password.

    Its expiry is at most ``longest`` ahead (the desk's vendor limit). The store keeps one
    open access per account under a unique key, so two tickets opening the same account
    at once cannot both succeed; the check here only words the common case.
    """
    username = action["username"]
    expires = parse_timestamp(action["expires_at"])
    if expires > now + longest:
        raise Forbidden(f"{EXPIRY_FIELD!r} is at most {_days(longest)} ahead (the desk's "
                        f"vendor limit), not {expires.isoformat(timespec='seconds')}",
                        ticket=ticket_id)
    if existing is not None and not existing.vendor:
        raise Forbidden(f"{username!r} is a regular account, not a vendor's", ticket=ticket_id)
    if existing is not None and existing.can_act(now):
        raise Conflict(f"vendor account {username!r} is open already", ticket=ticket_id)
    password = random_password()
    account = Account(
        username=username, display_name=action["display_name"] or username,
        roles=list(action["roles"]), post=action["post"], vendor=True, expires_at=expires,
        password_hash=hash_password(password), disabled=False,
        created_at=existing.created_at if existing else now,
        last_login_at=existing.last_login_at if existing else None)
    check_account(account)
    if SUPERUSER in account.roles:  # check_account refuses it too; never rely on one check
        raise Forbidden("a vendor account never gets the superuser role", ticket=ticket_id)
    return account, Credential(username, password, expires, ticket_id)


def closed_account(action: dict[str, Any], existing: Account | None, ticket_id: int
                   ) -> Account:
    """The vendor account a ``close`` action leaves: disabled, its password rotated."""
    username = action["username"]
    if existing is None:
        raise NotFound(f"there is no account {username!r} to close", ticket=ticket_id)
    if not existing.vendor:
        raise Forbidden(f"{username!r} is a regular account, not a vendor's", ticket=ticket_id)
    return Account(
        username=username, display_name=existing.display_name, roles=list(existing.roles),
        post=existing.post, vendor=True, expires_at=existing.expires_at,
        password_hash=hash_password(random_password()), disabled=True,
        created_at=existing.created_at, last_login_at=existing.last_login_at)


def _days(period: timedelta) -> str:
    return f"{period.days} day(s)" if period.days else str(period)


def materialise(change: Change, existing: Callable[[str], Account | None], actor: str,
                now: datetime, *, longest: Callable[[], timedelta]
                ) -> tuple[Change, list[Credential]]:
    """The change with the vendor accounts its step opens or closes, and their passwords.

    ``longest``: how far ahead an opened account's expiry may be (the desk's vendor
    limit), asked only when the step opens one.
    The accounts are saved and the episode journaled in the admin journal by the same
    transaction as the step; the credentials are for the caller to hand over once.
    """
    actions = change.events[0].details.get(DETAILS_KEY) if change.events else None
    if not actions:
        return change, []
    ticket_id = change.ticket.id
    accounts, entries, credentials = [], [], []
    for action in actions:
        found = existing(action["username"])
        if action["action"] == "open":
            account, credential = opened_account(action, found, now, ticket_id, longest())
            credentials.append(credential)
        else:
            account = closed_account(action, found, ticket_id)
        kind = VENDOR_OPENED if action["action"] == "open" else VENDOR_CLOSED
        accounts.append(account)
        entries.append(account_entry(kind, account, actor, now, ticket=ticket_id))
    return replace(change, accounts=accounts, admin=entries), credentials
