"""Mail out: what to tell whom, planned once from the journal and the outbox, and sent with
retries.

Planning reads the journal and the outbox after a cursor and turns each row into deliveries
(one per message and address), committing them with the moved cursor in one transaction, so
every row is planned once even with several workers. Sending claims due deliveries, hands
each to the :class:`Sender` and records the outcome while holding the claim: sent, retried
later with a doubling wait on a temporary failure, or failed after ``max_attempts``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any, Protocol

from engine.core.errors import NotFound, TicketflowError
from engine.core.journal import Event
from engine.core.model import Delivery, Notification, Requester, Ticket
from engine.desk.desk import Desk
from engine.desk.links import LinkSigner
from engine.desk.requesters import Requesters
from engine.mail.letters import Letters
from engine.mail.settings import MailSettings

JOURNAL, OUTBOX = "journal", "outbox"
BATCH = 200
PERSONAL = ("reply",)
"""Kinds written by a person (an agent's reply): sent without ``Auto-Submitted``."""


class SendFailed(TicketflowError):
    """The server did not take a message; ``temporary`` says whether to try again."""

    title = "Mail not sent"

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


class Sender(Protocol):
    """Hands a message to a mail server (the ``mail`` package's SMTP sender)."""

    def send(self, message: EmailMessage) -> None:
        """Send it, or raise :class:`SendFailed`."""
        ...


@dataclass
class Outgoing:
    """Plans and sends the desk's mail."""

    desk: Desk
    settings: MailSettings
    worker: str
    lease: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        self.letters = Letters(self.settings.templates)
        self.requesters = Requesters(self.desk)
        secret = self.settings.secret()
        self.signer = LinkSigner(secret) if secret and self.settings.base_url else None

    # -- planning ----------------------------------------------------------------------

    def plan(self) -> int:
        """Plan deliveries from the journal and the outbox; how many rows were read."""
        return self._plan_journal() + self._plan_outbox()

    def _plan_journal(self) -> int:
        start = self.desk.store.mail_cursor(JOURNAL)
        rows = self.desk.store.journal_after(start, BATCH)
        if not rows:
            return 0
        planned = [d for row_id, event in rows for d in self._from_event(row_id, event)]
        self.desk.store.queue_mail(JOURNAL, start, rows[-1][0], planned)
        return len(rows)

    def _plan_outbox(self) -> int:
        start = self.desk.store.mail_cursor(OUTBOX)
        notes = self.desk.store.notifications(None, after=start, limit=BATCH)
        if not notes:
            return 0
        planned = [d for note in notes for d in self._from_notification(note)]
        self.desk.store.queue_mail(OUTBOX, start, notes[-1].id or start, planned)
        return len(notes)

    def _from_event(self, row_id: int, event: Event) -> list[Delivery]:
        """The deliveries one journal event causes (most cause none; those read nothing
        more than the compiled process and the ticket's requester link)."""
        compiled = self.desk.compiled(event.digest)
        transition = (compiled.transition_for(event.source or "", event.trigger or "")
                      if event.kind in ("fire", "timer") else None)
        result = []
        escalation = compiled.spec.escalation
        if escalation and transition and event.trigger == escalation.trigger:
            result += self._escalation(row_id, event, self.desk.ticket(event.ticket_id))
        confirmable = any(t.requester == "confirm"
                          for t in compiled.transitions_from(event.dest or ""))
        if event.kind == "open":
            kind = "received"
        elif transition is not None and transition.requester == "reply":
            kind = "reply"
        elif transition is not None and event.dest != event.source and confirmable:
            kind = "confirm"
        else:
            return result
        requester = self.requesters.of_ticket(event.ticket_id)
        if requester is None:
            return result
        values = {"note": event.note, "confirmable": confirmable,
                  "actor": self._actor_name(event.actor)}
        ticket = self.desk.ticket(event.ticket_id)
        return [*result, self._to_requester(kind, row_id, event, ticket, requester, values)]

    def _to_requester(self, kind: str, row_id: int, event: Event, ticket: Ticket,
                      requester: Requester, values: dict[str, Any]) -> Delivery:
        link = None
        if self.signer is not None and requester.id is not None:
            token = self.requesters.link_token(self.signer, ticket.id, requester.id,
                                               timedelta(days=self.settings.link_days))
            link = f"{(self.settings.base_url or '').rstrip('/')}/r/{token}"
        values = {**values, "requester": requester, "link": link}
        return self._delivery(kind, JOURNAL, row_id, ticket, requester.email, values,
                              in_reply_to=self._thread(ticket))

    def _escalation(self, row_id: int, event: Event, ticket: Ticket) -> list[Delivery]:
        post = (event.changes.get("_post") or [None, ticket.post])[1]
        address = self.settings.posts.get(post or "")
        if not address:
            return []
        return [self._delivery("escalation", JOURNAL, row_id, ticket, address,
                               {"post": post, "note": event.note})]

    def _from_notification(self, note: Notification) -> list[Delivery]:
        try:
            ticket = self.desk.ticket(note.ticket_id)
        except NotFound:
            return []
        addresses = [self.settings.posts.get(note.post),
                     self.settings.accounts.get(ticket.assignee or "")]
        values = {"notification": note, "post": note.post}
        return [self._delivery(note.kind, OUTBOX, note.id or 0, ticket, address, values)
                for address in dict.fromkeys(a for a in addresses if a)]

    def _delivery(self, kind: str, source: str, source_id: int, ticket: Ticket,
                  recipient: str, values: dict[str, Any], *, in_reply_to: str | None = None
                  ) -> Delivery:
        now = self.desk.clock.now()
        desk = {"name": self.settings.name, "address": self.settings.address}
        letter = self.letters.render(kind, {"ticket": ticket, "desk": desk, **values})
        tag = f"[#{ticket.id}]"
        subject = letter.subject if tag in letter.subject else f"{tag} {letter.subject}"
        return Delivery(kind=kind, recipient=recipient, subject=subject, body=letter.body,
                        message_id=self._message_id(ticket.id, source, source_id, kind,
                                                    recipient),
                        source=source, source_id=source_id, ticket_id=ticket.id,
                        in_reply_to=in_reply_to or self.thread_root(ticket.id),
                        automatic=kind not in PERSONAL, next_attempt_at=now, created_at=now)

    def _message_id(self, ticket_id: int, source: str, source_id: int, kind: str,
                    recipient: str) -> str:
        mark = hashlib.sha256(recipient.lower().encode("utf-8")).hexdigest()[:10]
        return f"t{ticket_id}.{source[0]}{source_id}.{kind}.{mark}@{self.settings.message_domain}"

    def thread_root(self, ticket_id: int) -> str:
        """The Message-ID every mail of a ticket refers to (its thread)."""
        return f"t{ticket_id}@{self.settings.message_domain}"

    def _thread(self, ticket: Ticket) -> str:
        """The requester's first mail when the ticket came by mail, else the ticket's root."""
        first = self.desk.history(ticket.id)[0]
        found = first.details.get("message_id")
        return str(found) if found else self.thread_root(ticket.id)

    def _actor_name(self, actor: str) -> str:
        try:
            return self.desk.store.get_account(actor).display_name
        except NotFound:
            return self.settings.name

    # -- sending -----------------------------------------------------------------------

    def send_due(self, sender: Sender, *, limit: int = 50) -> int:
        """Claim due deliveries and attempt each once; how many were attempted."""
        now = self.desk.clock.now()
        claimed = self.desk.store.claim_deliveries(now, limit, worker=self.worker,
                                                   lease=self.lease)
        for delivery in claimed:
            self.desk.store.finish_delivery(self._attempt(sender, delivery),
                                            worker=self.worker)
        return len(claimed)

    def pass_once(self, sender: Sender) -> int:
        """Plan, then send what is due: how much was done (0: nothing to do)."""
        return self.plan() + self.send_due(sender)

    def _attempt(self, sender: Sender, delivery: Delivery) -> Delivery:
        attempts = delivery.attempts + 1
        try:
            sender.send(self.message(delivery))
        except SendFailed as exc:
            now = self.desk.clock.now()
            if exc.temporary and attempts < self.settings.max_attempts:
                return replace(delivery, attempts=attempts, last_error=str(exc)[:2000],
                               next_attempt_at=now + self.backoff(attempts))
            return replace(delivery, attempts=attempts, status="failed",
                           last_error=str(exc)[:2000])
        return replace(delivery, attempts=attempts, status="sent",
                       sent_at=self.desk.clock.now(), last_error=None)

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the n-th failed attempt: doubling from retry_after, capped."""
        first = self.settings.duration("retry_after")
        wait: timedelta = first * 2 ** max(attempts - 1, 0)
        return min(wait, self.settings.duration("retry_ceiling"))

    def message(self, delivery: Delivery) -> EmailMessage:
        """The mail of a delivery, with its threading and loop-prevention headers."""
        message = EmailMessage()
        message["From"] = formataddr((self.settings.name, self.settings.address))
        message["To"] = delivery.recipient
        message["Subject"] = delivery.subject
        message["Date"] = format_datetime(delivery.created_at or self.desk.clock.now())
        message["Message-ID"] = f"<{delivery.message_id}>"
        if delivery.in_reply_to:
            message["In-Reply-To"] = f"<{delivery.in_reply_to}>"
            message["References"] = " ".join(f"<{ref}>" for ref in dict.fromkeys(
                [self.thread_root(delivery.ticket_id or 0), delivery.in_reply_to]))
        if delivery.automatic:
            message["Auto-Submitted"] = "auto-generated"
        message["X-Ticketflow-Ticket"] = str(delivery.ticket_id or "")
        message.set_content(delivery.body)
        return message

