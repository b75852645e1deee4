"""Receiving mail over LMTP (or SMTP) with aiosmtpd, for a mail server to hand mail to.

Only the desk's addresses are accepted as recipients. A message is taken in (a ticket, a
comment, an answer, or the quarantine) before the server answers 250, so a mail the server
acknowledged is never lost; when the database cannot be reached the answer is 451 and the
mail server keeps the mail and tries again. Mail larger than the limit is refused with 552
while it is read. Database work runs on one thread, one message at a time.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from engine.core.model import Inbound
from engine.mail.settings import MailSettings

Take = Callable[[bytes, str | None], Inbound]
"""Takes one message in (``engine.mail.incoming.Incoming.take``)."""


@dataclass
class DeskHandler:
    """aiosmtpd's handler: recipients checked, each message taken in on the desk's thread."""

    take: Take
    settings: MailSettings
    transient: tuple[type[BaseException], ...]
    """Errors that mean "the database is unavailable now": answer 451."""
    report: Callable[[str], None] = field(default=lambda line: print(line, file=sys.stderr))
    lmtp: bool = True
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail"))

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address.lower() not in self.settings.desk_addresses:
            return f"550 5.1.1 <{address}>: not an address of this desk"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        status = await asyncio.get_running_loop().run_in_executor(
            self.executor, self._take, raw, envelope.mail_from)
        # LMTP answers once per recipient; the desk takes the message in once for all
        count = len(envelope.rcpt_tos) if self.lmtp else 1
        return "\r\n".join([status] * max(count, 1))

    def _take(self, raw: bytes, mail_from: str | None) -> str:
        try:
            inbound = self.take(raw, mail_from)
        except self.transient as exc:
            self.report(f"mail from {mail_from}: database unavailable ({exc}); 451")
            return "451 4.3.0 the desk's database is unavailable; try again later"
        except Exception as exc:  # never a crash: the mail server keeps it and retries
            self.report(f"mail from {mail_from}: not taken in ({type(exc).__name__}: {exc})")
            return "451 4.3.0 the desk could not take the mail in; try again later"
        self.report(f"mail {inbound.id} from {inbound.sender}: {inbound.status}"
                    f"{f' ({inbound.reason})' if inbound.reason else ''}")
        return "250 2.0.0 OK"


class DeskController(Controller):
    """A controller serving LMTP (or SMTP) with the desk's size limit."""

    def __init__(self, handler: DeskHandler, *, host: str, port: int,
                 **kwargs: Any) -> None:
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self.desk_handler = handler

    def factory(self) -> SMTP:
        kind = LMTP if self.desk_handler.lmtp else SMTP
        return kind(self.handler, data_size_limit=self.desk_handler.settings.max_size,
                    enable_SMTPUTF8=True, decode_data=False,
                    hostname=self.desk_handler.settings.message_domain)
