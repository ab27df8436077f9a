"""Engine and unit-of-work plumbing shared by the bot, the CLI and the tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

DEFAULT_URL = "sqlite:///circlebot.sqlite3"


def normalize_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@dataclass(frozen=True)
class Timeouts:
    """How long a request may wait on the database before it gives up, so a stalled server
    (accepting connections, never answering) still lets the bot answer "try again" within a
    platform's deadline instead of hanging a worker for ever."""

    connect: float = 5.0  # opening a connection (TCP + authentication)
    statement: float = 15.0  # one SQL statement, lock waits included
    pool: float = 10.0  # waiting for a free connection from the pool


def make_engine(url: str = DEFAULT_URL, timeouts: Timeouts | None = None) -> Engine:
    url = normalize_url(url)
    t = timeouts or Timeouts()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": t.statement},
                               pool_timeout=t.pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(t.statement * 1000)}")
            cur.close()

        return engine
    if url.startswith("postgresql"):
        ms = int(t.statement * 1000)
        parsed = make_url(url)
        given = parsed.query.get("options", "")  # e.g. a search_path the URL already sets
        options = " ".join([*(given if isinstance(given, tuple) else [given]),
                            f"-c statement_timeout={ms} -c lock_timeout={ms}"]).strip()
        return create_engine(
            parsed.difference_update_query(["options"]), pool_pre_ping=True, pool_timeout=t.pool,
            connect_args={"connect_timeout": max(1, round(t.connect)), "options": options},
        )
    return create_engine(url, pool_pre_ping=True, pool_timeout=t.pool)


ProblemKind = Literal["bad_url", "no_driver", "unreachable", "timeout", "unavailable"]


@dataclass(frozen=True)
class DatabaseProblem:
    """Why the database can't be used, as a fact the bot words: a person should read one
    line ("can't reach the database at ...") instead of a driver's traceback."""

    kind: ProblemKind
    detail: str


def safe_url(url: str) -> str:
    """The URL with its password hidden, fit to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


def database_problem(error: BaseException) -> DatabaseProblem | None:
    """Classifies an exception as a database that can't be reached or used right now, or
    None for anything else (a bug stays a bug)."""
    if isinstance(error, exc.ArgumentError) and "URL" in str(error):
        return DatabaseProblem("bad_url", str(error))
    if isinstance(error, exc.NoSuchModuleError | ModuleNotFoundError):
        return DatabaseProblem("no_driver", str(error))
    if isinstance(error, exc.TimeoutError):  # no free connection in the pool
        return DatabaseProblem("timeout", str(error))
    if isinstance(error, exc.DBAPIError):
        message = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        lowered = message.lower()
        if "timeout" in lowered or "timed out" in lowered or "canceling statement" in lowered:
            return DatabaseProblem("timeout", message)
        if error.connection_invalidated or isinstance(error, exc.OperationalError):
            if "locked" in lowered:  # SQLite's busy timeout ran out: busy, not unreachable
                return DatabaseProblem("timeout", message)
            return DatabaseProblem("unreachable", message)
        if isinstance(error, exc.InterfaceError):
            return DatabaseProblem("unavailable", message)
    return None


# what code outside the engine holds and passes around (opened with unit_of_work), so the
# bot can name the type without importing SQLAlchemy
SessionFactory = sessionmaker[Session]


def session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session], now: dt.datetime | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error, so a failed command
    never leaves half its changes behind. ``now`` is the caller's clock: what the unit of
    work stamps its rows with (``circles.clock.at``)."""
    session = factory(info={"now": now}) if now is not None else factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config() -> AlembicConfig:
    """Alembic is imported on use: most processes never migrate."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Bring the schema to the newest Alembic revision (the bot runs this on start), or
    to ``revision`` (migration specs start from an older schema)."""
    from alembic import command

    cfg = _alembic_config()
    if isinstance(engine_or_url, str):
        cfg.set_main_option("sqlalchemy.url", normalize_url(engine_or_url))
        command.upgrade(cfg, revision)
        return
    with engine_or_url.begin() as conn:
        if conn.dialect.name == "postgresql":  # a backfill on a big database may take a while
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision``; every migration can be undone."""
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

