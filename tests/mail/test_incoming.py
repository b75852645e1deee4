"""Mail in: new mail opens a ticket for its sender, replies comment or confirm, and every
kind of mail that must not be answered is quarantined with its reason, never a ticket."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage

import pytest

from engine.core.model import TicketQuery
from engine.desk.requesters import Requesters
from engine.mail.incoming import Incoming
from tests.articles import publish_articles
from tests.desk.conftest import DeskWorld
from tests.mail.conftest import DESK, mail_settings

PDF = b"%PDF-1.4 a small file\x00\x01"


def letter(subject: str = "Printer on floor 3 jams", body: str = "It jams on every page.",
           sender: str = "Mei Lin <mei@example.com>", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = DESK
    message["Subject"] = subject
    digest = hashlib.sha256((subject + body).encode()).hexdigest()[:16]
    message["Message-ID"] = headers.pop("message_id", f"<{digest}@mua.test>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def take(world: DeskWorld, message: EmailMessage | bytes, mail_from: str | None = "mei@example.com",
         **settings: object):
    raw = message if isinstance(message, bytes) else message.as_bytes()
    return Incoming(world.desk, mail_settings(25, **settings)).take(raw, mail_from)


def tickets(world: DeskWorld) -> list[int]:
    return [t.id for t in world.desk.tickets(TicketQuery(is_open=None))]


def test_a_new_mail_opens_a_ticket_for_its_sender_with_its_attachments(
        world: DeskWorld) -> None:
    message = letter()
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="error.pdf")
    message.add_attachment(b"x" * 2000, maintype="application", subtype="octet-stream",
                           filename="huge.bin")
    inbound = take(world, message, max_attachment=1000)
    assert (inbound.status, inbound.ticket_id) == ("opened", 1)
    ticket = world.desk.ticket(1)
    assert ticket.data["summary"] == "Printer on floor 3 jams"
    assert ticket.data["description"] == "It jams on every page."
    mei = Requesters(world.desk).of_ticket(1)
    assert mei is not None and (mei.name, mei.email) == ("Mei Lin", "mei@example.com")
    [opening] = world.desk.history(1)
    assert opening.actor == f"requester:{mei.id}"
    digest = hashlib.sha256(PDF).hexdigest()
    assert opening.details["attachments"] == [
        {"filename": "error.pdf", "content_type": "application/pdf", "size": len(PDF),
         "hash": digest}]
    assert opening.details["attachments_not_kept"] == [{"name": "huge.bin", "size": 2000}]
    assert world.desk.store.attachment(digest) == PDF


def test_replies_comment_by_thread_or_subject_and_a_confirming_reply_confirms(
        world: DeskWorld) -> None:
    take(world, letter())
    ann = world.people["ann"]
    by_thread = letter(subject="Re: something", body="Still jams.\n\n> It jams on every page.",
                       In_Reply_To="<t1.j1.received.0123456789@desk.test>")
    assert take(world, by_thread).status == "comment"
    assert take(world, letter(subject="Re: [#1] jam", body="Also on floor 4.")).status == \
        "comment"
    notes = [(e.trigger, e.note) for e in world.desk.history(1)][1:]
    assert notes == [("comment", "Still jams."), ("comment", "Also on floor 4.")]
    world.desk.fire(1, "receive", ann)
    publish_articles(world.desk.store)
    world.desk.fire(1, "solve_at_desk", ann, data={"knowledge_article": "KB-1",
                                                    "resolution": "new toner"})
    world.desk.fire(1, "reply", ann, note="New toner fitted.")
    inbound = take(world, letter(subject="Re: [#1] Printer", body="Confirmed, thanks!\n"))
    assert (inbound.status, world.desk.ticket(1).state) == ("confirmed", "closed")
    mei = Requesters(world.desk).of_ticket(1)
    assert mei is not None
    assert [e.actor for e in world.desk.history(1)][-2:] == [f"requester:{mei.id}"] * 2


def test_a_reply_from_someone_else_is_quarantined(world: DeskWorld) -> None:
    take(world, letter())
    inbound = take(world, letter(subject="Re: [#1]", sender="eve@example.com"),
                   mail_from="eve@example.com")
    assert inbound.status == "quarantined"
    assert inbound.reason == "refers to ticket 1, but eve@example.com is not its requester"
    assert len(world.desk.history(1)) == 1


@pytest.mark.parametrize("headers, mail_from, reason", [
    ({"Auto_Submitted": "auto-replied"}, "mei@example.com",
     "automatic mail (Auto-Submitted: auto-replied, RFC 3834)"),
    ({"X_Autoreply": "yes"}, "mei@example.com", "an automatic reply (X-Autoreply)"),
    ({"X_Autorespond": "yes"}, "mei@example.com", "an automatic reply (X-Autorespond)"),
    ({"Precedence": "bulk"}, "mei@example.com", "bulk or automatic mail (Precedence: bulk)"),
    ({"Precedence": "list"}, "mei@example.com", "bulk or automatic mail (Precedence: list)"),
    ({"Precedence": "auto_reply"}, "mei@example.com",
     "bulk or automatic mail (Precedence: auto_reply)"),
    ({}, "", "a null return path (a bounce or an automatic reply)"),
    ({}, "<>", "a null return path (a bounce or an automatic reply)"),
], ids=["auto-submitted", "x-autoreply", "x-autorespond", "bulk", "list", "auto_reply",
        "empty-return-path", "null-return-path"])
def test_automatic_mail_is_quarantined(world: DeskWorld, headers: dict[str, str],
                                       mail_from: str, reason: str) -> None:
    inbound = take(world, letter(**headers), mail_from=mail_from)
    assert (inbound.status, inbound.reason, inbound.ticket_id) == ("quarantined", reason, None)
    assert tickets(world) == []
    assert world.desk.store.inbound_mail(status="quarantined")[0].raw is not None


def bounce() -> bytes:
    message = EmailMessage()
    message["From"] = "MAILER-DAEMON@mx.example.com"
    message["To"] = DESK
    message["Subject"] = "Undelivered Mail Returned to Sender"
    message.set_content("The mail could not be delivered.")
    message.add_attachment("Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; "
                           "x@example.com\nAction: failed\nStatus: 5.1.1\n",
                           subtype="delivery-status")
    raw = message.as_bytes().replace(b"multipart/mixed",
                                     b"multipart/report; report-type=delivery-status")
    return raw


@pytest.mark.parametrize("raw, reason", [
    (bounce(), "a bounce or delivery report (multipart/report, RFC 3464)"),
    (letter(sender="Desk <desk@desk.test>").as_bytes(),
     "from the desk's own address desk@desk.test (a loop)"),
    (letter(sender="noreply@DESK.test").as_bytes(),
     "from the desk's own address noreply@desk.test (a loop)"),
    (b"Subject: no sender\r\n\r\nhello\r\n", "malformed: no single valid From address"),
    (b"From: a@b.test, c@d.test\r\n\r\nhello\r\n", "malformed: no single valid From address"),
    (b"\xff\xfe\x00garbage without headers", "malformed: no single valid From address"),
    (letter(body="x" * 3000).as_bytes(), "oversized"),
], ids=["bounce", "desk-address", "own-address", "no-from", "two-froms", "garbage",
        "oversized"])
def test_bounces_loops_malformed_and_oversized_mail_are_quarantined(
        world: DeskWorld, raw: bytes, reason: str) -> None:
    inbound = take(world, raw, mail_from="someone@example.com", max_size=2000)
    assert inbound.status == "quarantined"
    assert (inbound.reason or "").startswith(reason)
    assert tickets(world) == []


def test_a_sender_over_the_rate_limit_is_quarantined(world: DeskWorld) -> None:
    outcomes = [take(world, letter(subject=f"loop {n}"), rate_limit=3).status
                for n in range(5)]
    assert outcomes == ["opened"] * 3 + ["quarantined"] * 2
    reason = world.desk.store.inbound_mail(status="quarantined")[0].reason
    assert reason == "rate limit: 3 mails from mei@example.com within PT1H (the limit is 3)"
    assert len(tickets(world)) == 3


def test_the_same_message_twice_is_taken_in_once(world: DeskWorld) -> None:
    message = letter(message_id="<same@mua.test>")
    assert take(world, message).status == "opened"
    again = take(world, message)
    assert (again.status, again.ticket_id) == ("duplicate", 1)
    assert tickets(world) == [1]


def test_html_only_mail_and_odd_charsets_become_text(world: DeskWorld) -> None:
    message = EmailMessage()
    message["From"] = "lee@example.com"
    message["Subject"] = "=?utf-8?b?5omT5Y2w5py65Z2P5LqG?="
    message.set_content("<p>The &amp; printer <b>is</b> broken</p>", subtype="html")
    inbound = take(world, message, mail_from="lee@example.com")
    ticket = world.desk.ticket(inbound.ticket_id or 0)
    assert ticket.data["summary"] == "打印机坏了"
    assert " ".join(ticket.data["description"].split()) == "The & printer is broken"
