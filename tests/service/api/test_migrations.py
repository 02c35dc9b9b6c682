"""The migrations build exactly the models' schema, and the models hold every input column."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.db.engine import create_db_engine
from service.db.migrate import upgrade_database
from service.db.models import Base, Company, Listing
from symbiosis.schema import COMPANY_COLUMNS, LISTING_COLUMNS


def test_migrated_database_matches_the_models(database_url):
    engine = create_db_engine(database_url)
    try:
        upgrade_database(engine)
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_every_input_column_is_stored():
    assert {c.name for c in COMPANY_COLUMNS} <= set(Company.__table__.columns.keys())
    assert {c.name for c in LISTING_COLUMNS} <= set(Listing.__table__.columns.keys())
