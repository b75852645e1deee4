"""Sending through an SMTP server: plain, STARTTLS or TLS, with an optional login.

Each message gets its own connection (the worker sends few); the server's answer decides
whether a failure is temporary (4xx, no connection) or final (5xx).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from engine.mail.outgoing import SendFailed
from engine.mail.settings import MailSettings


@dataclass
class SmtpSender:
    """Sends messages with the settings' SMTP server."""

    settings: MailSettings

    def send(self, message: EmailMessage) -> None:
        """Hand one message over; SendFailed (temporary or not) when it is not taken."""
        try:
            with self._connect() as client:
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self._refused(exc.recipients)
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            raise SendFailed(f"{exc.smtp_code} {text}", temporary=exc.smtp_code < 500) \
                from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"cannot reach {self.settings.smtp.host}:"
                             f"{self.settings.smtp.port}: {exc}", temporary=True) from None
        if refused:
            self._refused(refused)

    def _connect(self) -> smtplib.SMTP:
        smtp = self.settings.smtp
        context = ssl.create_default_context(cafile=smtp.ca_file)
        client: smtplib.SMTP
        if smtp.security == "tls":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                      context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.user:
            client.login(smtp.user, self.settings.smtp_password() or "")
        return client

    @staticmethod
    def _refused(recipients: dict[str, tuple[int, bytes]]) -> None:
        code, text = next(iter(recipients.values()))
        raise SendFailed(f"{code} {text.decode('utf-8', 'replace')}", temporary=code < 500)
