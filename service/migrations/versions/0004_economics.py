"""Site access and listing prices; unknown indicators; the economics of each proposal and exchange.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

#: Indicators that may be unknown (no cited factor or price).
MAYBE_UNKNOWN = ('resource_t', 'water_m3', 'co2e_t', 'energy_mwh', 'value_eur')
#: The economics of a proposal or exchange, EUR per year (fair prices per offer unit).
ECONOMICS = ('receiver_saving_eur', 'supplier_saving_eur', 'treatment_cost_eur', 'transport_cost_eur',
             'link_cost_eur', 'fair_price_min_eur', 'fair_price_max_eur')


def upgrade() -> None:
    with op.batch_alter_table('companies') as batch:
        batch.add_column(sa.Column('port_access', sa.Boolean(), nullable=True))
        batch.add_column(sa.Column('rail_siding', sa.Boolean(), nullable=True))
    with op.batch_alter_table('listings') as batch:
        batch.add_column(sa.Column('price_eur_per_unit', sa.Double(), nullable=True))
        batch.add_column(sa.Column('disposal_eur_per_unit', sa.Double(), nullable=True))
    for table in ('proposals', 'exchanges'):
        with op.batch_alter_table(table) as batch:
            for name in MAYBE_UNKNOWN:
                batch.alter_column(name, existing_type=sa.Double(), nullable=True)
            for name in ECONOMICS:
                batch.add_column(sa.Column(name, sa.Double(), nullable=True))


def downgrade() -> None:
    for table in ('proposals', 'exchanges'):
        with op.batch_alter_table(table) as batch:
            for name in ECONOMICS:
                batch.drop_column(name)
            for name in MAYBE_UNKNOWN:
                batch.alter_column(name, existing_type=sa.Double(), nullable=False)
    with op.batch_alter_table('listings') as batch:
        batch.drop_column('disposal_eur_per_unit')
        batch.drop_column('price_eur_per_unit')
    with op.batch_alter_table('companies') as batch:
        batch.drop_column('rail_siding')
        batch.drop_column('port_access')
