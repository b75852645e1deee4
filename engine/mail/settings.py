"""The desk's mail settings: a ``[mail]`` table in a TOML file (``--config`` or
``TICKETFLOW_CONFIG``); secrets may come from the environment instead of the file.
"""

from __future__ import annotations

import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.core.errors import BadRequest
from engine.process.durations import parse_duration

PASSWORD_ENV = "TICKETFLOW_SMTP_PASSWORD"
SECRET_ENV = "TICKETFLOW_LINK_SECRET"


class Section(BaseModel):
    """Base of the settings tables: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class SmtpSettings(Section):
    """Where the desk hands its mail over."""

    host: str = "127.0.0.1"
    """The SMTP server (a relay or the organisation's mail server)."""
    port: int = Field(default=25, gt=0, lt=65536)
    """Its port: 25 or 587 (starttls), 465 (tls)."""
    security: Literal["none", "starttls", "tls"] = "none"
    """none, starttls (upgrade after connecting) or tls (TLS from the start)."""
    user: str | None = None
    """The login, when the server wants one."""
    password: str | None = None
    """Its password (better: the TICKETFLOW_SMTP_PASSWORD environment variable)."""
    timeout: float = Field(default=30.0, gt=0)
    """Seconds to wait for the server."""
    ca_file: str | None = None
    """A file of CA certificates to check the server's with (default: the system's)."""


class MailSettings(Section):
    """How the desk sends and receives mail."""

    address: str
    """The desk's address: the From of its mail and where requesters write."""
    name: str = "Service desk"
    """The display name of that address."""
    own_addresses: list[str] = []
    """Further addresses of the desk: mail from any of them is never taken in (loops)."""
    domain: str | None = None
    """The right-hand side of the desk's Message-IDs (default: the address's domain)."""
    process: str = "service_desk"
    """The process a new mail opens a ticket of."""
    base_url: str | None = None
    """Where the requester's page is served: links are ``{base_url}/r/{token}``."""
    link_secret: str | None = None
    """The secret that signs links (better: TICKETFLOW_LINK_SECRET); none: no links."""
    link_days: int = Field(default=30, gt=0, le=3650)
    """How many days a link in a mail stays valid."""
    templates: str | None = None
    """A folder of templates overriding the built-in ones (same file names)."""
    max_attempts: int = Field(default=5, gt=0, le=100)
    """Attempts before a delivery is marked failed."""
    retry_after: str = "PT1M"
    """The wait after the first failed attempt; it doubles after each further one."""
    retry_ceiling: str = "PT1H"
    """The longest wait between attempts."""
    max_size: int = Field(default=10_000_000, gt=0)
    """The largest mail taken in, in bytes (larger ones are refused with 552)."""
    max_attachment: int = Field(default=5_000_000, gt=0)
    """The largest attachment kept, in bytes (larger ones are listed as not kept)."""
    rate_limit: int = Field(default=20, gt=0)
    """How many mails one sender may send per ``rate_window``; more are quarantined."""
    rate_window: str = "PT1H"
    """The window of the rate limit, an ISO 8601 duration."""
    smtp: SmtpSettings = SmtpSettings()
    """The SMTP server the worker delivers through."""
    posts: dict[str, str] = {}
    """Post → the address its notifications go to."""
    accounts: dict[str, str] = {}
    """Account name → the address of that person (the assignee's notifications)."""

    @property
    def message_domain(self) -> str:
        return self.domain or self.address.rpartition("@")[2]

    @property
    def desk_addresses(self) -> set[str]:
        """Every address of the desk, lower-case."""
        return {a.lower() for a in (self.address, *self.own_addresses)}

    def duration(self, name: str) -> timedelta:
        return parse_duration(getattr(self, name))

    def secret(self) -> bytes | None:
        """The link secret: the environment's, else the file's (None: links are off)."""
        value = os.environ.get(SECRET_ENV) or self.link_secret
        return value.encode("utf-8") if value else None

    def smtp_password(self) -> str | None:
        return os.environ.get(PASSWORD_ENV) or self.smtp.password


def load_settings(path: str | Path) -> MailSettings:
    """The ``[mail]`` table of a TOML file; BadRequest saying what and where."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadRequest(f"{path}: cannot read the settings ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"{path}: not valid TOML: {exc}") from None
    if "mail" not in data:
        raise BadRequest(f"{path}: no [mail] table")
    try:
        settings = MailSettings.model_validate(data["mail"])
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(["mail", *map(str, error["loc"])])
        raise BadRequest(f"{path}: {where}: {error['msg']}") from None
    for name in ("retry_after", "retry_ceiling", "rate_window"):
        try:
            settings.duration(name)
        except ValueError as exc:
            raise BadRequest(f"{path}: mail.{name}: {exc}") from None
    return settings
