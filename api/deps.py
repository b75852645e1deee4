"""Dependencies the routes share: the services, the acting account, the If-Match revision."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.wiring import Services
from engine.core.errors import AuthenticationFailed, BadRequest
from engine.core.model import Account

bearer = HTTPBearer(auto_error=False, description="An API token: `ticketflow tokens add`.")


async def services(request: Request) -> Services:
    """The services the app was built with (async: no thread for what needs none)."""
    found: Services = request.app.state.services
    return found


def account(request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
            ) -> Account:
    """The account the request's token acts as, read now (a disabled account stops at once).

    Routes are plain functions, which FastAPI runs on its thread pool, so the database
    reads here and in the route never block the event loop.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("send an API token: Authorization: Bearer TOKEN")
    found: Services = request.app.state.services
    acting, token = found.tokens.authenticate(credentials.credentials)
    request.state.token = token.name
    return acting


async def revision(if_match: Annotated[str | None, Header(
        description="The ticket's revision (its ETag): the change applies only to it.")]
        = None) -> int | None:
    """The revision an If-Match header names (None: absent or ``*``)."""
    if if_match is None or if_match.strip() == "*":
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 18:
        raise BadRequest(f"If-Match must be a ticket's ETag such as \"3\", not {if_match[:40]!r}")
    return int(text)


Acting = Annotated[Account, Depends(account)]
Desk = Annotated[Services, Depends(services)]
Revision = Annotated[int | None, Depends(revision)]
