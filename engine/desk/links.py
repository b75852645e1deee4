"""Signed, expiring links for a ticket's requester: HMAC-SHA256 with the desk's secret over
the ticket id, the requester id and the expiry.

A token is ``<ticket>.<requester>.<expiry>.<signature>`` (the expiry in Unix seconds, the
signature URL-safe base64 without padding), so it fits in a URL path as it is. It proves that
the desk made the link for this requester and this ticket; anyone holding it can use it
until it expires, as with any link in a mail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from engine.core.errors import BadRequest, InvalidLink

MIN_SECRET = 16
"""The shortest secret accepted, in bytes."""


@dataclass(frozen=True)
class Link:
    """What a valid token says."""

    ticket_id: int
    requester_id: int
    expires_at: datetime


class LinkSigner:
    """Makes and checks tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET:
            raise BadRequest(f"the link secret is shorter than {MIN_SECRET} bytes")
        self._secret = secret

    def token(self, ticket_id: int, requester_id: int, expires_at: datetime) -> str:
        """A token for this ticket and requester, valid until ``expires_at``."""
        payload = f"{ticket_id}.{requester_id}.{int(expires_at.timestamp())}"
        return f"{payload}.{self._sign(payload)}"

    def token_for(self, ticket_id: int, requester_id: int, now: datetime,
                  valid: timedelta) -> str:
        return self.token(ticket_id, requester_id, now + valid)

    def verify(self, token: str, now: datetime) -> Link:
        """What a token says; InvalidLink when it is damaged, forged or expired."""
        parts = token.strip().split(".")
        if len(parts) != 4 or not all(part.isascii() and part.isdigit() for part in parts[:3]):
            raise InvalidLink("the link is damaged (it is not a ticketflow link)")
        payload, signature = ".".join(parts[:3]), parts[3]
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise InvalidLink("the link was not made by this desk, or was changed")
        expires_at = datetime.fromtimestamp(int(parts[2]), UTC)
        if now >= expires_at:
            raise InvalidLink(f"the link expired at {expires_at.isoformat()}; the desk's "
                              "latest mail has a new one")
        return Link(int(parts[0]), int(parts[1]), expires_at)

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
