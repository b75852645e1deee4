"""The FastAPI application: ``/api/v1`` over the desk service, OpenAPI at ``/openapi.json``,
and the requester's page at ``/r/{token}``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from api import errors
from api.routes import alerts, desk, page, tickets
from api.schemas import ErrorOut
from api.wiring import Services

THREADS = 8
"""Requests served at once: each thread keeps a database connection (the hot path's) and
borrows another for reads, within the pool's 15."""
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text} for status, text in (
        (400, "Bad input"), (401, "No valid API token"), (403, "Refused"),
        (404, "Unknown"), (409, "Conflict with the ticket's state"),
        (503, "The database is busy or unavailable: retry"))}


def create_app(services: Services, *, close: bool = False) -> FastAPI:
    """The app over ``services`` (closed with the app when ``close``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield
        if close:
            services.close()

    app = FastAPI(title="ticketflow", version="1",
                  description="The service desk's API: tickets, alerts, processes.",
                  lifespan=lifespan)
    app.state.services = services
    errors.install(app)
    for module in (tickets, alerts, desk):  # each straight on the app: a router included
        # in a router would be matched level by level, twice per level, on every request
        app.include_router(module.router, prefix="/api/v1", responses=ERRORS)
    app.include_router(page.router)
    _document_400_not_422(app)
    return app


def _document_400_not_422(app: FastAPI) -> None:
    """FastAPI documents 422 for invalid requests; this API answers them with 400."""
    built = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for operations in built()["paths"].values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
        return app.openapi_schema or built()

    app.openapi = openapi  # type: ignore[method-assign]
