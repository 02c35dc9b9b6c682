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


def _row(table: str, **given) -> dict:
    """Values for every column a row of ``table`` must have (as the models are now), and ``given``."""
    from sqlalchemy import JSON, Boolean, DateTime, Double, Integer

    values = {}
    for column in Base.metadata.tables[table].columns:
        if column.nullable or column.server_default is not None or column.primary_key:
            continue
        kind = getattr(column.type, "impl", column.type)  # a TypeDecorator's stored type
        values[column.name] = (1 if isinstance(kind, Integer) else 0.0 if isinstance(kind, Double) else
                               False if isinstance(kind, Boolean) else "2026-01-01 00:00:00" if isinstance(kind, DateTime)
                               else "{}" if isinstance(kind, JSON) else "t")
    return {**values, **given}


def test_a_round_sent_before_the_revision_that_keeps_sent_results_is_still_the_companies_to_see(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from service.db.migrate import alembic_config

    unmatched = '[{"listing_id": "x", "kind": "need", "company_id": "c", "material": "gypsum", "reason": "outbid: ..."}]'
    engine = create_db_engine(f"sqlite:///{tmp_path / 'before.db'}")  # an empty database, migrated step by step
    try:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as connection:
            config.attributes["connection"] = connection

            def insert(table: str, **given) -> None:
                values = _row(table, **given)
                connection.execute(text(f"INSERT INTO {table} ({', '.join(values)}) VALUES "
                                        f"({', '.join(':' + name for name in values)})"), values)

            command.upgrade(config, "0004")
            for round_id in (1, 2):  # round 1 was sent, round 2 never
                insert("rounds", id=round_id, status="succeeded", runs=1, unmatched=unmatched, directives="[]")
            insert("proposals", round_id=1, run=1, status="sent", sent_at="2026-01-02 00:00:00")
            insert("proposals", round_id=2, run=1, status="draft")
            command.upgrade(config, "head")
            rows = connection.execute(text("SELECT id, sent_run, sent_unmatched FROM rounds ORDER BY id")).all()
        assert rows[0][1] == 1 and "outbid" in str(rows[0][2])
        assert rows[1][1] is None and rows[1][2] is None
    finally:
        engine.dispose()
