"""Mail tests: the desk world of the desk tests, a real SMTP server on 127.0.0.1 that
collects what the desk sends, and the desk's mail settings pointing at it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from engine.mail.settings import MailSettings
from tests.desk.conftest import world

__all__ = ["world"]
DESK = "desk@desk.test"
SECRET = "a link secret for the tests, long enough"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SinkHandler:
    """Collects every message; answers RCPT with ``answer`` (a 4xx or 5xx to refuse)."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    answer: str = "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, options: list[str]) -> str:
        if not self.answer.startswith("250"):
            return self.answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"


@dataclass
class Sink:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), standing for the organisation's."""

    handler: SinkHandler
    port: int

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if str(m["To"]) == address]


@pytest.fixture
def sink() -> Iterator[Sink]:
    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Sink(handler, port)
    finally:
        controller.stop()


def mail_settings(port: int, **values: Any) -> MailSettings:
    """Settings for the desk at desk@desk.test, sending through 127.0.0.1:port."""
    base: dict[str, Any] = {
        "address": DESK, "own_addresses": ["noreply@desk.test"],
        "base_url": "https://desk.test", "link_secret": SECRET,
        "smtp": {"host": "127.0.0.1", "port": port, "timeout": 5},
        "posts": {"service_desk": "team@desk.test", "handling_group": "lab@desk.test"},
        "accounts": {"ann": "ann@desk.test"}, "retry_after": "PT1M",
        "retry_ceiling": "PT4M", "max_attempts": 3}
    return MailSettings.model_validate({**base, **values})
