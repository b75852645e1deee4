"""Options shared by the commands (``--db``, ``--json``, ``--as``)."""

from __future__ import annotations

from typing import Annotated

import typer

DEFAULT_DB = "sqlite:///ticketflow.db"

Db = Annotated[str, typer.Option("--db", envvar="TICKETFLOW_DB", show_default=True,
                                 help="Database URL (default: ./ticketflow.db).")]
Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Actor = Annotated[str | None, typer.Option(
    "--as", envvar="TICKETFLOW_USER",
    help="The acting account (password from TICKETFLOW_PASSWORD, a login session or a prompt).")]
Config = Annotated[str | None, typer.Option(
    "--config", envvar="TICKETFLOW_CONFIG",
    help="The desk's settings file (TOML with a [mail] table; docs/mail.md).")]
