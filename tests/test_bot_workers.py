"""Blocking work never starves the event loop: commands' database work runs on a bounded pool
sized by ``[bot] workers``, so a burst of slow commands queues there while the loop keeps
acknowledging and answering."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from bot.bootstrap import build
from bot.config import Config, ConfigError, load
from bot.core import CircleBot
from tests.builders import Clock, person
from tests.test_long_commands import coordinator_job_held, engine_of
from tests.test_request_cost import counting

EXAMPLE = Path(__file__).parents[1] / "config.example.toml"


def test_the_example_config_shows_the_default_number_of_workers():
    assert load(EXAMPLE, environ={}).bot.workers == Config().bot.workers


def test_the_composition_root_sizes_the_pool_from_the_config(tmp_path):
    cfg = Config()
    cfg.database.url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    cfg.bot.workers = 3
    app = build(cfg)
    try:
        assert app.bot.executor._max_workers == 3  # type: ignore[attr-defined]
    finally:
        app.bot.close()
        app.engine.dispose()


@pytest.mark.parametrize("workers", [0, 16, "4"])
def test_a_pool_size_that_cannot_work_is_refused_at_start(tmp_path, workers):
    (tmp_path / "c.toml").write_text(f"[bot]\nworkers = {workers!r}\n".replace("'", '"'))
    with pytest.raises(ConfigError, match="workers"):
        load(tmp_path / "c.toml", environ={})


async def test_busy_workers_make_commands_queue_but_the_loop_keeps_running(db):
    cfg = Config()
    cfg.bot.workers = 1
    bot = CircleBot(db, cfg, clock=Clock())
    release = threading.Event()
    started = threading.Event()
    real = bot.handle_command_sync

    def slow(who, text):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(timeout=30)
        return real(who, text)

    bot.handle_command_sync = slow  # type: ignore[method-assign]
    first = asyncio.ensure_future(bot.handle_command(person("ann"), "status"))
    second = asyncio.ensure_future(bot.handle_command(person("bob"), "status"))
    await asyncio.to_thread(started.wait, 30)
    # the one worker is busy: the loop still runs other work at once (an ack, say)
    assert await asyncio.wait_for(asyncio.sleep(0, result="acked"), timeout=1) == "acked"
    assert not second.done()
    release.set()
    replies = await asyncio.gather(first, second)
    assert all(r.title == "Your status" for r in replies), replies
    bot.close()


async def test_a_coordinators_long_command_never_holds_up_members(db):
    cfg = Config()
    cfg.bot.workers = 1
    cfg.bot.coordinators = ["console:acme:coord"]
    bot = CircleBot(db, cfg, clock=Clock())
    with coordinator_job_held(engine_of(db)) as held:
        health = asyncio.ensure_future(bot.handle_command(person("coord"), "health"))
        await held.until_started()
        # the coordinator's health is still being worked out; a member's status comes back
        status = await asyncio.wait_for(bot.handle_command(person("ann"), "status"), timeout=20)
        assert status.title == "Your status"
        assert not health.done()
        held.release.set()
        assert (await health).tone != "error"
    bot.close()


async def test_asking_for_health_again_while_it_is_worked_out_shares_the_answer(db):
    cfg = Config()
    cfg.bot.coordinators = ["console:acme:coord"]
    bot = CircleBot(db, cfg, clock=Clock())
    engine = engine_of(db)
    alone = await bot.handle_command(person("coord"), "health")  # also creates the member
    with counting(engine) as once:
        await bot.handle_command(person("coord"), "health")
    with coordinator_job_held(engine) as held, counting(engine) as statements:
        first = asyncio.ensure_future(bot.handle_command(person("coord"), "health"))
        await held.until_started()
        again = asyncio.ensure_future(bot.handle_command(person("coord"), "health"))
        held.release.set()
        replies = await asyncio.gather(first, again)
    assert replies[0] == replies[1] and replies[0].text == alone.text
    assert len(statements) - len(once) < len(once)  # worked out once for the two asks
    bot.close()
