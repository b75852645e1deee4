"""Alembic's entry point: migrate the connection ``open_store`` hands over, or a URL.

At run time :func:`storage.database.upgrade` passes its connection in
``config.attributes["connection"]``. Developers can also run ``alembic`` with
``-x url=sqlite:///ticketflow.db`` (for ``revision --autogenerate``).
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection
from sqlmodel.sql.sqltypes import AutoString

from storage.migrations import include_name
from storage.models import UTCDateTime, metadata


def render_item(kind: str, item: Any, autogen_context: Any) -> Any:
    """Write the plain SQL types into revisions, so that they never import the models."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(item, AutoString):
        return f"sa.String(length={item.length})" if item.length else "sa.String()"
    return False


def run(connection: Connection) -> None:
    """Run the migrations on an open connection."""
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      render_item=render_item, compare_type=True,
                      include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate the given connection, or open one from ``-x url=``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    from storage.database import make_engine

    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///ticketflow.db")
    with make_engine(url).connect() as opened:
        run(opened)
        opened.commit()


def run_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade head --sql``)."""
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///ticketflow.db")
    context.configure(url=url, target_metadata=metadata, literal_binds=True,
                      render_item=render_item, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
