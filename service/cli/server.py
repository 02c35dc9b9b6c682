"""Commands of the HTTP service: serve, worker, db upgrade, admin create-key/revoke-key.

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
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64,
        help="Server processes sharing the port; each also runs queued rounds (SYMBIOSIS_ROUND_WORKERS at a time).",
    )] = 1,
) -> None:
    """Start the HTTP API (docs at /docs); the database is created and migrated on first start."""
    import uvicorn

    from service.settings import Settings

    settings = Settings()
    host, port = host or settings.host, port or settings.port
    if workers > 1:  # each process builds its own application from the environment's settings
        uvicorn.run("service.api.app:create_app", factory=True, host=host, port=port, workers=workers)
        return
    from service.api.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port)


def worker() -> None:
    """Run queued matching rounds without serving HTTP, until stopped (Ctrl-C or SIGTERM).

    Any number of workers and servers may share one database: each round runs in exactly one of them,
    and a round whose process died is taken over once its lease expires.
    """
    import signal
    import threading

    from service.db.engine import create_db_engine, create_session_factory
    from service.db.migrate import upgrade_database
    from service.rounds.runner import RoundJobs, fail_interrupted_rounds
    from service.settings import Settings

    settings = Settings()
    engine = create_db_engine(settings.database_url, settings)
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    try:
        if settings.migrate_on_start:
            upgrade_database(engine)
        sessions = create_session_factory(engine)
        fail_interrupted_rounds(sessions)
        jobs = RoundJobs(sessions, workers=settings.round_workers, lease_s=settings.round_lease_s,
                         poll_s=settings.round_poll_s)
        jobs.start()
        err.print(f"worker {jobs.name} runs rounds of {engine.url.render_as_string(hide_password=True)}", markup=False)
        while not stop.wait(0.5):
            pass
        jobs.shutdown()
    finally:
        engine.dispose()


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
    """Add ``serve``, ``worker``, ``db upgrade`` and ``admin create-key/revoke-key`` to the ``symbiosis`` command."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(db_app, name="db")
    app.add_typer(admin_app, name="admin")
