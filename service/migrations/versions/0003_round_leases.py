"""Rounds are claimed by one process with a lease renewed by heartbeats.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rounds') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=300), nullable=True))
        batch.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rounds') as batch:
        batch.drop_column('heartbeat_at')
        batch.drop_column('lease_until')
        batch.drop_column('claimed_by')
