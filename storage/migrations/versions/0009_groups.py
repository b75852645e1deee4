"""Accounts belong to a group of their post (a handling group, a vendor company);
configuration items (the CMDB) and their relations.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('group', sa.String(length=64), nullable=True))
    op.create_table('items',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('owner_group', sa.String(length=64), nullable=True),
    sa.Column('vendor', sa.String(length=64), nullable=True),
    sa.Column('criticality', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_items'))
    )
    op.create_table('item_relations',
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['item'], ['items.name'], name=op.f('fk_item_relations_item_items')),
    sa.ForeignKeyConstraint(['target'], ['items.name'],
                            name=op.f('fk_item_relations_target_items')),
    sa.PrimaryKeyConstraint('item', 'relation', 'target', name=op.f('pk_item_relations'))
    )
    op.create_index(op.f('ix_item_relations_target'), 'item_relations', ['target'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_item_relations_target'), table_name='item_relations')
    op.drop_table('item_relations')
    op.drop_table('items')
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('group')
