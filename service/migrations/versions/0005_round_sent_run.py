"""Rounds keep the run they sent to the companies and its unmatched listings, which the companies may see.

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rounds') as batch:
        batch.add_column(sa.Column('sent_run', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('sent_unmatched', sa.JSON(), nullable=True))
    # Rounds whose latest run was sent before this revision: that run and its unmatched listings.
    op.execute(
        "UPDATE rounds SET sent_run = runs, sent_unmatched = unmatched WHERE status = 'succeeded' AND EXISTS "
        "(SELECT 1 FROM proposals WHERE proposals.round_id = rounds.id AND proposals.run = rounds.runs "
        "AND proposals.sent_at IS NOT NULL)")


def downgrade() -> None:
    with op.batch_alter_table('rounds') as batch:
        batch.drop_column('sent_unmatched')
        batch.drop_column('sent_run')
