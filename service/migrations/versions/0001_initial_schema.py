"""Initial schema: companies, listings, API keys, rounds, proposals, exchanges and the audit log.

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_key_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('actor_company_id', sa.String(length=100), nullable=True),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('entity', sa.String(length=30), nullable=False),
    sa.Column('entity_id', sa.String(length=100), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_index(op.f('ix_audit_log_entity'), 'audit_log', ['entity'], unique=False)
    op.create_index(op.f('ix_audit_log_entity_id'), 'audit_log', ['entity_id'], unique=False)

    op.create_table('companies',
    sa.Column('company_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('nace', sa.String(length=10), nullable=False),
    sa.Column('lat', sa.Double(), nullable=False),
    sa.Column('lon', sa.Double(), nullable=False),
    sa.Column('municipality', sa.String(length=300), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('consent_planner', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('company_id')
    )
    op.create_index(op.f('ix_companies_municipality'), 'companies', ['municipality'], unique=False)
    op.create_index(op.f('ix_companies_nace'), 'companies', ['nace'], unique=False)

    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('scope', sa.JSON(), nullable=False),
    sa.Column('objective', sa.String(length=20), nullable=False),
    sa.Column('solver', sa.String(length=20), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('directives', sa.JSON(), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('progress', sa.Double(), nullable=False),
    sa.Column('stage', sa.String(length=50), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('unmatched', sa.JSON(), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_rounds_status'), 'rounds', ['status'], unique=False)

    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('company_id', sa.String(length=100), nullable=True),
    sa.Column('label', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.company_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefix')
    )
    op.create_index(op.f('ix_api_keys_company_id'), 'api_keys', ['company_id'], unique=False)

    op.create_table('listings',
    sa.Column('listing_id', sa.String(length=100), nullable=False),
    sa.Column('company_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('material', sa.String(length=50), nullable=False),
    sa.Column('material_key', sa.String(length=50), nullable=False),
    sa.Column('quantity', sa.Double(), nullable=False),
    sa.Column('unit', sa.String(length=50), nullable=False),
    sa.Column('quantity_canonical', sa.Double(), nullable=False),
    sa.Column('canonical_unit', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('available_from', sa.Date(), nullable=True),
    sa.Column('available_to', sa.Date(), nullable=True),
    sa.Column('max_distance_km', sa.Double(), nullable=True),
    sa.Column('transport_mode', sa.String(length=20), nullable=True),
    sa.Column('min_lot', sa.Double(), nullable=True),
    sa.Column('max_partners', sa.Integer(), nullable=True),
    sa.Column('all_or_nothing', sa.Boolean(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.company_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('listing_id')
    )
    op.create_index(op.f('ix_listings_company_id'), 'listings', ['company_id'], unique=False)
    op.create_index(op.f('ix_listings_kind'), 'listings', ['kind'], unique=False)
    op.create_index(op.f('ix_listings_material_key'), 'listings', ['material_key'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supplier_decision', sa.String(length=10), nullable=True),
    sa.Column('receiver_decision', sa.String(length=10), nullable=True),
    sa.Column('rule_id', sa.String(length=100), nullable=False),
    sa.Column('yield', sa.Double(), nullable=False),
    sa.Column('max_distance_km', sa.Double(), nullable=True),
    sa.Column('objective_contribution', sa.Double(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('offer_id', sa.String(length=100), nullable=False),
    sa.Column('need_id', sa.String(length=100), nullable=False),
    sa.Column('supplier_id', sa.String(length=100), nullable=False),
    sa.Column('receiver_id', sa.String(length=100), nullable=False),
    sa.Column('material', sa.String(length=50), nullable=False),
    sa.Column('need_material', sa.String(length=50), nullable=False),
    sa.Column('quantity', sa.Double(), nullable=False),
    sa.Column('unit', sa.String(length=50), nullable=False),
    sa.Column('quantity_canonical', sa.Double(), nullable=False),
    sa.Column('need_quantity', sa.Double(), nullable=False),
    sa.Column('need_unit', sa.String(length=50), nullable=False),
    sa.Column('need_quantity_canonical', sa.Double(), nullable=False),
    sa.Column('distance_km', sa.Double(), nullable=False),
    sa.Column('transport_mode', sa.String(length=20), nullable=False),
    sa.Column('transport_co2e_t', sa.Double(), nullable=False),
    sa.Column('resource_t', sa.Double(), nullable=False),
    sa.Column('water_m3', sa.Double(), nullable=False),
    sa.Column('co2e_t', sa.Double(), nullable=False),
    sa.Column('energy_mwh', sa.Double(), nullable=False),
    sa.Column('waste_t', sa.Double(), nullable=False),
    sa.Column('value_eur', sa.Double(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_proposals_need_id'), 'proposals', ['need_id'], unique=False)
    op.create_index(op.f('ix_proposals_offer_id'), 'proposals', ['offer_id'], unique=False)
    op.create_index(op.f('ix_proposals_receiver_id'), 'proposals', ['receiver_id'], unique=False)
    op.create_index(op.f('ix_proposals_round_id'), 'proposals', ['round_id'], unique=False)
    op.create_index(op.f('ix_proposals_status'), 'proposals', ['status'], unique=False)
    op.create_index(op.f('ix_proposals_supplier_id'), 'proposals', ['supplier_id'], unique=False)

    op.create_table('exchanges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('offer_id', sa.String(length=100), nullable=False),
    sa.Column('need_id', sa.String(length=100), nullable=False),
    sa.Column('supplier_id', sa.String(length=100), nullable=False),
    sa.Column('receiver_id', sa.String(length=100), nullable=False),
    sa.Column('material', sa.String(length=50), nullable=False),
    sa.Column('need_material', sa.String(length=50), nullable=False),
    sa.Column('quantity', sa.Double(), nullable=False),
    sa.Column('unit', sa.String(length=50), nullable=False),
    sa.Column('quantity_canonical', sa.Double(), nullable=False),
    sa.Column('need_quantity', sa.Double(), nullable=False),
    sa.Column('need_unit', sa.String(length=50), nullable=False),
    sa.Column('need_quantity_canonical', sa.Double(), nullable=False),
    sa.Column('distance_km', sa.Double(), nullable=False),
    sa.Column('transport_mode', sa.String(length=20), nullable=False),
    sa.Column('transport_co2e_t', sa.Double(), nullable=False),
    sa.Column('resource_t', sa.Double(), nullable=False),
    sa.Column('water_m3', sa.Double(), nullable=False),
    sa.Column('co2e_t', sa.Double(), nullable=False),
    sa.Column('energy_mwh', sa.Double(), nullable=False),
    sa.Column('waste_t', sa.Double(), nullable=False),
    sa.Column('value_eur', sa.Double(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('proposal_id')
    )
    op.create_index(op.f('ix_exchanges_need_id'), 'exchanges', ['need_id'], unique=False)
    op.create_index(op.f('ix_exchanges_offer_id'), 'exchanges', ['offer_id'], unique=False)
    op.create_index(op.f('ix_exchanges_receiver_id'), 'exchanges', ['receiver_id'], unique=False)
    op.create_index(op.f('ix_exchanges_round_id'), 'exchanges', ['round_id'], unique=False)
    op.create_index(op.f('ix_exchanges_status'), 'exchanges', ['status'], unique=False)
    op.create_index(op.f('ix_exchanges_supplier_id'), 'exchanges', ['supplier_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_exchanges_supplier_id'), table_name='exchanges')
    op.drop_index(op.f('ix_exchanges_status'), table_name='exchanges')
    op.drop_index(op.f('ix_exchanges_round_id'), table_name='exchanges')
    op.drop_index(op.f('ix_exchanges_receiver_id'), table_name='exchanges')
    op.drop_index(op.f('ix_exchanges_offer_id'), table_name='exchanges')
    op.drop_index(op.f('ix_exchanges_need_id'), table_name='exchanges')

    op.drop_table('exchanges')
    op.drop_index(op.f('ix_proposals_supplier_id'), table_name='proposals')
    op.drop_index(op.f('ix_proposals_status'), table_name='proposals')
    op.drop_index(op.f('ix_proposals_round_id'), table_name='proposals')
    op.drop_index(op.f('ix_proposals_receiver_id'), table_name='proposals')
    op.drop_index(op.f('ix_proposals_offer_id'), table_name='proposals')
    op.drop_index(op.f('ix_proposals_need_id'), table_name='proposals')

    op.drop_table('proposals')
    op.drop_index(op.f('ix_listings_material_key'), table_name='listings')
    op.drop_index(op.f('ix_listings_kind'), table_name='listings')
    op.drop_index(op.f('ix_listings_company_id'), table_name='listings')

    op.drop_table('listings')
    op.drop_index(op.f('ix_api_keys_company_id'), table_name='api_keys')

    op.drop_table('api_keys')
    op.drop_index(op.f('ix_rounds_status'), table_name='rounds')

    op.drop_table('rounds')
    op.drop_index(op.f('ix_companies_nace'), table_name='companies')
    op.drop_index(op.f('ix_companies_municipality'), table_name='companies')

    op.drop_table('companies')
    op.drop_index(op.f('ix_audit_log_entity_id'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_entity'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')

    op.drop_table('audit_log')
