"""Problem records: a ticket's link to the problem behind it (at most one per ticket).

Revision ID: 0011
Revises: 0009 (to be re-chained after 0010 when the branches merge)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table('problem_links',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['problem_id'], ['tickets.id'],
                            name=op.f('fk_problem_links_problem_id_tickets')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                            name=op.f('fk_problem_links_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_problem_links'))
    )
    op.create_index(op.f('ix_problem_links_problem_id'), 'problem_links', ['problem_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_problem_links_problem_id'), table_name='problem_links')
    op.drop_table('problem_links')
