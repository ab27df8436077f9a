"""A delivery worker process killed with SIGKILL in the middle of a fan-out, then restarted:
every circle still gets its prompt exactly once. On PostgreSQL two workers in parallel
never send the same row twice (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks._fake_platform import FakeChat, FakeChatGateway
from benchmarks._fake_world import seed_world
from bot.config import SchedulingConfig
from bot.delivery import DeliveryWorker
from circles.cycle import run_due
from circles.db import session_factory, unit_of_work
from circles.model import OutboxMessage

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("CIRCLES_TEST_DATABASE_URL")
CFG = SchedulingConfig(digest_day="sun")
CIRCLES = 120


def fan_out(db: sessionmaker[Session], circles: int = CIRCLES) -> None:
    with unit_of_work(db) as s:
        seed_world(s, circles=circles, size=2, starts_on=dt.date(2026, 6, 1))
    assert run_due(db, dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), CFG)["prompt"] == circles


def unsent(db: sessionmaker[Session]) -> int:
    with db() as s:
        return s.scalar(select(func.count()).where(OutboxMessage.status != "sent")) or 0


async def until(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def start_worker(engine: Engine, api: str) -> asyncio.subprocess.Process:
    schema = getattr(engine, "info_schema", "")
    url = PG_URL if schema else engine.url.render_as_string(hide_password=False)
    args = [sys.executable, "-m", "benchmarks._fake_worker", str(url), api, "--lease", "2", "--rate", "40"]
    if schema:
        args += ["--schema", schema]
    proc = await asyncio.create_subprocess_exec(*args, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"ready"
    return proc


async def test_a_worker_killed_mid_fan_out_and_restarted_delivers_every_prompt_exactly_once(engine) -> None:  # type: ignore[no-untyped-def]
    db = session_factory(engine)
    fan_out(db)
    chat = FakeChat(workspace_rate=40, workspace_burst=10)
    await chat.start()
    try:
        first = await start_worker(engine, chat.base)
        await until(lambda: len(chat.messages) >= 30)
        first.kill()  # SIGKILL: no cleanup, rows it claimed stay "sending" until the lease ends
        await first.wait()
        delivered_before_crash = len(chat.messages)
        assert delivered_before_crash < CIRCLES

        second = await start_worker(engine, chat.base)
        try:
            await until(lambda: unsent(db) == 0)
        finally:
            second.kill()
            await second.wait()
    finally:
        await chat.stop()
    per_channel = Counter(m.channel for m in chat.messages)
    assert len(per_channel) == CIRCLES
    assert set(per_channel.values()) == {1}


@pytest.mark.postgres_only
async def test_parallel_workers_on_postgresql_never_send_a_row_twice(pg_engine) -> None:  # type: ignore[no-untyped-def]
    engine = pg_engine
    db = session_factory(engine)
    fan_out(db, 200)
    chat = FakeChat(workspace_rate=10_000, workspace_burst=10_000)
    await chat.start()
    gateways = [FakeChatGateway(chat.base) for _ in range(3)]
    cfg = SchedulingConfig(per_workspace_per_second=10_000, delivery_batch=20)
    # each worker its own engine: separate connections, as separate replicas would have
    from sqlalchemy import create_engine

    engines = [create_engine(engine.url, connect_args={"options": f"-csearch_path={engine.info_schema}"})
               for _ in gateways]
    workers = [DeliveryWorker(session_factory(e), {"slack": g}, cfg) for e, g in zip(engines, gateways, strict=True)]

    async def drain(w: DeliveryWorker) -> int:
        total = 0
        while n := await w.run_once():
            total += n
        return total

    try:
        handled = await asyncio.gather(*(drain(w) for w in workers))
    finally:
        for g in gateways:
            await g.close()
        for e in engines:
            e.dispose()
        await chat.stop()
    assert sum(handled) == 200 and all(handled)  # all three took part
    assert chat.repeated_nonces == 0  # no row was even attempted twice
    assert sorted(Counter(m.channel for m in chat.messages).values()) == [1] * 200
