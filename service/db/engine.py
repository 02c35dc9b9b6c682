"""Create database engines and sessions from a URL (never at import time).

Transactions are kept as short as the writes that need them:

- SQLite (write-ahead log): a connection reads without any transaction, so reads never wait for a
  writer and never hold a lock; the first statement that writes opens ``BEGIN IMMEDIATE`` (waiting
  at most ``sqlite_busy_timeout_ms`` for another writer), and the commit ends it. A read followed by a
  write is therefore two steps, as on PostgreSQL under READ COMMITTED: the versions on the rows
  (``version_id_col``) and the unique keys turn a change made in between into a 409, never a lost write.
- PostgreSQL: writes run in ordinary READ COMMITTED transactions; :func:`read_engine` gives reads
  an AUTOCOMMIT connection, so a slow read (analytics) holds no transaction while it computes.

Pool size, overflow and timeout come from :class:`service.settings.Settings`.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from service.settings import Settings

#: Statements that only read or manage transactions: an SQLite connection runs them outside a write lock.
_NOT_WRITES = ("SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "EXPLAIN")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _is_sqlite_file(url: str) -> bool:
    return is_sqlite(url) and make_url(url).database not in (None, "", ":memory:")


def create_db_engine(url: str, settings: Settings | None = None) -> Engine:
    """An engine for ``url`` with the pool of ``settings`` (those of the environment by default)."""
    settings = settings or Settings(database_url=url)
    pool = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_pool_timeout_s}
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, **pool)
    busy_ms = settings.sqlite_busy_timeout_ms
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
                           **(pool if _is_sqlite_file(url) else {}))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # no implicit transactions: they begin at the first write
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_before_first_write(connection, cursor, statement, parameters, context, executemany) -> None:
        dbapi_connection = cursor.connection
        if not dbapi_connection.in_transaction and not statement.lstrip().upper().startswith(_NOT_WRITES):
            dbapi_connection.execute("BEGIN IMMEDIATE")

    return engine


def read_engine(engine: Engine) -> Engine:
    """The engine for requests that only read: AUTOCOMMIT on PostgreSQL (SQLite reads never hold a lock)."""
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def begin_consistent_read(session: Session) -> None:
    """Make the session's next statements read one snapshot of the database, without a write lock.

    Call it before the first statement of a transaction that only reads (a round's snapshot).
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN")
    else:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
