"""Brute-force lock-out columns on accounts, one open access per vendor account, settings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    op.create_table('vendor_accesses',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                            name=op.f('fk_vendor_accesses_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['username'], ['accounts.username'],
                            name=op.f('fk_vendor_accesses_username_accounts')),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_vendor_accesses'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )


def downgrade() -> None:
    op.drop_table('settings')
    op.drop_table('vendor_accesses')
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('locked_until')
        batch.drop_column('failed_logins')
