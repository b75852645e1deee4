"""``ticketflow tui --web``: the app served by textual-serve, opened in headless Chromium.

Chromium draws the terminal on a canvas, so the test reads what the browser received: it
drives Chromium over the DevTools protocol and collects the WebSocket frames the page gets
from the app — the login screen must arrive within the time limit.
"""

from __future__ import annotations

import asyncio
import base64
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.browser import chromium, needs_chromium, stop, tab
from tests.tui.conftest import DeskCopy
from tui.commands.app_cmds import address

LIMIT = 120.0
"""Seconds the whole exchange may take."""
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


async def received_text(endpoint: str, page: str, wanted: list[str], deadline: float) -> str:
    """Open ``page`` and return the text of the WebSocket frames it receives."""
    async with tab(endpoint) as browser:
        await browser.call("Network.enable")
        await browser.call("Page.navigate", url=page)
        text = ""
        while time.monotonic() < deadline and not all(w in text for w in wanted):
            event = await browser.event("Network.webSocketFrameReceived", deadline)
            frame = event["params"]["response"]
            data = frame["payloadData"]
            raw = base64.b64decode(data) if frame["opcode"] == 2 else data.encode()
            text += ANSI.sub("", raw.decode("utf-8", "replace"))
        return text


def test_web_address_defaults_to_the_loopback_interface() -> None:
    assert address("8000") == ("127.0.0.1", 8000)
    assert address("0.0.0.0:9000") == ("0.0.0.0", 9000)


@needs_chromium
def test_the_login_screen_appears_in_a_headless_browser(desk: DeskCopy,
                                                        tmp_path: Path) -> None:
    deadline = time.monotonic() + LIMIT
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from tui.cli import main; main()", "tui", "--db",
         desk.workspace.url, "--web", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True, cwd=tmp_path)
    try:
        wait_for_port(port, deadline)
        with chromium(tmp_path / "chromium", deadline) as endpoint:
            wanted = ["ticketflow", "Log in", "password"]
            text = asyncio.run(received_text(endpoint, f"http://127.0.0.1:{port}/", wanted,
                                             deadline))
        assert all(word in text for word in wanted), text[-2000:]
    finally:
        stop(server)
