"""Serving the API with uvicorn (``ticketflow serve`` calls :func:`serve`)."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from api.app import create_app
from api.wiring import open_services


def serve(url: str, *, host: str = "127.0.0.1", port: int = 8080,
          alerts: Path | None = None, assessment: Path | None = None,
          log_level: str = "info", link_secret: bytes | None = None) -> None:
    """Serve the desk at ``url`` until interrupted."""
    services = open_services(url, alerts=alerts, assessment=assessment, link_secret=link_secret)
    app = create_app(services, close=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
