"""Server-rendered HTML: the Jinja2 templates in ``api/templates`` (autoescaped), their
style sheet inlined and allowed by hash, and the headers every page carries.

The pages run no script: the Content-Security-Policy forbids every script, frames and
forms to other sites, so neither an injected tag nor a framing site can act for the reader.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

FOLDER = Path(__file__).resolve().parent / "templates"
CSS = (FOLDER / "page.css").read_text(encoding="utf-8")
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
HEADERS = {
    "Content-Security-Policy": (f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the page's address is the requester's credential
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
"""Headers of every page: no script, no framing, no caching, the link never sent onwards."""


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


env = Environment(loader=FileSystemLoader(str(FOLDER)), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
env.filters["when"] = _when


def page(name: str, values: dict[str, Any], status: int = 200) -> HTMLResponse:
    """The template ``name`` rendered with ``values``, with the page headers."""
    html = env.get_template(name).render(css=CSS, **values)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def error_page(status: int, title: str, message: str, back: str | None = None) -> HTMLResponse:
    """A plain error page: what went wrong, in one sentence."""
    return page("error.html", {"title": title, "message": message, "back": back}, status)
