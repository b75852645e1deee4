"""The whole loop, for real: `ticketflow mail serve` (LMTP, aiosmtpd) receives a mail and
opens a ticket, an agent replies with the CLI, `ticketflow worker` sends the reply through a
real SMTP server, the requester confirms by replying, the ticket closes — each step
journaled with its actor, and `audit verify` proves every step legal. SQLite and PostgreSQL.
The requester also answers by the link in the desk's mail, on `ticketflow serve`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import start_server
from tests.articles import publish_with
from tests.desk.test_cli import ADMIN, AGENT, Cli
from tests.mail.conftest import DESK, SECRET, Sink, free_port

ROOT = Path(__file__).resolve().parents[2]
MEI = "mei@example.com"


def write_config(path: Path, smtp_port: int, **extra: object) -> Path:
    lines = ["[mail]", f'address = "{DESK}"', 'own_addresses = ["noreply@desk.test"]',
             'base_url = "https://desk.test"', f'link_secret = "{SECRET}"', "rate_limit = 50"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    lines += ["", "[mail.smtp]", 'host = "127.0.0.1"', f"port = {smtp_port}", "timeout = 5"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("mail serve did not listen")


@pytest.fixture
def desk_cli(shared_store_url: str, capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Cli:
    monkeypatch.setenv("TICKETFLOW_HOME", str(tmp_path / "home"))
    cli = Cli(shared_store_url, capsys, monkeypatch)
    assert cli("init", "--admin", "root", "--password-stdin", stdin=ADMIN + "\n")[0] == 0
    assert cli("deploy", str(ROOT / "flows"), user="root", password=ADMIN)[0] == 0
    assert cli("users", "add", "ann", "--role", "agent", "--post", "service_desk",
               "--password-stdin", user="root", password=ADMIN, stdin=AGENT + "\n")[0] == 0
    return cli


@pytest.fixture
def server(shared_store_url: str, sink: Sink, tmp_path: Path
           ) -> Iterator[tuple[int, Path, subprocess.Popen[bytes]]]:
    config = write_config(tmp_path / "desk.toml", sink.port, max_size=20000)
    port = free_port()
    env = {**os.environ, "TICKETFLOW_DB": shared_store_url, "TICKETFLOW_CONFIG": str(config)}
    process = subprocess.Popen(
        [sys.executable, "-c", "from tui.cli import main; main()", "mail", "serve",
         "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, process)
        yield port, config, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)


def lmtp_send(port: int, message: EmailMessage, sender: str = MEI,
              recipients: tuple[str, ...] = (DESK,)) -> None:
    with smtplib.LMTP("127.0.0.1", port) as client:
        client.sendmail(sender, list(recipients), message.as_bytes())


def first_mail() -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Mei Lin <{MEI}>"
    message["To"] = DESK
    message["Subject"] = "VPN drops every hour"
    message["Message-ID"] = "<first@mua.example.com>"
    message.set_content("Since Monday the VPN drops every hour.")
    message.add_attachment(b"log line 1\nlog line 2\n", maintype="text", subtype="plain",
                           filename="vpn.log")
    return message


def answer_to(mail: EmailMessage, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = MEI
    message["To"] = DESK
    message["Subject"] = "Re: " + str(mail["Subject"])
    message["Message-ID"] = "<answer@mua.example.com>"
    message["In-Reply-To"] = str(mail["Message-ID"])
    message.set_content(body)
    return message


def test_mail_opens_agent_replies_requester_confirms_ticket_closes(
        desk_cli: Cli, server: tuple[int, Path, subprocess.Popen[bytes]], sink: Sink) -> None:
    port, config, _ = server
    cli = desk_cli
    lmtp_send(port, first_mail())
    [ticket] = cli.json("list", "--all")
    assert (ticket["id"], ticket["state"], ticket["data"]["summary"]) == (
        1, "submitted", "VPN drops every hour")
    shown = cli.json("show", "1")
    assert shown["requester"]["email"] == MEI
    assert [a["name"] for a in shown["attachments"]] == ["vpn.log"]

    assert cli("worker", "--once", "--config", str(config))[0] == 0
    [received] = sink.to(MEI)
    assert received["Subject"] == "[#1] Received: VPN drops every hour"
    assert received["In-Reply-To"] == "<first@mua.example.com>"

    agent = {"user": "ann", "password": AGENT}
    assert cli("fire", "1", "receive", **agent)[0] == 0
    publish_with(cli, ADMIN)
    assert cli("fire", "1", "solve_at_desk", "--set", "knowledge_article=KB-1",
               "--set", "resolution=new VPN profile", **agent)[0] == 0
    assert cli("fire", "1", "reply", "--note", "We sent you a new VPN profile.", **agent)[0] == 0
    assert cli("worker", "--once", "--config", str(config))[0] == 0
    reply = sink.to(MEI)[-1]
    assert "We sent you a new VPN profile." in reply.get_content()
    assert reply["Auto-Submitted"] is None

    lmtp_send(port, answer_to(reply, "Confirm - works now.\n\n> We sent you a new VPN "
                                     "profile."))
    shown = cli.json("show", "1")
    assert (shown["state"], shown["open"]) == ("closed", False)
    # An SLA warning may come in between when the machine is slow: the worker runs on the
    # wall clock. The steps people took are what this loop is about.
    steps = [(e["actor"], e["kind"], e["trigger"]) for e in cli.json("history", "1")
             if e["kind"] != "sla"]
    requester = f"requester:{shown['requester']['id']}"
    assert steps == [(requester, "open", None), ("ann", "fire", "receive"),
                     ("ann", "fire", "solve_at_desk"), ("ann", "fire", "reply"),
                     (requester, "event", "comment"), (requester, "fire", "confirm")]
    code, out, err = cli("audit", "verify", user="root", password=ADMIN)
    assert code == 0, out + err
    outcomes = [m["status"] for m in cli.json("mail", "received", user="root",
                                                              password=ADMIN)]
    assert outcomes == ["opened", "confirmed"]
    assert {d["status"] for d in cli.json("outbox", "--mail", user="root", password=ADMIN)
            } == {"sent"}


def test_the_lmtp_server_refuses_strangers_and_oversized_and_quarantines_loops(
        desk_cli: Cli, server: tuple[int, Path, subprocess.Popen[bytes]]) -> None:
    port, _, process = server
    cli = desk_cli
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        lmtp_send(port, first_mail(), recipients=("someone@elsewhere.test",))
    big = first_mail()
    big.add_attachment(b"x" * 30000, maintype="application", subtype="octet-stream",
                       filename="big.bin")
    with pytest.raises(smtplib.SMTPResponseException) as refused:
        lmtp_send(port, big)  # refused at MAIL FROM (SIZE) or at the end of DATA
    assert refused.value.smtp_code == 552
    auto = first_mail()
    auto["Auto-Submitted"] = "auto-replied"
    lmtp_send(port, auto)
    lmtp_send(port, first_mail(), sender="")
    assert cli.json("list", "--all") == []
    reasons = [m["reason"] for m in cli.json("mail", "quarantine", user="root",
                                             password=ADMIN)]
    assert reasons == ["automatic mail (Auto-Submitted: auto-replied, RFC 3834)",
                       "a null return path (a bounce or an automatic reply)"]
    code, out, _ = cli("mail", "quarantine", user="root", password=ADMIN)
    assert code == 0 and "Auto-Submitted" in out
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0


def test_two_workers_at_once_send_every_mail_exactly_once(
        desk_cli: Cli, shared_store_url: str, sink: Sink, tmp_path: Path) -> None:
    config = write_config(tmp_path / "desk.toml", sink.port)
    agent = {"user": "ann", "password": AGENT}
    for number in range(12):
        code, _, err = desk_cli("open", "service_desk", "--set", f"summary=case {number}",
                                "--requester", f"person{number}@example.com", **agent)
        assert code == 0, err
    env = {**os.environ, "TICKETFLOW_DB": shared_store_url, "TICKETFLOW_CONFIG": str(config)}
    workers = [subprocess.Popen(
        [sys.executable, "-c", "from tui.cli import main; main()", "worker", "--once",
         "--name", f"w{n}", "--batch", "3"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE) for n in range(2)]
    for worker in workers:
        _, failure = worker.communicate(timeout=120)
        assert worker.returncode == 0, failure.decode()
    recipients = sorted(str(m["To"]) for m in sink.messages)
    assert recipients == sorted(f"person{n}@example.com" for n in range(12))
    deliveries = desk_cli.json("outbox", "--mail", user="root", password=ADMIN)
    assert len(deliveries) == 12 and {d["status"] for d in deliveries} == {"sent"}
    assert {d["attempts"] for d in deliveries} == {1}


def link_in(mail: EmailMessage, base: str) -> str:
    """The requester's link in a mail, on the test's server instead of the desk's name."""
    found = re.search(r"https://desk\.test(/r/\S+)", mail.get_content())
    assert found, mail.get_content()
    return base + found.group(1)


def test_the_requester_answers_by_the_link_in_the_mail(
        desk_cli: Cli, server: tuple[int, Path, subprocess.Popen[bytes]], sink: Sink,
        shared_store_url: str, tmp_path: Path) -> None:
    port, config, _ = server
    cli = desk_cli
    assert cli("users", "add", "hal", "--role", "agent", "--post", "handling_group",
               "--password-stdin", user="root", password=ADMIN, stdin=AGENT + "\n")[0] == 0
    ann, hal = {"user": "ann", "password": AGENT}, {"user": "hal", "password": AGENT}
    lmtp_send(port, first_mail())
    assert cli("fire", "1", "receive", **ann)[0] == 0
    publish_with(cli, ADMIN)
    assert cli("fire", "1", "solve_at_desk", "--set", "knowledge_article=KB-1",
               "--set", "resolution=new VPN profile", **ann)[0] == 0
    assert cli("fire", "1", "reply", "--note", "We sent you a new VPN profile.", **ann)[0] == 0
    assert cli("worker", "--once", "--config", str(config))[0] == 0
    web = start_server(shared_store_url, tmp_path / "serve.log", "--config", str(config),
                       "--no-worker")
    try:
        with httpx.Client(timeout=30) as browser:
            link = link_in(sink.to(MEI)[-1], web.base)
            page = browser.get(link)
            assert "We sent you a new VPN profile." in page.text
            not_solved = browser.post(f"{link}/reopen", follow_redirects=True)
            assert not_solved.status_code == 200 and "Being handled" in not_solved.text
            assert cli("fire", "1", "finish", "--set", "resolution=VPN server patched",
                       **hal)[0] == 0
            assert cli("fire", "1", "reply", "--note", "We patched the VPN server.",
                       **ann)[0] == 0
            assert cli("worker", "--once", "--config", str(config))[0] == 0
            second = sink.to(MEI)[-1]
            assert "We patched the VPN server." in second.get_content()
            confirmed = browser.post(f"{link_in(second, web.base)}/confirm",
                                     follow_redirects=True)
            assert confirmed.status_code == 200 and "Closed (finished)" in confirmed.text
    finally:
        web.stop()
    shown = cli.json("show", "1")
    requester = f"requester:{shown['requester']['id']}"
    steps = [(e["actor"], e["trigger"]) for e in cli.json("history", "1") if e["kind"] != "sla"]
    assert steps[-4:] == [(requester, "reopen"), ("hal", "finish"), ("ann", "reply"),
                          (requester, "confirm")]
    code, out, err = cli("audit", "verify", user="root", password=ADMIN)
    assert code == 0, out + err
