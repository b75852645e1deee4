"""The full-text search index of tickets, back-filled from every ticket.

SQLite: an FTS5 table; PostgreSQL: a table with a generated tsvector under a GIN index
(see storage/search.py, which both this migration and the store use).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from storage.search import create_index, drop_index, rebuild_tickets

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    connection = op.get_bind()
    create_index(connection, "ticket")
    rebuild_tickets(connection)


def downgrade() -> None:
    drop_index(op.get_bind(), "ticket")
