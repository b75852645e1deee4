"""``ticketflow tui --web``: the app served by textual-serve, opened in headless Chromium.

Chromium draws the terminal on a canvas, so the test reads what the browser received: it
drives Chromium over the DevTools protocol and collects the WebSocket frames the page gets
from the app — the login screen must arrive within the time limit.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.tui.conftest import DeskCopy
from tui.commands.app_cmds import address

CHROMIUM = Path("/usr/bin/chromium")
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


def devtools_url(browser: subprocess.Popen[str], deadline: float) -> str:
    assert browser.stderr is not None
    while time.monotonic() < deadline:
        line = browser.stderr.readline()
        if "DevTools listening on " in line:
            return line.split("DevTools listening on ", 1)[1].strip()
    raise TimeoutError("Chromium did not start its DevTools endpoint")


async def received_text(endpoint: str, page: str, wanted: list[str], deadline: float) -> str:
    """Open ``page`` and return the text of the WebSocket frames it receives."""
    async with aiohttp.ClientSession() as client, client.ws_connect(
            endpoint, max_msg_size=0) as cdp:
        counter = iter(range(1, 1_000_000))

        async def call(method: str, session: str | None = None, **params: Any) -> Any:
            number = next(counter)
            message: dict[str, Any] = {"id": number, "method": method, "params": params}
            if session:
                message["sessionId"] = session
            await cdp.send_str(json.dumps(message))
            while True:
                reply = json.loads((await cdp.receive(timeout=10)).data)
                if reply.get("id") == number:
                    return reply.get("result", {})

        target = (await call("Target.createTarget", url="about:blank"))["targetId"]
        session = (await call("Target.attachToTarget", targetId=target, flatten=True))[
            "sessionId"]
        await call("Network.enable", session)
        await call("Page.navigate", session, url=page)
        text = ""
        while time.monotonic() < deadline and not all(w in text for w in wanted):
            message = await cdp.receive(timeout=max(deadline - time.monotonic(), 0.1))
            event = json.loads(message.data)
            if event.get("method") == "Network.webSocketFrameReceived":
                frame = event["params"]["response"]
                data = frame["payloadData"]
                raw = base64.b64decode(data) if frame["opcode"] == 2 else data.encode()
                text += ANSI.sub("", raw.decode("utf-8", "replace"))
        return text


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_web_address_defaults_to_the_loopback_interface() -> None:
    assert address("8000") == ("127.0.0.1", 8000)
    assert address("0.0.0.0:9000") == ("0.0.0.0", 9000)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                    "(apt-get install chromium)")
def test_the_login_screen_appears_in_a_headless_browser(desk: DeskCopy,
                                                        tmp_path: Path) -> None:
    deadline = time.monotonic() + LIMIT
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from tui.cli import main; main()", "tui", "--db",
         desk.workspace.url, "--web", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True, cwd=tmp_path)
    browser = None
    try:
        wait_for_port(port, deadline)
        browser = subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--remote-debugging-port=0",
             f"--user-data-dir={tmp_path / 'chromium'}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        endpoint = devtools_url(browser, deadline)
        wanted = ["ticketflow", "Log in", "password"]
        text = asyncio.run(received_text(endpoint, f"http://127.0.0.1:{port}/", wanted,
                                         deadline))
        assert all(word in text for word in wanted), text[-2000:]
    finally:
        if browser is not None:
            stop(browser)
        stop(server)
        shutil.rmtree(tmp_path / "chromium", ignore_errors=True)
