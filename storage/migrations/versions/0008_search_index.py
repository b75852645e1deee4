"""The full-text search index of tickets, and the SLA due time queues sort by, both
back-filled from every ticket; the queue views accounts save.

SQLite: an FTS5 table; PostgreSQL: a table with a generated tsvector under a GIN index
(see storage/search.py, which both this migration and the store use). ``tickets.sla_due`` is
the earliest due time of a ticket's SLA clocks (``engine.core.model.sla_due``), far in the
future when none is due.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.core.model import NO_DUE, sla_due
from storage.search import create_index, drop_index, rebuild_tickets

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | None = None
depends_on: str | None = None

NO_DUE_TEXT = "9999-12-31 00:00:00.000000"
_TICKETS = sa.table('tickets', sa.column('id', sa.Integer()), sa.column('sla', sa.JSON()),
                    sa.column('sla_due', sa.DateTime(timezone=True)))


def _back_fill_due(connection: sa.Connection) -> None:
    """Each ticket's earliest SLA due time, computed as the hot path does."""
    rows = connection.execute(sa.select(_TICKETS.c.id, _TICKETS.c.sla)
                              .where(_TICKETS.c.sla.is_not(None))).all()
    dues = [{"b_id": row.id, "due": due} for row in rows
            for due in (sla_due(row.sla or {}),) if due != NO_DUE]
    if dues:
        connection.execute(sa.update(_TICKETS).where(_TICKETS.c.id == sa.bindparam("b_id"))
                           .values(sla_due=sa.bindparam("due")), dues)


def upgrade() -> None:
    connection = op.get_bind()
    create_index(connection, "ticket")
    rebuild_tickets(connection)
    # no batch: copying the tickets table on SQLite would break the keys pointing at it
    op.add_column('tickets', sa.Column('sla_due', sa.DateTime(timezone=True), nullable=False,
                                       server_default=NO_DUE_TEXT))
    op.create_index(op.f('ix_tickets_is_open_sla_due_id'), 'tickets',
                    ['is_open', 'sla_due', 'id'], unique=False)
    _back_fill_due(connection)
    op.create_table('saved_views',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('search', sa.Text(), nullable=False),
    sa.Column('sort', sa.String(length=16), nullable=False),
    sa.Column('descending', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['username'], ['accounts.username'],
                            name=op.f('fk_saved_views_username_accounts')),
    sa.PrimaryKeyConstraint('username', 'name', name=op.f('pk_saved_views'))
    )


def downgrade() -> None:
    op.drop_table('saved_views')
    op.drop_index(op.f('ix_tickets_is_open_sla_due_id'), table_name='tickets')
    op.execute("ALTER TABLE tickets DROP COLUMN sla_due")
    drop_index(op.get_bind(), "ticket")
