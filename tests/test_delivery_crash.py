"""A delivery worker process killed with SIGKILL in the middle of a fan-out, then restarted:
every circle still gets its prompt exactly once. On PostgreSQL two workers in parallel
never send the same row twice (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks._fake_platform import FakeChat, FakeChatGateway
from bot.config import SchedulingConfig
from bot.delivery import DeliveryWorker
from circles.cycle import run_due
from circles.db import session_factory, unit_of_work
from circles.model import OutboxMessage, utcnow
from tests.builders import seed_world
from tests.fakes.settle import Requests

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("CIRCLES_TEST_DATABASE_URL")
CFG = SchedulingConfig(digest_day="sun")
LEASE = 2  # seconds a worker's claim on a row lasts
CIRCLES = 120


def fan_out(db: sessionmaker[Session], circles: int = CIRCLES) -> None:
    with unit_of_work(db) as s:
        seed_world(s, circles=circles, size=2, starts_on=dt.date(2026, 6, 1))
    assert run_due(db, dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), CFG)["prompt"] == circles


def unsent(db: sessionmaker[Session]) -> int:
    with db() as s:
        return s.scalar(select(func.count()).where(OutboxMessage.status != "sent")) or 0


def watched(chat: FakeChat) -> Requests:
    """The fake chat's requests, counted (its handler wrapped before ``start``), so the test
    wakes on each message it accepts instead of polling."""
    load = Requests()
    answer = chat._api

    async def counted(request: web.Request) -> web.StreamResponse:
        with load.handling():
            return await answer(request)

    chat._api = counted  # type: ignore[method-assign]
    return load


async def mop_up(db: sessionmaker[Session], api: str) -> int:
    """What a replica started after the killed worker's lease ran out would do: re-claim
    rows left "sending" and send them again (same nonce, so the chat dedups them)."""
    gateway = FakeChatGateway(api)
    past_lease = dt.timedelta(seconds=LEASE + 1)
    worker = DeliveryWorker(db, {"slack": gateway}, CFG, clock=lambda: utcnow() + past_lease)
    total = 0
    try:
        while n := await worker.run_once():
            total += n
    finally:
        await gateway.close()
    return total


async def start_worker(engine: Engine, api: str) -> asyncio.subprocess.Process:
    schema = getattr(engine, "info_schema", "")
    url = PG_URL if schema else engine.url.render_as_string(hide_password=False)
    args = [sys.executable, "-m", "benchmarks._fake_worker", str(url), api, "--lease", str(LEASE),
            "--rate", "40"]
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
    load = watched(chat)
    await chat.start()
    try:
        first = await start_worker(engine, chat.base)
        await load.until(lambda: len(chat.messages) >= 30, 60, "30 prompts delivered")
        first.kill()  # SIGKILL: no cleanup, rows it claimed stay "sending" until the lease ends
        await first.wait()
        delivered_before_crash = len(chat.messages)
        assert delivered_before_crash < CIRCLES

        second = await start_worker(engine, chat.base)
        try:
            await load.until(lambda: len({m.channel for m in chat.messages}) == CIRCLES, 60,
                             "a prompt in every circle")
        finally:
            second.kill()
            await second.wait()
        # the last rows' "sent" marks may have died with the worker: a later replica
        # finishes them without sending anything new
        await mop_up(db, chat.base)
        assert unsent(db) == 0
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
