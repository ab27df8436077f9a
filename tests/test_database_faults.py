"""When the database is down, stalled or locked, people hear "try again in a moment", nothing
is half-written, and the bot recovers by itself when the database is back: no restart, no
traceback on the console."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import sqlite3
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, func, make_url, select, text

from adapters.console.adapter import run_console
from bot.config import Config, SchedulingConfig
from bot.core import CircleBot
from bot.delivery import DeliveryWorker
from circles.db import Timeouts, make_engine, session_factory
from circles.model import Goal
from tests.builders import Clock, ok, person, say
from tests.conftest import PG_URL, _pg_schema_engine
from tests.fakes.dbproxy import DatabaseProxy, proxy_to

ALICE = person("alice")
FAST = Timeouts(connect=2, statement=1, pool=2)
TRY_AGAIN = "try again in a moment"


def wait_until(condition, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Polls a condition with a deadline (the proxy and the pool work on their own threads)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        time.sleep(0.02)


def goals(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Goal)) or 0


def make_bot(engine: Engine) -> CircleBot:
    cfg = Config()
    cfg.bot.coordinators = ["console:acme:coord"]
    return CircleBot(session_factory(engine), cfg, clock=Clock())


@pytest.fixture
def proxied() -> Iterator[tuple[DatabaseProxy, Engine, Engine]]:
    """(proxy, the bot's engine through the proxy, a direct engine to check the data)."""
    if not PG_URL:
        pytest.skip("needs CIRCLES_TEST_DATABASE_URL (PostgreSQL); .ci/run always sets it")
    target = make_url(PG_URL)
    with _pg_schema_engine() as direct, proxy_to(target.host or "127.0.0.1", target.port or 5432) as proxy:
        schema = direct.info_schema  # type: ignore[attr-defined]
        url = (f"postgresql://{target.username}@127.0.0.1:{proxy.port}/{target.database}"
               f"?options={quote(f'-csearch_path={schema}')}")
        engine = make_engine(url, FAST)
        try:
            yield proxy, engine, direct
        finally:
            engine.dispose()


@pytest.mark.postgres_only
def test_a_database_that_goes_down_says_try_again_and_comes_back_without_a_restart(proxied) -> None:  # type: ignore[no-untyped-def]
    proxy, engine, direct = proxied
    bot = make_bot(engine)
    ok(bot, ALICE, 'goal set "Give a talk"')

    proxy.set("down")
    reply = say(bot, ALICE, 'goal set "Write a blog post"')
    assert reply.tone == "error" and TRY_AGAIN in reply.text
    assert "can't be reached" in reply.text and "psycopg" not in reply.text
    assert goals(direct) == 1  # nothing half-written

    proxy.set("up")
    ok(bot, ALICE, 'goal set "Write a blog post"')  # the same bot, no restart
    assert goals(direct) == 2


@pytest.mark.postgres_only
def test_a_stalled_database_answers_within_the_timeouts(proxied) -> None:  # type: ignore[no-untyped-def]
    """Accepting connections and never answering: the connect timeout ends the wait, so a
    person hears back instead of a worker hanging for ever."""
    proxy, engine, direct = proxied
    bot = make_bot(engine)
    ok(bot, ALICE, "status")
    proxy.set("stall")
    reply = say(bot, ALICE, 'goal set "Give a talk"')
    assert reply.tone == "error" and TRY_AGAIN in reply.text
    proxy.set("up")
    ok(bot, ALICE, 'goal set "Give a talk"')
    assert goals(direct) == 1


def test_a_locked_table_times_out_with_try_again_and_keeps_nothing(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A long transaction somewhere else holds the lock the command needs: the statement
    timeout answers the person instead of the request waiting behind it."""
    if engine.dialect.name == "sqlite":
        bot_engine = make_engine(str(engine.url), FAST)
        blocker = sqlite3.connect(engine.url.database or "", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # holds the write lock
        release = blocker.rollback
    else:
        schema = engine.info_schema  # type: ignore[attr-defined]
        base = make_url(PG_URL or "")
        bot_engine = make_engine(
            f"postgresql://{base.username}@{base.host}:{base.port}/{base.database}"
            f"?options={quote(f'-csearch_path={schema}')}", FAST)
        conn = engine.connect()
        tx = conn.begin()
        conn.execute(text("LOCK TABLE goals IN ACCESS EXCLUSIVE MODE"))
        release = tx.rollback
    bot = make_bot(bot_engine)
    try:
        reply = say(bot, ALICE, 'goal set "Give a talk"')
        assert reply.tone == "error" and TRY_AGAIN in reply.text and "too slow" in reply.text
    finally:
        release()
    ok(bot, ALICE, 'goal set "Give a talk"')
    assert goals(engine) == 1
    bot_engine.dispose()


@pytest.mark.postgres_only
async def test_the_console_keeps_running_and_says_the_database_is_down(proxied) -> None:  # type: ignore[no-untyped-def]
    proxy, engine, _ = proxied
    bot = make_bot(engine)
    script = iter([("up", "/circle status"), ("down", "/circle status"), ("up", "/circle status")])
    out = io.StringIO()

    def ask(_prompt: str) -> str:
        try:
            mode, line = next(script)
        except StopIteration:
            raise EOFError from None
        proxy.set(mode)  # type: ignore[arg-type]
        return line

    await run_console(bot, out, ask)
    printed = out.getvalue()
    assert printed.count(TRY_AGAIN) == 1
    assert "Traceback" not in printed and printed.rstrip().endswith("Bye!")


@pytest.mark.postgres_only
async def test_delivery_pauses_with_one_line_while_the_database_is_down(proxied, caplog) -> None:  # type: ignore[no-untyped-def]
    proxy, engine, _ = proxied
    cfg = SchedulingConfig()
    cfg.delivery_poll_seconds = 0.05
    worker = DeliveryWorker(session_factory(engine), {}, cfg)
    stop = asyncio.Event()
    caplog.set_level(logging.WARNING, logger="bot.delivery")
    proxy.set("down")
    task = asyncio.create_task(worker.run_forever(stop))

    async def logged(words: str) -> None:
        deadline = time.monotonic() + 30
        while not any(words in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, f"never logged {words!r}"
            await asyncio.sleep(0.02)

    await logged("delivery paused")
    await asyncio.to_thread(proxy.set, "up")
    await logged("delivery resumed")
    stop.set()
    await asyncio.wait_for(task, 30)
    paused = [r for r in caplog.records if "delivery paused" in r.getMessage()]
    assert len(paused) == 1  # one line per outage, not one a poll
    assert not [r for r in caplog.records if r.exc_info]  # and no traceback


async def test_quitting_while_a_sweep_runs_cancels_nothing(db, caplog) -> None:  # type: ignore[no-untyped-def]
    from bot.scheduling import CircleScheduler

    caplog.set_level(logging.INFO)
    scheduler = CircleScheduler(db, SchedulingConfig(), clock=lambda: dt.datetime.now(dt.UTC))
    await scheduler.start()  # becomes leader and wakes the sweep at once
    await scheduler.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []

