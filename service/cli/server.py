"""Commands of the HTTP service: serve, db upgrade, admin create-key/revoke-key.

SQLAlchemy, FastAPI and uvicorn are imported inside the commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from service.cli.console import err, usage_error

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class RoleChoice(str, Enum):
    """The values of ``service.api.auth.Role``, written out so that ``--help`` imports no API
    (tests/service/test_cli.py checks that they stay equal)."""

    COMPANY = "company"
    FACILITATOR = "facilitator"
    PLANNER = "planner"
    ADMIN = "admin"

db_app = typer.Typer(help="The service database.", no_args_is_help=True)
admin_app = typer.Typer(help="Administration: API keys.", no_args_is_help=True)


def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="Address to listen on (SYMBIOSIS_HOST).")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="Port to listen on (SYMBIOSIS_PORT).")] = None,
) -> None:
    """Start the HTTP API (docs at /docs); the database is created and migrated on first start."""
    import uvicorn

    from service.api.app import create_app
    from service.settings import Settings

    settings = Settings()
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)


@contextmanager
def _audited_session() -> Iterator[Session]:
    """A transaction on the migrated database of the settings, for one audited administration step."""
    from service.db.engine import create_db_engine, create_session_factory
    from service.db.migrate import upgrade_database
    from service.settings import Settings

    engine = create_db_engine(Settings().database_url)
    try:
        upgrade_database(engine)
        with create_session_factory(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring it to the newest schema."""
    from service.db.engine import create_db_engine
    from service.db.migrate import upgrade_database
    from service.settings import Settings

    engine = create_db_engine(Settings().database_url)
    try:
        upgrade_database(engine)
    finally:
        engine.dispose()
    typer.echo(f"database is up to date: {engine.url.render_as_string(hide_password=True)}")


@admin_app.command("create-key")
def admin_create_key(
    role: Annotated[RoleChoice, typer.Option("--role", help="What the key may do.")],
    company: Annotated[Optional[str], typer.Option("--company", help="For company keys: the company_id.")] = None,
    label: Annotated[Optional[str], typer.Option("--label", help="What the key is for.")] = None,
) -> None:
    """Create an API key and print it once (bootstrap the first admin key this way)."""
    from service.api.auth import Role, create_key
    from service.db.models import AuditEntry
    from symbiosis.errors import KeyRequestError

    with _audited_session() as session:
        try:
            row, key = create_key(session, Role(role.value), company, label)
        except KeyRequestError as exc:
            usage_error(str(exc))
        session.add(AuditEntry(actor_role="cli", action="create", entity="api_key", entity_id=str(row.id),
                               changes={"role": row.role, "company_id": row.company_id}))
    err.print(f"created {role.value} key {row.id}; it is shown only now:")
    typer.echo(key)


@admin_app.command("revoke-key")
def admin_revoke_key(key_id: Annotated[int, typer.Argument(help="The key's id (GET /api/v1/keys lists them).")]) -> None:
    """Revoke an API key: it stops working at once."""
    from service.api.auth import revoke_key
    from service.db.models import AuditEntry

    with _audited_session() as session:
        if revoke_key(session, key_id) is None:
            usage_error(f"there is no key {key_id}")
        session.add(AuditEntry(actor_role="cli", action="revoke", entity="api_key", entity_id=str(key_id),
                               changes={}))
    typer.echo(f"revoked key {key_id}")


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``db upgrade`` and ``admin create-key/revoke-key`` to the ``symbiosis`` command."""
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(admin_app, name="admin")
