"""Persistence of the HTTP service: SQLAlchemy models, engine and session factory, migrations."""
