"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL too when
CIRCLES_TEST_DATABASE_URL is set (each test in its own schema, so runs never collide)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from circles.db import make_engine, normalize_url, session_factory, upgrade

PG_URL = os.environ.get("CIRCLES_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_engine(schema: str) -> Engine:
    assert PG_URL
    return create_engine(
        normalize_url(PG_URL), connect_args={"options": f"-csearch_path={schema}"}
    )


@contextmanager
def _pg_schema_engine() -> Iterator[Engine]:
    """A migrated PostgreSQL engine on a schema of its own, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(PG_URL or ""))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = _pg_engine(schema)
    eng.info_schema = schema  # type: ignore[attr-defined]
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'circles.sqlite3'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    with _pg_schema_engine() as eng:
        yield eng


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """For behaviour only PostgreSQL has (advisory locks, SKIP LOCKED across processes)."""
    if not PG_URL:
        pytest.skip("needs CIRCLES_TEST_DATABASE_URL (PostgreSQL); .ci/run always sets it")
    with _pg_schema_engine() as eng:
        yield eng


@pytest.fixture
def db(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


# ------------------------------------------------------------ engine fixtures

from bot.config import Config  # noqa: E402
from bot.core import CircleBot  # noqa: E402
from tests.builders import COORD, NOW, Clock, person  # noqa: E402,F401  (re-exported)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def circlebot(db: sessionmaker[Session], clock: Clock) -> CircleBot:
    cfg = Config()
    cfg.bot.coordinators = ["console:acme:coord"]
    return CircleBot(db, cfg, clock=clock)


@pytest.fixture
async def slack(db: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    """A real slack-bolt app and SlackGateway on the real CircleBot, against a fake Slack
    on loopback that fails the test if the bot ever sends what real Slack would reject."""
    from tests.fakes.slack.harness import slack_harness

    h = await slack_harness(db)
    yield h
    await h.settled()  # nothing the test started may still be talking to Slack
    await h.listeners.close()
    await h.fake.close()
    assert h.fake.violations == []


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The fake Discord with one server whose hub channel holds the circles' threads."""
    from tests.fakes.discord.harness import fake_discord_api

    async with fake_discord_api(monkeypatch) as fake:
        fake.hub = fake.add_guild("4000", hub="circles")
        yield fake
