"""bot tables: service ratings (好差评) collected by the assistant

Revision ID: bot_0001
Revises:
Create Date: 2026-11-22 02:35:00
"""
from alembic import op
import sqlalchemy as sa

import core.db


revision = 'bot_0001'
down_revision = None
branch_labels = ('bot',)
depends_on = None


def upgrade() -> None:
    op.create_table('bot_ratings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_bot_ratings_conversation_id'), 'bot_ratings', ['conversation_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_bot_ratings_conversation_id'), table_name='bot_ratings')
    op.drop_table('bot_ratings')
