"""Dependencies the routes share: the services, the acting account, the If-Match revision;
the route class that checks query parameters."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.wiring import Services
from engine.core.errors import AuthenticationFailed, BadRequest
from engine.core.model import Account

bearer = HTTPBearer(auto_error=False, description="An API token: `ticketflow tokens add`.")


async def services(request: Request) -> Services:
    """The services the app was built with (async: no thread for what needs none)."""
    found: Services = request.app.state.services
    return found


@dataclass(frozen=True)
class Caller:
    """Who sent the request: checked when the route asks, on the route's own thread."""

    request: Request
    token: str
    services: Services
    """What the routes use (one dependency fewer to solve per request than its own)."""

    def account(self) -> Account:
        """The account the token acts as, read now (a disabled account stops at once).

        Routes are plain functions, which FastAPI runs on its thread pool: checking the
        token there, not in a dependency of its own, costs one hand-over to a thread per
        request instead of two.
        """
        acting, token = self.services.tokens.authenticate(self.token)
        self.request.state.token = token.name
        return acting


async def caller(request: Request,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                 ) -> Caller:
    """The request's bearer token (refused at once when there is none)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("send an API token: Authorization: Bearer TOKEN")
    return Caller(request, credentials.credentials, request.app.state.services)


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


class Checked(APIRoute):
    """A route of ``/api/v1``: it refuses query parameters it does not take, or one given
    twice (bad input, not silently ignored), before anything else runs.

    The names it takes are found once, when the route is built; a dependency of every route
    would cost FastAPI's solving of it on every request.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        taken = _query_names(self.dependant)

        async def checked(request: Request) -> Response:
            if request.scope.get("query_string"):  # most requests have none
                _check_query(request, taken)
            return await handler(request)

        return checked


def _check_query(request: Request, taken: set[str]) -> None:
    unknown = sorted(set(request.query_params) - taken)
    if unknown:
        raise BadRequest(f"unknown query parameter {unknown[0][:40]!r}"
                         + (f"; this route takes {', '.join(sorted(taken))}" if taken else ""))
    repeated = sorted({name for name, _ in request.query_params.multi_items()
                       if len(request.query_params.getlist(name)) > 1})
    if repeated:  # every parameter takes one value: the last of several is not a choice
        raise BadRequest(f"query parameter {repeated[0][:40]!r} given more than once")


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route and its dependencies take."""
    names = {param.alias for param in dependant.query_params}
    for inner in dependant.dependencies:
        names |= _query_names(inner)
    return names


Acting = Annotated[Caller, Depends(caller)]
Desk = Annotated[Services, Depends(services)]
Revision = Annotated[int | None, Depends(revision)]
