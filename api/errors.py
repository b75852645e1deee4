"""The one place the engine's and storage's errors become HTTP answers.

Every error answer is one JSON object, ``{"error": {"kind", "title", "message", ...}}``:

    BadRequest, MissingField, SpecError, invalid request   400 bad input
    AuthenticationFailed (no, unknown, revoked token; a disabled or expired account)  401
    Forbidden                                              403 refusal
    NotFound                                               404 unknown
    Conflict, InvalidTrigger, GuardFailed, IntegrityViolation  409 conflict with the
                                                           ticket's state (or a stale If-Match)
    DatabaseBusy, DatabaseUnavailable                      503, with Retry-After
    anything else                                          500, its details only in the log

Under ``/r/`` (the requester's page) the same statuses come as a plain HTML page instead.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from api.pages import error_page
from engine.core.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    Forbidden,
    GuardFailed,
    InvalidTrigger,
    MissingField,
    NotFound,
    ServiceError,
    SpecError,
    TicketflowError,
)

STATUS: list[tuple[type[Exception], int]] = [
    (AuthenticationFailed, 401), (Forbidden, 403), (NotFound, 404),
    (Conflict, 409), (InvalidTrigger, 409), (GuardFailed, 409),
    (MissingField, 400), (BadRequest, 400), (SpecError, 400)]
"""Error class → status, most specific first; storage errors are told apart by name."""
STORAGE_STATUS = {"IntegrityViolation": 409, "DatabaseBusy": 503, "DatabaseUnavailable": 503}
log = logging.getLogger("ticketflow.api")
PAGES = "/r/"
"""Where the answers are HTML pages, for a person's browser."""


def status_of(error: TicketflowError) -> int:
    """The HTTP status of one of the product's errors."""
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return STORAGE_STATUS.get(type(error).__name__, 500)


def body(kind: str, title: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one error object every error answer carries."""
    fields = {key: value for key, value in extra.items() if value is not None}
    return {"error": {"kind": kind, "title": title, "message": message, **fields}}


def answer(error: TicketflowError) -> JSONResponse:
    """The answer to an error of the product."""
    status = status_of(error)
    kind = error.kind if isinstance(error, ServiceError) else type(error).__name__
    extra: dict[str, Any] = {}
    if isinstance(error, ServiceError):
        extra = {"ticket": error.ticket, "state": error.state}
    if isinstance(error, SpecError):
        extra = {"problems": [str(p) for p in error.problems]}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status == 503:
        headers["Retry-After"] = "1"
    message = " ".join(str(error).split()) or error.title
    if status == 500:
        log.error("request failed: %s", message)
        message = "the server failed; the error is in its log"
    return JSONResponse(body(kind, error.title, message, **extra), status_code=status,
                        headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    async def product(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TicketflowError)
        return _for(request, answer(exc))

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _for(request, JSONResponse(
            body("bad_request", "Invalid request", _validation(exc)), status_code=400))

    async def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names the methods of one route of the path
            headers["Allow"] = ", ".join(_allowed(app, request))
        return _for(request, JSONResponse(
            body(_http_kind(exc.status_code), "HTTP error", str(exc.detail)),
            status_code=exc.status_code, headers=headers))

    async def failed(request: Request, exc: Exception) -> Response:
        log.exception("request %s %s failed", request.method, request.url.path)
        return _for(request, JSONResponse(
            body("internal", "Server error", "the server failed; the error is in its log"),
            status_code=500))

    app.add_exception_handler(TicketflowError, product)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(Exception, failed)


def _for(request: Request, answered: JSONResponse) -> Response:
    """The answer as it is, or as an HTML page under :data:`PAGES`."""
    if not request.url.path.startswith(PAGES):
        return answered
    error = json.loads(bytes(answered.body))["error"]
    page = error_page(answered.status_code, error["title"], error["message"])
    if "allow" in answered.headers:
        page.headers["Allow"] = answered.headers["allow"]
    return page


def _allowed(app: FastAPI, request: Request) -> list[str]:
    """Every method some route of the request's path answers."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**request.scope, "method": "*"})
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def _validation(exc: RequestValidationError) -> str:
    """pydantic's complaints as one line: where, what."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _http_kind(status: int) -> str:
    return {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}.get(
        status, "bad_request" if status < 500 else "internal")
