"""A desk on SQLite and PostgreSQL driven through ``ticketflow``, in-process and as subprocesses.

In-process commands use the suite's cheap hasher; subprocesses run the real command line at
the product's argon2 cost, so that races span a real password check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.stdin import Piped
from tui.cli import run

ROOT = Path(__file__).resolve().parents[2]
ADMIN, AGENT, SUPERVISOR, AUDITOR = "Adm1n-pass", "Agent-pass1", "Sup3r-pass", "Aud1t-pass"
PASSWORDS = {"root": ADMIN, "ann": AGENT, "hal": AGENT, "sue": SUPERVISOR, "aud": AUDITOR}
CLI = [sys.executable, "-c", "from tui.cli import main; main()"]


class Desk:
    """``ticketflow`` on one database: ``run`` in-process, ``spawn`` as a real process."""

    def __init__(self, url: str, home: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.url, self.home, self.capsys, self.monkeypatch = url, home, capsys, monkeypatch
        monkeypatch.setenv("TICKETFLOW_DB", url)
        monkeypatch.setenv("TICKETFLOW_HOME", str(home))

    def __call__(self, *argv: str, user: str | None = None, password: str | None = None,
                 stdin: str | None = None) -> tuple[int, str, str]:
        """Run a command in-process as ``user`` (its password by default; None: no login)."""
        self._identity(user, password)
        if stdin is not None:
            self.monkeypatch.setattr("sys.stdin", Piped(stdin))
        code = run(list(argv))
        out, err = self.capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    def json(self, *argv: str, user: str | None = None, password: str | None = None) -> Any:
        code, out, err = self(*argv, "--json", user=user, password=password)
        assert code == 0, err
        return json.loads(out)

    def spawn(self, *argv: str, user: str, password: str | None = None,
              home: Path | None = None) -> subprocess.Popen[str]:
        """Start ``ticketflow ARGV`` as another process, at the product's argon2 cost."""
        env = {**os.environ, "TICKETFLOW_DB": self.url, "TICKETFLOW_USER": user,
               "TICKETFLOW_PASSWORD": password or PASSWORDS.get(user, ""),
               "TICKETFLOW_HOME": str(home or self.home)}
        return subprocess.Popen([*CLI, *argv], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=ROOT)

    def _identity(self, user: str | None, password: str | None) -> None:
        if user is None:
            self.monkeypatch.delenv("TICKETFLOW_USER", raising=False)
        else:
            self.monkeypatch.setenv("TICKETFLOW_USER", user)
        if user is None or password == "":
            self.monkeypatch.delenv("TICKETFLOW_PASSWORD", raising=False)
        else:
            self.monkeypatch.setenv("TICKETFLOW_PASSWORD", password or PASSWORDS[user])



def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    assert "Traceback" not in out + err, err
    return process.returncode, out, err


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="seconds")


@pytest.fixture
def desk(shared_store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> Desk:
    """A desk with the shipped processes, an admin, two agents, a supervisor, an auditor."""
    desk = Desk(shared_store_url, tmp_path, capsys, monkeypatch)
    assert desk("init", "--admin", "root", "--password-stdin", stdin=ADMIN + "\n")[0] == 0
    assert desk("deploy", str(ROOT / "flows"), user="root")[0] == 0
    for name, role, post in (("ann", "agent", "service_desk"),
                             ("hal", "agent", "handling_group"),
                             ("sue", "supervisor", "service_desk"), ("aud", "auditor", None)):
        extra = ["--post", post] if post else []
        code, _, err = desk("users", "add", name, "--role", role, *extra, "--password-stdin",
                            stdin=PASSWORDS[name] + "\n", user="root")
        assert code == 0, err
    return desk
