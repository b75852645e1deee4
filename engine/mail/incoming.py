"""Mail in: a received message becomes a ticket, a comment or an answer from its requester,
or is quarantined with the reason — never a crash, never a ticket for a machine.

The loop rules come first (a mail desk that answers automatic mail talks to itself): bounces
(RFC 3464 ``multipart/report``), automatic mail (RFC 3834 ``Auto-Submitted`` other than
``no``, ``X-Autoreply``/``X-Autorespond``, ``Precedence: bulk, auto_reply, list, junk``), a
null return path, mail from the desk's own addresses; then malformed and oversized mail, and
a per-sender rate limit that stops any loop that slips through.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from engine.core.errors import NotFound, ServiceError, TicketflowError
from engine.core.model import Attachment, Inbound
from engine.desk.desk import Desk
from engine.desk.requesters import EMAIL, Requesters
from engine.mail.settings import MailSettings
from engine.process.fields import DEFAULT_MAX_LENGTH

AUTOMATIC_PRECEDENCE = ("bulk", "auto_reply", "list", "junk")
CONFIRMING = re.compile(r"^(confirm(ed)?|solved|resolved|yes)\b|^(确认|確認|已解决|已解決)")
"""A first line that confirms (case-insensitive): confirm, confirmed, solved, resolved, yes."""
QUOTE_START = re.compile(r"^(>|On .+wrote:\s*$|-{2,}\s*Original Message\s*-{2,}|"
                         r"From: .+$|在.+写道[:：]\s*$)", re.IGNORECASE)
"""Where the quoted earlier mail of a reply starts."""
TICKET_TAG = re.compile(r"\[#(\d{1,18})\]")
TAGS = re.compile(r"<[^>]*>")


class Refused(TicketflowError):
    """The mail is not taken in; ``reason`` says why (it goes to the quarantine; never
    raised out of :meth:`Incoming.take`)."""

    title = "Mail quarantined"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Received:
    """What the desk reads from a message."""

    sender: str
    name: str
    subject: str
    message_id: str | None
    ticket_id: int | None
    """The ticket it replies to (by our Message-IDs or ``[#123]``), if any."""
    body: str
    files: list[tuple[Attachment, bytes]] = field(default_factory=list)
    too_large: list[dict[str, Any]] = field(default_factory=list)


def loop_reason(message: Message, mail_from: str | None, settings: MailSettings
                ) -> str | None:
    """Why a message must not be answered or ticketed (None: it may)."""
    if message.get_content_type() == "multipart/report":
        return "a bounce or delivery report (multipart/report, RFC 3464)"
    if mail_from is not None and mail_from.strip("<> ") == "":
        return "a null return path (a bounce or an automatic reply)"
    auto = str(message.get("Auto-Submitted", "no")).split(";")[0].strip().lower()
    if auto != "no":
        return f"automatic mail (Auto-Submitted: {auto}, RFC 3834)"
    for name in ("X-Autoreply", "X-Autorespond"):
        if message.get(name) is not None:
            return f"an automatic reply ({name})"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"bulk or automatic mail (Precedence: {precedence})"
    return None


def read_message(raw: bytes) -> EmailMessage:
    """Parse a message; Refused when it cannot be read at all."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser's errors are not one class
        raise Refused(f"malformed: {exc}") from None
    assert isinstance(message, EmailMessage)
    return message


def sender_of(message: EmailMessage) -> tuple[str, str]:
    """The (name, address) of the From header; Refused when there is no usable one."""
    try:
        found = getaddresses([str(message.get("From", ""))])
    except Exception:
        found = []
    pairs = [(name, address) for name, address in found if address]
    if len(pairs) != 1 or not EMAIL.match(pairs[0][1]) or len(pairs[0][1]) > 254:
        raise Refused("malformed: no single valid From address")
    return pairs[0][0].strip()[:200], pairs[0][1].lower()


def body_of(message: EmailMessage) -> str:
    """The text of a message (plain preferred, HTML reduced to text), without NULs."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except Exception as exc:  # an unknown charset or a broken transfer encoding
        raise Refused(f"malformed body: {exc}") from None
    if not isinstance(text, str):
        return ""
    if part.get_content_type() == "text/html":
        text = html.unescape(TAGS.sub(" ", text))
    return text.replace("\x00", "").replace("\r\n", "\n").strip()


def reply_text(body: str) -> str:
    """A reply without the quoted mail below it."""
    lines = []
    for line in body.splitlines():
        if QUOTE_START.match(line.strip()):
            break
        lines.append(line)
    return "\n".join(lines).strip() or body


def confirms(text: str) -> bool:
    """Whether a reply's first line confirms that the problem is solved."""
    first = next((line.strip().lower() for line in text.splitlines() if line.strip()), "")
    return bool(CONFIRMING.match(first))


def ticket_reference(message: EmailMessage, domain: str) -> int | None:
    """The ticket a reply is about: from our Message-IDs it refers to, else ``[#123]``."""
    for name in ("In-Reply-To", "References"):
        for reference in re.findall(r"<([^<>]+)>", str(message.get(name, ""))):
            local, _, right = reference.rpartition("@")
            found = re.match(r"t(\d{1,18})(\.|$)", local)
            if found and right.lower() == domain.lower():
                return int(found.group(1))
    tag = TICKET_TAG.search(str(message.get("Subject", "")))
    return int(tag.group(1)) if tag else None


def files_of(message: EmailMessage, largest: int
             ) -> tuple[list[tuple[Attachment, bytes]], list[dict[str, Any]]]:
    """The attached files (kept) and those too large to keep (listed)."""
    kept, skipped = [], []
    for part in message.walk():
        name = part.get_filename()
        if part.is_multipart() or not name:
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            continue
        name = name.replace("\x00", "")[:255]
        if len(content) > largest:
            skipped.append({"name": name, "size": len(content)})
            continue
        digest = hashlib.sha256(content).hexdigest()
        kept.append((Attachment(name, part.get_content_type(), len(content), digest), content))
    return kept, skipped


class Incoming:
    """Takes received mail in for a desk."""

    def __init__(self, desk: Desk, settings: MailSettings) -> None:
        self.desk = desk
        self.settings = settings
        self.requesters = Requesters(desk)

    def take(self, raw: bytes, mail_from: str | None = None) -> Inbound:
        """Take one message in; the record of what became of it (already saved).

        Refusals of every kind end in the quarantine with their reason. Errors of the
        database are raised (the mail server keeps the mail and tries again).
        """
        now = self.desk.clock.now()
        record = Inbound(received_at=now, sender=(mail_from or "").strip("<>")[:254],
                         message_id=None, subject="", size=len(raw), status="quarantined")
        try:
            received = self._read(raw, mail_from)
            record = Inbound(received_at=now, sender=received.sender,
                             message_id=received.message_id, subject=received.subject[:2000],
                             size=len(raw), status="quarantined")
            record = self._act(received, record)
        except Refused as exc:
            record = Inbound(**{**vars(record), "reason": exc.reason, "raw": raw,
                                "status": "quarantined"})
        return self.desk.store.save_inbound(record)

    def _read(self, raw: bytes, mail_from: str | None) -> Received:
        if len(raw) > self.settings.max_size:
            raise Refused(f"oversized: {len(raw)} bytes (the limit is "
                          f"{self.settings.max_size})")
        message = read_message(raw)
        reason = loop_reason(message, mail_from, self.settings)
        if reason:
            raise Refused(reason)
        name, sender = sender_of(message)
        if sender in self.settings.desk_addresses:
            raise Refused(f"from the desk's own address {sender} (a loop)")
        try:
            subject = " ".join(str(message.get("Subject", "")).split()).replace("\x00", "")
            message_id = str(message.get("Message-ID", "")).strip().strip("<>")[:255] or None
        except Exception as exc:
            raise Refused(f"malformed header: {exc}") from None
        files, too_large = files_of(message, self.settings.max_attachment)
        return Received(sender=sender, name=name, subject=subject, message_id=message_id,
                        ticket_id=ticket_reference(message, self.settings.message_domain),
                        body=body_of(message), files=files, too_large=too_large)

    def _act(self, received: Received, record: Inbound) -> Inbound:
        window = self.settings.duration("rate_window")
        count = self.desk.store.count_inbound(received.sender, record.received_at - window)
        if count >= self.settings.rate_limit:
            raise Refused(f"rate limit: {count} mails from {received.sender} within "
                          f"{self.settings.rate_window} (the limit is {self.settings.rate_limit})")
        if received.message_id:
            seen = self.desk.store.seen_message(received.message_id)
            if seen is not None:
                return _with(record, status="duplicate", ticket_id=seen.ticket_id,
                             reason=f"already taken in (mail {seen.id})")
        return self._ticket_step(received, record)

    def _ticket_step(self, received: Received, record: Inbound) -> Inbound:
        try:
            if received.ticket_id is None:
                return self._open(received, record)
            return self._reply(received.ticket_id, received, record)
        except ServiceError as exc:
            raise Refused(f"refused by the desk: {exc}") from None

    def _open(self, received: Received, record: Inbound) -> Inbound:
        requester = self.requesters.find_or_add(received.sender, received.name or None)
        ticket = self.requesters.open_as(self.settings.process, requester,
                                         self._opening_data(received),
                                         details=self._details(received))
        return _with(record, status="opened", ticket_id=ticket.id,
                     reason=f"opened ticket {ticket.id}")

    def _reply(self, ticket_id: int, received: Received, record: Inbound) -> Inbound:
        try:
            owner = self.requesters.of_ticket(ticket_id)
        except NotFound:
            owner = None
        if owner is None or owner.email != received.sender:
            raise Refused(f"refers to ticket {ticket_id}, but {received.sender} is not its "
                          "requester")
        text = reply_text(received.body)[:DEFAULT_MAX_LENGTH] or "(an empty reply)"
        ticket = self.requesters.comment(ticket_id, owner, text, self._details(received))
        if confirms(text) and self.requesters.answer_step(ticket, solved=True):
            self.requesters.answer(ticket_id, owner, solved=True, note="confirmed by mail")
            return _with(record, status="confirmed", ticket_id=ticket_id,
                         reason=f"confirmed ticket {ticket_id}")
        return _with(record, status="comment", ticket_id=ticket_id,
                     reason=f"comment on ticket {ticket_id}")

    def _opening_data(self, received: Received) -> dict[str, Any]:
        fields = self.desk.current(self.settings.process).spec.fields
        wanted = {"summary": received.subject or "(no subject)",
                  "description": received.body or None,
                  "customer": f"{received.name} <{received.sender}>" if received.name
                  else received.sender}
        data = {}
        for name, value in wanted.items():
            spec = fields.get(name)
            if spec is None or spec.type != "text" or value is None:
                continue
            data[name] = value[:spec.max_length or DEFAULT_MAX_LENGTH]
        return data

    def _details(self, received: Received) -> dict[str, Any]:
        """What the journal keeps of a mail: its Message-ID and its files (by hash)."""
        for attachment, content in received.files:
            self.desk.store.save_attachment(attachment.hash, content)
        details: dict[str, Any] = {"via": "mail"}
        if received.message_id:
            details["message_id"] = received.message_id
        if received.files:
            details["attachments"] = [vars(a) for a, _ in received.files]
        if received.too_large:
            details["attachments_not_kept"] = received.too_large
        return details


def _with(record: Inbound, **values: Any) -> Inbound:
    return Inbound(**{**vars(record), **values})
