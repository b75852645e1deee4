"""The command line's commands, one module per area; each exposes ``register(app)``."""

from __future__ import annotations

from collections.abc import Callable

import typer

from tui.commands import (
    admin,
    app_cmds,
    audit,
    clocks,
    files,
    kpi,
    login,
    maintenance,
    scenarios,
    tickets,
    worker,
)

REGISTRARS: list[Callable[[typer.Typer], None]] = [files.register, admin.register, login.register,
                                                   tickets.register,
                                                   kpi.register, app_cmds.register,
                                                   audit.register, maintenance.register,
                                                   worker.register, scenarios.register,
                                                   clocks.register]

from tui.commands import serve, tokens, webhooks  # noqa: E402  (issue 14: API, tokens, hooks)

REGISTRARS += [serve.register, tokens.register, webhooks.register]
