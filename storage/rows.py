"""What the store's halves (its row mixins) rely on from :class:`storage.store.SqlStore`.

Each half — accounts aside — keeps one concern's rows (requesters, mail, integrations,
webhooks) and reaches the database only through the store's engine, its hot path and the
three helpers declared here, which the store defines.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Select

from storage.hotpath import HotPath


class Rows:
    """The base of a store half: the store's engine, hot path and transaction helpers."""

    engine: Engine
    _hot: HotPath
    if TYPE_CHECKING:
        def _writing(self, *, lock: str | None = None) -> AbstractContextManager[Connection]:
            """One transaction (with ``lock``: serialized with others naming it)."""

        def _read(self, statement: Select[Any]) -> list[Any]:
            """The rows of a SELECT."""

        def _dialect_insert(self, connection: Connection) -> Any:
            """The backend's INSERT (with ON CONFLICT) for ``connection``."""
