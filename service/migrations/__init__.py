"""Alembic migrations of the service database (configured in code, see service.db.migrate)."""
