"""The requester and mail commands: JSON, exit codes, one error line, nothing half-done."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.core.model import Inbound
from mail.server import DeskHandler
from tests.desk.test_cli import ADMIN, AGENT, Cli
from tests.mail.conftest import mail_settings
from tests.mail.test_loop import desk_cli

__all__ = ["desk_cli"]
AGENT_LOGIN = {"user": "ann", "password": AGENT}


def test_requesters_add_list_show_edit(desk_cli: Cli) -> None:
    cli = desk_cli
    added = cli.json("requesters", "add", "Mei@Example.com", "--name", "Mei Lin",
                     "--phone", "+86 10 1234", **AGENT_LOGIN)
    assert (added["id"], added["email"], added["name"]) == (1, "mei@example.com", "Mei Lin")
    code, _, err = cli("requesters", "add", "mei@example.com", **AGENT_LOGIN)
    assert (code, err.strip()) == (3, "error: a requester with the address "
                                      "'mei@example.com' exists")
    code, _, err = cli("requesters", "add", "nobody", **AGENT_LOGIN)
    assert (code, err.strip()) == (2, "error: 'nobody' is not a mail address")
    opened = cli.json("open", "service_desk", "--set", "summary=no VPN", "--requester",
                      "mei@example.com", **AGENT_LOGIN)
    edited = cli.json("requesters", "edit", "1", "--organisation", "Telecom C", "--phone", "",
                      **AGENT_LOGIN)
    assert (edited["organisation"], edited["phone"]) == ("Telecom C", None)
    shown = cli.json("requesters", "show", "mei@example.com", **AGENT_LOGIN)
    assert [t["id"] for t in shown["tickets"]] == [opened["id"]]
    assert [r["email"] for r in cli.json("requesters", "list", **AGENT_LOGIN)] == [
        "mei@example.com"]
    code, out, _ = cli("requesters", "show", "1", **AGENT_LOGIN)
    assert code == 0 and "Mei Lin <mei@example.com>" in out and "no VPN" in out
    code, _, err = cli("requesters", "show", "ghost@example.com", **AGENT_LOGIN)
    assert (code, err.strip()) == (2, "error: no requester 'ghost@example.com'")
    code, _, err = cli("open", "service_desk", "--set", "summary=x", "--requester", "bad",
                       **AGENT_LOGIN)
    assert (code, err.strip()) == (2, "error: 'bad' is not a mail address")
    assert len(cli.json("list", "--all")) == 1


def test_requesters_show_needs_a_login_and_lists_only_readable_tickets(
        desk_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = desk_cli
    assert cli("users", "add", "hal", "--role", "agent", "--post", "handling_group",
               "--password-stdin", user="root", password=ADMIN, stdin=AGENT + "\n")[0] == 0
    opened = cli.json("open", "service_desk", "--set", "summary=no VPN", "--requester",
                      "mei@example.com", **AGENT_LOGIN)
    hal = cli.json("requesters", "show", "mei@example.com", user="hal", password=AGENT)
    assert hal["email"] == "mei@example.com" and hal["tickets"] == []  # at the desk's post
    root = cli.json("requesters", "show", "mei@example.com", user="root", password=ADMIN)
    assert [t["id"] for t in root["tickets"]] == [opened["id"]]
    monkeypatch.delenv("TICKETFLOW_USER")
    for command in (("show", "1"), ("list",)):
        code, out, err = cli("requesters", *command)
        assert code == 2 and out == "" and err.startswith("error: name the acting account")


def test_mail_commands_need_settings_and_check_them(desk_cli: Cli, tmp_path: Path) -> None:
    cli = desk_cli
    code, _, err = cli("mail", "serve", "--port", "2525")
    assert (code, err.strip()) == (2, "error: no mail settings: pass --config FILE or set "
                                      "TICKETFLOW_CONFIG (docs/mail.md)")
    bad = tmp_path / "bad.toml"
    bad.write_text('[mail]\naddress = "desk@desk.test"\n[mail.smtp]\nport = "x"\n',
                   encoding="utf-8")
    code, _, err = cli("worker", "--once", "--config", str(bad))
    assert code == 2 and err.startswith(f"error: {bad}: mail.smtp.port: ")
    code, _, err = cli("outbox", "--mail", "--status", "lost", user="root", password=ADMIN)
    assert (code, err.strip()) == (2, "error: unknown delivery status 'lost' (pending, sent "
                                      "or failed)")
    code, _, err = cli("mail", "attachment", "0" * 64, "-o", str(tmp_path / "x"),
                       user="root", password=ADMIN)
    assert (code, err.strip()) == (2, "error: no attachment 000000000000")


class Unavailable(Exception):
    """Stands for the database being unreachable (what wiring.UNAVAILABLE names)."""


def test_the_server_answers_451_when_the_desk_cannot_take_mail_in() -> None:
    def down(raw: bytes, mail_from: str | None) -> Inbound:
        raise Unavailable("connection refused")

    def broken(raw: bytes, mail_from: str | None) -> Inbound:
        raise RuntimeError("a bug")

    lines: list[str] = []
    for take in (down, broken):
        handler = DeskHandler(take=take, settings=mail_settings(25), transient=(Unavailable,),
                              report=lines.append)
        assert handler._take(b"", "a@b.test").startswith("451 4.3.0")
        handler.executor.shutdown()
    assert "database unavailable" in lines[0] and "RuntimeError: a bug" in lines[1]


def test_requesters_link_prints_a_link_the_desk_accepts(desk_cli: Cli, tmp_path: Path) -> None:
    from engine.desk.links import LinkSigner
    from tests.mail.conftest import SECRET
    from tests.mail.test_loop import write_config

    cli = desk_cli
    config = str(write_config(tmp_path / "desk.toml", 25))
    opened = cli.json("open", "service_desk", "--set", "summary=x", "--requester",
                      "mei@example.com", **AGENT_LOGIN)
    made = cli.json("requesters", "link", str(opened["id"]), "--config", config, **AGENT_LOGIN)
    assert made["url"].startswith("https://desk.test/r/")
    link = LinkSigner(SECRET.encode()).verify(made["url"].rsplit("/", 1)[1],
                                              datetime.now(UTC))
    assert (link.ticket_id, link.requester_id) == (opened["id"], made["requester"])
    other = cli.json("open", "service_desk", "--set", "summary=y", **AGENT_LOGIN)
    code, _, err = cli("requesters", "link", str(other["id"]), "--config", config,
                       **AGENT_LOGIN)
    assert (code, err.strip()) == (2, f"error: ticket {other['id']} is not for a requester")


def test_the_desks_mail_and_its_files_are_read_only_by_those_who_may(
        desk_cli: Cli, shared_store_url: str, tmp_path: Path) -> None:
    from engine.mail.incoming import Incoming
    from tests.mail.test_incoming import PDF, letter
    from tui.wiring import open_workspace

    cli = desk_cli
    assert cli("users", "add", "hal", "--role", "agent", "--post", "handling_group",
               "--password-stdin", user="root", password=ADMIN, stdin=AGENT + "\n")[0] == 0
    message = letter()
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="error.pdf")
    workspace = open_workspace(shared_store_url)
    inbound = Incoming(workspace.desk, mail_settings(25)).take(message.as_bytes(),
                                                              "mei@example.com")
    workspace.store.close()
    digest = cli.json("show", str(inbound.ticket_id), **AGENT_LOGIN)["attachments"][0]["hash"]
    out = tmp_path / "file.pdf"
    for who in ({"user": "hal", "password": AGENT}, AGENT_LOGIN):
        code, _, err = cli("mail", "received", **who)
        assert code == 3 and err.count("\n") == 1 and "the desk's mail" in err
    assert [m["status"] for m in cli.json("mail", "received", user="root",
                                          password=ADMIN)] == ["opened"]
    code, _, err = cli("mail", "attachment", digest, "-o", str(out), **AGENT_LOGIN)
    assert (code, err.strip()) == (2, "error: name the ticket the file came with: --ticket N")
    code, _, err = cli("mail", "attachment", digest, "-o", str(out), "--ticket",
                       str(inbound.ticket_id), user="hal", password=AGENT)
    assert code == 3 and not out.exists()  # the ticket is at another post
    code, _, err = cli("mail", "attachment", "0" * 64, "-o", str(out), "--ticket",
                       str(inbound.ticket_id), **AGENT_LOGIN)
    assert code == 3 and "no file 000000000000 came with ticket" in err
    code, _, err = cli("mail", "attachment", digest, "-o", str(out), "--ticket",
                       str(inbound.ticket_id), **AGENT_LOGIN)
    assert code == 0 and out.read_bytes() == PDF
