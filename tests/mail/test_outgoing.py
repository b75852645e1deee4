"""Mail out through a real SMTP server on 127.0.0.1: what requesters, posts and agents get,
threading and loop-prevention headers, sending once, retries with backoff, failures."""

from __future__ import annotations

import re
import ssl
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from engine.desk.links import LinkSigner
from engine.desk.requesters import Requesters
from engine.mail.outgoing import Outgoing
from mail.smtp import SmtpSender
from tests.articles import publish_articles
from tests.desk.conftest import DeskWorld
from tests.mail.conftest import SECRET, Sink, SinkHandler, free_port, mail_settings

MEI = "mei@example.com"


def deliver(world: DeskWorld, outgoing: Outgoing, sink_port: int | None = None) -> int:
    sender = SmtpSender(outgoing.settings)
    done = total = outgoing.pass_once(sender)
    while done:
        done = outgoing.pass_once(sender)
        total += done
    return total


def link_token(body: str) -> str:
    found = re.search(r"https://desk\.test/r/(\S+)", body)
    assert found, body
    return found.group(1)


def test_a_requester_gets_received_reply_and_confirm_once_threaded(
        world: DeskWorld, sink: Sink) -> None:
    outgoing = Outgoing(world.desk, mail_settings(sink.port), "w1")
    people = Requesters(world.desk)
    ann = world.people["ann"]
    ticket = people.open_for("service_desk", MEI, ann, {"summary": "printer jams"})
    deliver(world, outgoing)
    [received] = sink.to(MEI)
    assert received["Subject"] == f"[#{ticket.id}] Received: printer jams"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["In-Reply-To"] == f"<t{ticket.id}@desk.test>"
    assert re.fullmatch(rf"<t{ticket.id}\.j\d+\.received\.[0-9a-f]{{10}}@desk\.test>",
                        received["Message-ID"])
    token = link_token(received.get_content())
    assert people.follow(LinkSigner(SECRET.encode()), token)[0].id == ticket.id

    world.desk.fire(ticket.id, "receive", ann)
    publish_articles(world.desk.store, 7)
    world.desk.fire(ticket.id, "solve_at_desk", ann,
                    data={"knowledge_article": "KB-7", "resolution": "cleaned the rollers"})
    world.desk.fire(ticket.id, "reply", ann, note="We cleaned the rollers; try again.")
    deliver(world, outgoing)
    assert deliver(world, outgoing) == 0  # nothing is planned or sent twice
    reply = sink.to(MEI)[-1]
    assert len(sink.to(MEI)) == 2
    assert reply["Auto-Submitted"] is None  # an agent's personal reply
    assert reply["Subject"].startswith(f"[#{ticket.id}]")
    body = reply.get_content()
    assert "We cleaned the rollers; try again." in body and '"confirm"' in body
    assert "https://desk.test/r/" in body
    statuses = {(d.kind, d.status, d.attempts) for d in world.desk.store.deliveries()}
    assert statuses == {("received", "sent", 1), ("reply", "sent", 1)}


def test_a_change_notice_step_then_asks_the_requester_to_confirm(
        world: DeskWorld, sink: Sink) -> None:
    outgoing = Outgoing(world.desk, mail_settings(sink.port), "w1")
    people = Requesters(world.desk)
    ann, hal = world.people["ann"], world.people["hal"]
    ticket = people.open_for("service_desk", MEI, ann, {"summary": "new port"})
    world.desk.fire(ticket.id, "receive", ann)
    world.desk.fire(ticket.id, "dispatch", ann, data={"assigned_group": "hardware_platform"})
    world.desk.fire(ticket.id, "accept", hal)
    world.desk.fire(ticket.id, "finish", hal, data={"resolution": "patched",
                                                    "change_needed": "true"})
    world.desk.fire(ticket.id, "reply", ann, note="Patched; a change notice follows.")
    world.desk.fire(ticket.id, "file_change_notice", hal, data={"change_notice": "CN-1"})
    deliver(world, outgoing)
    kinds = [d.kind for d in world.desk.store.deliveries()]
    assert kinds == ["received", "reply", "confirm"]
    assert sink.to(MEI)[-1]["Subject"] == f"[#{ticket.id}] Please confirm: new port"
    assert "confirm" not in sink.to(MEI)[1].get_content().lower().split("\n")[0]


def test_sla_warnings_and_breaches_go_to_the_post_and_the_assignee(
        world: DeskWorld, sink: Sink) -> None:
    outgoing = Outgoing(world.desk, mail_settings(sink.port), "w1")
    ann = world.people["ann"]
    ticket = world.desk.open("service_desk", ann, {"summary": "slow network"})
    world.desk.fire(ticket.id, "receive", ann)  # received: 15 minutes, held by ann
    world.clock.advance(timedelta(minutes=13))  # the warning, fired on time
    world.desk.fire_due()
    world.clock.advance(timedelta(minutes=3))  # then the breach
    world.desk.fire_due()
    deliver(world, outgoing)
    got = sorted((str(m["To"]), m["Subject"].split(":")[0]) for m in sink.messages)
    assert (("ann@desk.test", f"[#{ticket.id}] SLA breached") in got
            and ("team@desk.test", f"[#{ticket.id}] SLA warning") in got)
    assert all(m["Auto-Submitted"] == "auto-generated" for m in sink.messages)
    assert not sink.to("mei@example.com")  # no requester: nothing to tell anyone outside


def test_a_temporary_refusal_is_retried_with_backoff_then_failed(
        world: DeskWorld, sink: Sink) -> None:
    outgoing = Outgoing(world.desk, mail_settings(sink.port), "w1")
    sink.handler.answer = "451 4.3.0 try again later"
    Requesters(world.desk).open_for("service_desk", MEI, world.people["ann"],
                                    {"summary": "x"})
    deliver(world, outgoing)
    [first] = world.desk.store.deliveries()
    assert (first.status, first.attempts, first.next_attempt_at) == (
        "pending", 1, world.clock.now() + timedelta(minutes=1))
    assert "451" in (first.last_error or "")
    world.clock.advance(timedelta(minutes=1))
    deliver(world, outgoing)
    [second] = world.desk.store.deliveries()
    assert (second.attempts, second.next_attempt_at) == (2, world.clock.now() +
                                                         timedelta(minutes=2))
    world.clock.advance(timedelta(minutes=2))
    deliver(world, outgoing)
    [last] = world.desk.store.deliveries()
    assert (last.status, last.attempts) == ("failed", 3)
    assert sink.messages == []


def test_a_permanent_refusal_fails_at_once_and_an_absent_server_is_temporary(
        world: DeskWorld, sink: Sink) -> None:
    sink.handler.answer = "550 5.1.1 no such user"
    outgoing = Outgoing(world.desk, mail_settings(sink.port), "w1")
    Requesters(world.desk).open_for("service_desk", MEI, world.people["ann"],
                                    {"summary": "x"})
    deliver(world, outgoing)
    [refused] = world.desk.store.deliveries()
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert "550" in (refused.last_error or "")
    nowhere = Outgoing(world.desk, mail_settings(free_port()), "w2")
    Requesters(world.desk).open_for("service_desk", "lee@example.com", world.people["ann"],
                                    {"summary": "y"})
    deliver(world, nowhere)
    unreachable = world.desk.store.deliveries()[-1]
    assert (unreachable.status, unreachable.attempts) == ("pending", 1)
    assert "cannot reach 127.0.0.1" in (unreachable.last_error or "")


def test_desk_templates_override_the_built_in_ones(world: DeskWorld, sink: Sink,
                                                   tmp_path: object) -> None:
    from pathlib import Path
    folder = Path(str(tmp_path))
    (folder / "received.txt").write_text(
        "Subject: We got it ({{ ticket.data.summary }})\n\nHello {{ requester.name }}!\n",
        encoding="utf-8")
    outgoing = Outgoing(world.desk, mail_settings(sink.port, templates=str(folder)), "w1")
    ticket = Requesters(world.desk).open_for("service_desk", MEI, world.people["ann"],
                                             {"summary": "vpn"})
    deliver(world, outgoing)
    [mail] = sink.messages
    assert mail["Subject"] == f"[#{ticket.id}] We got it (vpn)"
    assert mail.get_content().strip() == "Hello mei!"


def test_an_escalation_mails_the_post_the_ticket_is_handed_to(
        world: DeskWorld, sink: Sink) -> None:
    settings = mail_settings(sink.port, posts={"response_group": "response@desk.test"})
    outgoing = Outgoing(world.desk, settings, "w1")
    ticket = world.desk.open("fault_escalation", world.people["ann"],
                             {"summary": "Billing batch stuck", "level": 1})
    world.clock.advance(timedelta(hours=1))
    while world.desk.fire_due():
        pass
    assert world.desk.ticket(ticket.id).post == "response_group"
    deliver(world, outgoing)
    subjects = [m["Subject"] for m in sink.to("response@desk.test")]
    assert f"[#{ticket.id}] Escalated to response_group: Billing batch stuck" in subjects


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with openssl)."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                   capture_output=True)
    return key, cert


def logins(server: object, session: object, envelope: object, mechanism: str,
           auth_data: object) -> AuthResult:
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"desk", b"S3cret-pass")
    return AuthResult(success=good)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_and_tls_with_a_login(world: DeskWorld, certificate: tuple[Path, Path],
                                       security: str, monkeypatch: pytest.MonkeyPatch) -> None:
    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    handler, port = SinkHandler(), free_port()
    # aiosmtpd offers AUTH only after its own STARTTLS unless told the link is TLS already
    options: dict[str, Any] = (
        {"tls_context": context, "require_starttls": True} if security == "starttls"
        else {"ssl_context": context, "auth_require_tls": False})
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=logins,
                            auth_required=True, **options)
    controller.start()
    try:
        monkeypatch.setenv("TICKETFLOW_SMTP_PASSWORD", "S3cret-pass")
        settings = mail_settings(port, smtp={"host": "127.0.0.1", "port": port, "timeout": 5,
                                             "security": security, "user": "desk",
                                             "ca_file": str(cert)})
        Requesters(world.desk).open_for("service_desk", MEI, world.people["ann"],
                                        {"summary": "secure"})
        deliver(world, Outgoing(world.desk, settings, "w1"))
        assert [str(m["To"]) for m in handler.messages] == [MEI], world.desk.store.deliveries()
    finally:
        controller.stop()


def test_a_desk_that_upgrades_mails_from_then_on_not_its_past(world: DeskWorld,
                                                              sink: Sink) -> None:
    from alembic import command

    from storage.database import migration_config

    Requesters(world.desk).open_for("service_desk", MEI, world.people["ann"],
                                    {"summary": "before mail"})
    store = world.desk.store
    config = migration_config()
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
        command.upgrade(config, "head")
        connection.commit()
    assert store.mail_cursor("journal") == store.last_change() > 0
    outgoing = Outgoing(world.desk, mail_settings(sink.port), "w1")
    assert deliver(world, outgoing) == 0
    Requesters(world.desk).open_for("service_desk", "lee@example.com", world.people["ann"],
                                    {"summary": "after mail"})
    deliver(world, outgoing)
    assert [str(m["To"]) for m in sink.messages] == ["lee@example.com"]
