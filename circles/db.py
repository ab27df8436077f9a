"""Engine and unit-of-work plumbing shared by the bot, the CLI and the tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
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


def make_engine(url: str = DEFAULT_URL) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


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
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision``; every migration can be undone."""
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


SessionFactory = sessionmaker[Session]  # what callers outside the engine hold, by name only
