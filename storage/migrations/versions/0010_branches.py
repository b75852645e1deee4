"""Parallel branches: a forked ticket's active branch states.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # no batch: copying the tickets table on SQLite would break the keys pointing at it
    op.add_column('tickets', sa.Column('branches', sa.JSON(), nullable=False,
                                       server_default='{}'))


def downgrade() -> None:
    op.execute("ALTER TABLE tickets DROP COLUMN branches")
