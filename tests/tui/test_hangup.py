"""The app exits when its terminal goes away, whoever its parent is.

A closed window, a dropped SSH session or ``tmux kill-session`` hangs the terminal up. The
hangup signal may never reach the app (``make run`` sits between, or a parent ignores it,
as ``nohup`` does): the app must still notice and exit, not spin a CPU on the dead terminal.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest

from tui.app import HANGUP_EXIT

SCRIPT = "import sys; from tui.cli import main; sys.argv[0] = 'ticketflow'; main()"


def _start(db: Path, ignore_hangup: bool) -> tuple[int, int]:
    """``ticketflow tui`` in a new pseudo-terminal: its pid and the terminal's master end."""
    pid, master = pty.fork()
    if pid == 0:  # the child: becomes the app
        if ignore_hangup:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)  # inherited across exec
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [sys.executable, "-c", SCRIPT, "tui", "--db", f"sqlite:///{db}"])
    return pid, master


def _wait_for_screen(master: int, text: bytes, seconds: float = 60.0) -> None:
    seen, deadline = b"", time.monotonic() + seconds
    while text not in seen and time.monotonic() < deadline:
        if select.select([master], [], [], 0.5)[0]:
            seen += os.read(master, 65536)
    assert text in seen, seen[-500:]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _exit_status(pid: int, seconds: float) -> int | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.1)
    return None


@pytest.mark.parametrize("ignore_hangup", [True, False], ids=["hangup-ignored", "hangup"])
def test_the_app_exits_when_its_terminal_is_closed(tmp_path: Path, ignore_hangup: bool) -> None:
    pid, master = _start(tmp_path / "desk.db", ignore_hangup)
    status = None
    try:
        _wait_for_screen(master, b"Log in")
        os.close(master)  # the terminal goes away under the app
        status = _exit_status(pid, 15)
        assert status is not None, f"still running, {_cpu_seconds(pid):.1f} s of CPU"
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    if ignore_hangup:  # nothing but the app's own watch could have ended it
        assert os.waitstatus_to_exitcode(status) == HANGUP_EXIT
