"""Which replica schedules, and that APScheduler's triggers reach the cycle engine
(bot.scheduling). The clock handed to the scheduler is fixed: what is due is decided by it,
not by when the test happens to run."""

from __future__ import annotations

import asyncio
import datetime as dt
import os

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.config import SchedulingConfig
from bot.scheduling import CircleScheduler, start_scheduler
from circles.db import session_factory, unit_of_work
from circles.leader import LeaderElection
from circles.model import JobRun, OutboxMessage
from tests.builders import seed_world
from tests.fakes.settle import SETTLE_SECONDS

PG_URL = os.environ.get("CIRCLES_TEST_DATABASE_URL")
PROMPT_TIME = dt.datetime(2026, 10, 19, 8, 0, tzinfo=dt.UTC)  # Monday 10:00 in Berlin
CFG = SchedulingConfig(sweep_seconds=3600, leader_check_seconds=3600)


def seeded(db: sessionmaker[Session], circles: int = 4) -> None:
    with unit_of_work(db) as s:
        seed_world(s, circles=circles, timezone="Europe/Berlin", starts_on=dt.date(2026, 10, 19))


def prompts(db: sessionmaker[Session]) -> int:
    with db() as s:
        return s.scalar(select(func.count()).where(OutboxMessage.key.like("prompt:%"))) or 0


def job_run(scheduler: CircleScheduler, job_id: str) -> asyncio.Future[JobExecutionEvent]:
    """Resolves when APScheduler reports the next run of ``job_id`` finished (executed or
    failed): the scheduler's own signal, not a poll of its effects."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[JobExecutionEvent] = loop.create_future()

    def heard(event: JobExecutionEvent) -> None:
        if event.job_id == job_id:
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(event))

    scheduler.scheduler.add_listener(heard, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return done


async def test_the_started_scheduler_catches_up_at_once_and_wakes_at_each_programs_local_time(db) -> None:  # type: ignore[no-untyped-def]
    seeded(db)
    scheduler = await start_scheduler(db, CFG, clock=lambda: PROMPT_TIME)
    try:
        assert scheduler.is_leader
        # becoming leader woke the sweep; it runs on the loop's next turn, after this listens
        swept = await asyncio.wait_for(job_run(scheduler, "sweep"), SETTLE_SECONDS)
        assert swept.exception is None
        assert prompts(db) == 4  # the sweep ran on becoming leader
        jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
        program_job = next(job for name, job in jobs.items() if name.startswith("program:"))
        assert str(program_job.trigger.timezone) == "Europe/Berlin"
        assert (program_job.trigger.fields[4].name, str(program_job.trigger.fields[4])) == ("day_of_week", "mon")
        assert jobs["sweep"].coalesce and jobs["sweep"].max_instances == 1
    finally:
        await scheduler.stop()


async def test_a_second_sweep_at_the_same_moment_does_nothing_new(db) -> None:  # type: ignore[no-untyped-def]
    seeded(db)
    scheduler = CircleScheduler(db, CFG, clock=lambda: PROMPT_TIME)
    scheduler.is_leader = True
    first, again = await scheduler.sweep(), await scheduler.sweep()
    assert first is not None and first["prompt"] == 4
    assert again is not None and sum(again.values()) == 0
    assert prompts(db) == 4


def _engine_like(engine: Engine) -> Engine:
    return create_engine(engine.url, connect_args={"options": f"-csearch_path={engine.info_schema}"})  # type: ignore[attr-defined]


@pytest.mark.postgres_only
async def test_two_schedulers_started_at_once_elect_one_leader_and_each_job_runs_once(pg_engine) -> None:  # type: ignore[no-untyped-def]
    engine = pg_engine
    engines = [_engine_like(engine), _engine_like(engine)]
    db = session_factory(engine)
    seeded(db, circles=6)
    replicas = [CircleScheduler(session_factory(e), CFG, clock=lambda: PROMPT_TIME,
                               election=LeaderElection(e)) for e in engines]
    try:
        await asyncio.gather(*(r.start() for r in replicas))
        assert sorted(r.is_leader for r in replicas) == [False, True]
        await asyncio.gather(*(r.sweep() for r in replicas), *(r.sweep() for r in replicas))
        assert prompts(db) == 6  # the leader's sweeps were awaited above
        with db() as s:
            runs = s.scalars(select(JobRun.key).where(JobRun.key.like("r%:prompt:%"))).all()
        assert len(runs) == len(set(runs)) == 6
    finally:
        for r in replicas:
            await r.stop()
        for e in engines:
            e.dispose()


@pytest.mark.postgres_only
async def test_when_the_leader_dies_a_follower_takes_over(pg_engine) -> None:  # type: ignore[no-untyped-def]
    engine = pg_engine
    engines = [_engine_like(engine), _engine_like(engine)]
    a, b = (CircleScheduler(session_factory(e), CFG, clock=lambda: PROMPT_TIME,
                               election=LeaderElection(e)) for e in engines)
    try:
        assert await a.check_leadership() and not await b.check_leadership()
        # the leader's database session disappears, as when its process is killed
        pid = a.election._conn.execute(text("SELECT pg_backend_pid()")).scalar_one()  # type: ignore[union-attr]
        with engine.connect() as admin:
            # with a timeout, PostgreSQL waits until the backend is gone (its locks with it):
            # without one the kill is only signalled, and a busy machine loses the race
            gone = admin.execute(text("SELECT pg_terminate_backend(:pid, 30000)"), {"pid": pid})
            assert gone.scalar_one()
            admin.commit()
        assert await b.check_leadership()
        assert not await a.check_leadership()  # the old leader notices and steps down
        assert await a.sweep() is None
    finally:
        await a.stop()
        await b.stop()
        for e in engines:
            e.dispose()


async def test_concurrent_runs_of_the_cycle_engine_never_duplicate_work(db) -> None:  # type: ignore[no-untyped-def]
    """Even without the leader lock (a split brain), job_runs keeps each occurrence single."""
    from circles.cycle import run_due

    seeded(db, circles=5)
    results = await asyncio.gather(*(asyncio.to_thread(run_due, db, PROMPT_TIME, CFG) for _ in range(3)))
    assert sum(r["prompt"] for r in results) == 5
    assert prompts(db) == 5
