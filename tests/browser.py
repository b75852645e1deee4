"""Headless Chromium (Debian's package) driven over the DevTools protocol, for the tests
of the web front ends: the web terminal and the requester's page."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")


def devtools_url(browser: subprocess.Popen[str], deadline: float) -> str:
    assert browser.stderr is not None
    while time.monotonic() < deadline:
        line = browser.stderr.readline()
        if "DevTools listening on " in line:
            return line.split("DevTools listening on ", 1)[1].strip()
    raise TimeoutError("Chromium did not start its DevTools endpoint")


def stop(process: subprocess.Popen[str]) -> None:
    """End a process started in a session of its own, and its children."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def chromium(folder: Path, deadline: float) -> Iterator[str]:
    """A headless Chromium with its profile in ``folder``; its DevTools WebSocket address."""
    browser = subprocess.Popen(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--remote-debugging-port=0",
         f"--user-data-dir={folder}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        yield devtools_url(browser, deadline)
    finally:
        stop(browser)
        shutil.rmtree(folder, ignore_errors=True)


class Tab:
    """One page of the browser, over a DevTools session; ``events`` holds what arrived
    while waiting for answers."""

    def __init__(self, cdp: aiohttp.ClientWebSocketResponse) -> None:
        self.cdp = cdp
        self.session: str | None = None
        self.numbers = iter(range(1, 1_000_000))
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> Any:
        """Send a command and return its result."""
        number = next(self.numbers)
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        await self.cdp.send_str(json.dumps(message))
        while True:
            reply = json.loads((await self.cdp.receive(timeout=10)).data)
            if reply.get("id") == number:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    async def event(self, method: str, deadline: float) -> dict[str, Any]:
        """The next event of a kind (those that came already first)."""
        while True:
            for index, seen in enumerate(self.events):
                if seen.get("method") == method:
                    return self.events.pop(index)
            message = await self.cdp.receive(timeout=max(deadline - time.monotonic(), 0.1))
            self.events.append(json.loads(message.data))


@asynccontextmanager
async def tab(endpoint: str) -> AsyncIterator[Tab]:
    """A new blank tab of the browser at ``endpoint``."""
    async with aiohttp.ClientSession() as client, client.ws_connect(
            endpoint, max_msg_size=0) as cdp:
        opened = Tab(cdp)
        target = (await opened.call("Target.createTarget", url="about:blank"))["targetId"]
        opened.session = (await opened.call("Target.attachToTarget", targetId=target,
                                            flatten=True))["sessionId"]
        yield opened
