"""The knowledge base: articles, their versions, and their search index (kind ``article``).

Revision ID: 0012
Revises: 0009 (to be re-chained after 0011 when the branches merge)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.search import create_index, drop_index

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles'))
    )
    op.create_table('article_versions',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'],
                            name=op.f('fk_article_versions_article_id_articles')),
    sa.PrimaryKeyConstraint('article_id', 'version', name=op.f('pk_article_versions'))
    )
    create_index(op.get_bind(), "article")


def downgrade() -> None:
    drop_index(op.get_bind(), "article")
    op.drop_table('article_versions')
    op.drop_table('articles')
