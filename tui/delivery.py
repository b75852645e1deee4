"""Posting a webhook body over HTTP (the standard library's client: no extra dependency)."""

from __future__ import annotations

import urllib.error
import urllib.request

from engine.desk.webhooks import TIMEOUT, Answer


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url``; the status, or the error that prevented an answer."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return Answer(status=int(response.status))
    except urllib.error.HTTPError as exc:
        return Answer(status=exc.code, error=f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(status=None, error=" ".join(str(reason).split())[:300] or "failed")
