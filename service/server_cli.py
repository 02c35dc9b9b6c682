"""Command-line entry points of the HTTP service: serve, db upgrade, admin create-key/revoke-key."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.console import Console

from service.api.auth import KeyRequestError, Role, create_key, revoke_key
from service.db.engine import create_db_engine, create_session_factory
from service.db.migrate import upgrade_database
from service.db.models import AuditEntry
from service.settings import Settings

err = Console(stderr=True)

db_app = typer.Typer(help="The service database.", no_args_is_help=True)
admin_app = typer.Typer(help="Administration: API keys.", no_args_is_help=True)


def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="Address to listen on (SYMBIOSIS_HOST).")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="Port to listen on (SYMBIOSIS_PORT).")] = None,
) -> None:
    """Start the HTTP API (docs at /docs); the database is created and migrated on first start."""
    import uvicorn

    from service.api.app import create_app

    settings = Settings()
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring it to the newest schema."""
    settings = Settings()
    engine = create_db_engine(settings.database_url)
    try:
        upgrade_database(engine)
    finally:
        engine.dispose()
    typer.echo(f"database is up to date: {engine.url.render_as_string(hide_password=True)}")


@admin_app.command("create-key")
def admin_create_key(
    role: Annotated[Role, typer.Option("--role", help="What the key may do.")],
    company: Annotated[Optional[str], typer.Option("--company", help="For company keys: the company_id.")] = None,
    label: Annotated[Optional[str], typer.Option("--label", help="What the key is for.")] = None,
) -> None:
    """Create an API key and print it once (bootstrap the first admin key this way)."""
    settings = Settings()
    engine = create_db_engine(settings.database_url)
    try:
        upgrade_database(engine)
        with create_session_factory(engine).begin() as session:
            try:
                row, key = create_key(session, role, company, label)
            except KeyRequestError as exc:
                err.print(f"[bold red]error:[/] {exc}")
                raise typer.Exit(code=2) from None
            session.add(AuditEntry(actor_role="cli", action="create", entity="api_key", entity_id=str(row.id),
                                   changes={"role": row.role, "company_id": row.company_id}))
    finally:
        engine.dispose()
    err.print(f"created {role.value} key {row.id}; it is shown only now:")
    typer.echo(key)


@admin_app.command("revoke-key")
def admin_revoke_key(key_id: Annotated[int, typer.Argument(help="The key's id (GET /api/v1/keys lists them).")]) -> None:
    """Revoke an API key: it stops working at once."""
    settings = Settings()
    engine = create_db_engine(settings.database_url)
    try:
        upgrade_database(engine)
        with create_session_factory(engine).begin() as session:
            if revoke_key(session, key_id) is None:
                err.print(f"[bold red]error:[/] there is no key {key_id}")
                raise typer.Exit(code=2)
            session.add(AuditEntry(actor_role="cli", action="revoke", entity="api_key", entity_id=str(key_id),
                                   changes={}))
    finally:
        engine.dispose()
    typer.echo(f"revoked key {key_id}")


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``db upgrade`` and ``admin create-key/revoke-key`` to the ``symbiosis`` command."""
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(admin_app, name="admin")
