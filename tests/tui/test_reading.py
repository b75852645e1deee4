"""``show`` and ``history`` answer the same through the light reader (a login session) as
through the full store (a password), byte for byte, on every backend: tickets with a
requester, pending timers and attachments, and the refusals (not allowed, no such ticket)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from engine.desk.requesters import Requesters
from engine.mail.incoming import Incoming
from storage.errors import SchemaError
from storage.reader import Reader, open_reader
from tests.articles import publish_articles
from tests.mail.conftest import DESK, mail_settings
from tests.stdin import Piped
from tui.cli import run
from tui.wiring import open_reading, open_workspace

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Reading-pass1"
PEOPLE = {"ann": ("agent", "service_desk"), "hal": ("agent", "handling_group"),
          "ian": ("auditor", None)}
READS = [["show", "1", "--json"], ["show", "1"], ["history", "1", "--json"], ["history", "1"],
         ["show", "2", "--json"], ["show", "3", "--json"], ["history", "3"],
         ["show", "99", "--json"], ["history", "99"]]
"""Ticket 1 came by mail with an attachment and waits for its requester (a timer); 2 is a
plain ticket; 3 is for a requester, at the handling group: hal may read only that one."""


@pytest.fixture
def desk(shared_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[str]:
    """A desk with the three tickets of :data:`READS` and ann, hal and ian."""
    monkeypatch.setenv("TICKETFLOW_DB", shared_store_url)
    monkeypatch.setenv("TICKETFLOW_HOME", str(tmp_path / "root"))
    monkeypatch.setenv("TICKETFLOW_PASSWORD", PASSWORD)
    monkeypatch.setattr("sys.stdin", Piped(PASSWORD + "\n"))
    assert run(["init", "--admin", "root", "--password-stdin"]) == 0
    workspace = open_workspace(shared_store_url)
    root = workspace.store.get_account("root")
    people = {name: workspace.accounts.add(root, username=name, password=PASSWORD,
                                           roles=[role], post=post)
              for name, (role, post) in PEOPLE.items()}
    monkeypatch.setenv("TICKETFLOW_USER", "root")
    assert run(["deploy", str(ROOT / "flows")]) == 0
    Incoming(workspace.desk, mail_settings(25)).take(_letter().as_bytes(), "mei@example.com")
    ann, desk = people["ann"], workspace.desk
    desk.fire(1, "receive", ann)
    publish_articles(workspace.store)
    desk.fire(1, "solve_at_desk", ann, data={"knowledge_article": "KB-1",
                                             "resolution": "new toner"})
    desk.fire(1, "reply", ann, note="New toner fitted.")
    desk.open("service_desk", ann, {"summary": "plain"})
    Requesters(desk).open_for("service_desk", "bo@example.com", ann, {"summary": "theirs"})
    desk.fire(3, "receive", ann)
    desk.fire(3, "dispatch", ann, data={"assigned_group": "hardware_platform"})
    assert desk.timers(1) and desk.ticket(3).post == "handling_group"
    workspace.store.close()
    yield shared_store_url


def _letter() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = "Mei Lin <mei@example.com>", DESK
    message["Subject"], message["Message-ID"] = "Printer jams", "<jam-1@mua.test>"
    message.set_content("It jams on every page.")
    message.add_attachment(b"%PDF-1.4 tiny\x00", maintype="application", subtype="pdf",
                           filename="error.pdf")
    return message



def answers(name: str, home: Path, session: bool, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> list[tuple[int, str, str]]:
    """Each read of :data:`READS` as ``name``: exit code, output, errors."""
    monkeypatch.setenv("TICKETFLOW_HOME", str(home))
    monkeypatch.setenv("TICKETFLOW_USER", name)
    monkeypatch.setenv("TICKETFLOW_PASSWORD", PASSWORD)
    if session:
        assert run(["login"]) == 0
        monkeypatch.delenv("TICKETFLOW_PASSWORD")
    capsys.readouterr()
    found = []
    for argv in READS:
        code = run(argv)
        out, err = capsys.readouterr()
        found.append((code, out, err))
    return found


@pytest.mark.parametrize("name", sorted(PEOPLE))
def test_a_session_reads_through_the_driver_exactly_as_a_password_through_the_store(
        desk: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    light = open_reading(desk)
    assert isinstance(light.store, Reader)  # the session path below takes the reader
    light.store.close()
    by_password = answers(name, tmp_path / f"{name}-password", False, monkeypatch, capsys)
    by_session = answers(name, tmp_path / f"{name}-session", True, monkeypatch, capsys)
    assert by_session == by_password
    codes = dict(zip((" ".join(argv) for argv in READS), by_session, strict=True))
    assert codes["show 99 --json"][0] != 0 and "no such ticket" in codes["show 99 --json"][2]
    shown = codes["show 1 --json"][1]
    if name == "hal":  # an agent of another post: refused, the same way on both paths
        assert codes["show 1 --json"][0] != 0 and "may not read" in codes["show 1 --json"][2]
        assert codes["show 3 --json"][0] == 0
        return
    assert '"error.pdf"' in shown and '"mei@example.com"' in shown
    assert '"timers": [\n    {' in shown
    assert codes["show 3 --json"][0] == 0  # ann opened it; ian reads every ticket


def test_the_reader_leaves_to_the_store_what_it_cannot_read(tmp_path: Path) -> None:
    """No file, a memory database, another backend, a schema not at the newest migration."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    assert open_reader(url) is None
    assert not (tmp_path / "desk.db").exists()  # looking did not create it
    assert open_reader("sqlite://") is None and open_reader("mysql://x@localhost/y") is None
    open_workspace(url).store.close()
    reader = open_reader(url)
    assert reader is not None
    reader.close()
    with sqlite3.connect(tmp_path / "desk.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'older'")
    assert open_reader(url) is None
    with pytest.raises(SchemaError):  # the full store took over, and says what is wrong
        open_reading(url)
