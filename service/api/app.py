"""The FastAPI application factory: ``create_app(settings)``."""

from __future__ import annotations

from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from service.api.errors import install_error_handlers
from service.rounds.runner import RoundJobs, fail_interrupted_rounds
from service.api.limits import BodySizeLimit
from service.api.routes import (
    analytics, audit, companies, exchanges, imports, keys, listings, materials, proposals, rounds, stats, web,
)
from service.db.engine import create_db_engine, create_session_factory, read_engine
from service.db.migrate import upgrade_database
from service.settings import Settings

API_PREFIX = "/api/v1"

DESCRIPTION = """
Companies list their byproducts (offers) and inputs (needs); a facilitator runs matching rounds over
a region and sends the proposals out; both sides accept or decline, and accepted proposals become
exchanges. Every call needs an API key: `Authorization: Bearer sym_...`.

Roles: **company** (its own listings, proposals that involve it; the other side stays anonymous
until both accept), **facilitator** (companies, listings, rounds, proposals, exchanges, audit log),
**planner** (read-only aggregates without single companies' names or quantities), **admin** (keys).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the database engine is created here, migrations run on start."""
    settings = settings or Settings()
    engine = create_db_engine(settings.database_url, settings)
    sessions = create_session_factory(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Request handlers run on at most ``threads`` threads, and the pool holds more connections than
        # threads and round workers together (see Settings): a thread never waits for a connection.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if settings.migrate_on_start:
            upgrade_database(engine)
        fail_interrupted_rounds(sessions)
        # Each start of the application shuts down the runner it started, even if the application is
        # started again meanwhile (a test client inside another one).
        jobs = RoundJobs(sessions, workers=settings.round_workers, lease_s=settings.round_lease_s,
                         poll_s=settings.round_poll_s, after_success=lambda: analytics.warm_cache(app.state.read_sessions))
        app.state.jobs = jobs
        jobs.start()
        try:
            yield
        finally:
            jobs.shutdown()
            engine.dispose()

    app = FastAPI(
        title="Industrial symbiosis matching service",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by service.api.routes.web from the bundled assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.read_sessions = create_session_factory(read_engine(engine))
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes,
                       upload_prefix=f"{API_PREFIX}/imports")
    for module in (keys, companies, listings, imports, rounds, proposals, exchanges, stats, audit, materials, web):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(analytics.router, prefix=API_PREFIX)
    app.include_router(web.pages)
    app.mount("/static", web.static_files(), name="static")
    return app
