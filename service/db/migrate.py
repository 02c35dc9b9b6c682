"""Apply the Alembic migrations to a database, configured in code (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """The Alembic configuration for the database at ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


#: Key of the PostgreSQL advisory lock that lets one process at a time migrate.
MIGRATION_LOCK = 7_313_001


def upgrade_database(engine: Engine) -> None:
    """Bring the database behind ``engine`` to the newest revision (a no-op when it is current).

    Processes starting together (``serve --workers N``) migrate one after the other: the check of
    the current revision and the upgrade run under the database's write lock (SQLite) or an advisory
    lock (PostgreSQL).
    """
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
