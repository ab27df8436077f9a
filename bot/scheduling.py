"""When the cycle engine runs: APScheduler 3 (AsyncIOScheduler) triggers, and which replica
may run them.

APScheduler only decides *when* to look; ``circles.jobs.run_due`` decides *what* is due
from the database, so its in-memory job store can be lost on restart without losing work.
One replica at a time is the scheduler (``circles.leader.LeaderElection``: a PostgreSQL
advisory lock that dies with its holder; on SQLite the one process leads).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import SchedulingConfig
from circles.db import SessionFactory, database_problem, unit_of_work
from circles.jobs import program_clocks, run_due
from circles.leader import LeaderElection

__all__ = ["CircleScheduler", "LeaderElection", "start_scheduler"]

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CircleScheduler:
    def __init__(self, sessions: SessionFactory, config: SchedulingConfig,
                 clock: Clock = utcnow, election: LeaderElection | None = None) -> None:
        self.sessions = sessions
        self.cfg = config
        self.clock = clock
        self.election = election or LeaderElection.for_sessions(sessions)
        self.is_leader = False
        self.scheduler = AsyncIOScheduler(
            timezone=dt.UTC,
            # after a stall or a suspended laptop: one run, however late, never a backlog
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._sweeping = asyncio.Lock()
        self._running: set[asyncio.Task[object]] = set()  # jobs in flight, awaited on stop
        self._db_down = False
        self._stopping = False

    async def start(self) -> None:
        self.scheduler.add_job(self._leadership_job, IntervalTrigger(seconds=self.cfg.leader_check_seconds),
                               id="leadership")
        self.scheduler.add_job(self._sweep_job, IntervalTrigger(seconds=self.cfg.sweep_seconds), id="sweep")
        self.scheduler.start()
        await self._guarded(self.check_leadership)

    async def stop(self) -> None:
        """Stops triggering, lets a sweep in flight finish (its database work runs in a thread
        and can't be interrupted half-way anyway), then gives up leadership: quitting never
        cancels a job mid-step or prints a traceback."""
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.pause()  # no new runs; shutting down now would cancel runs in flight
        for _ in range(3):  # a job submitted just now starts, sees _stopping and returns
            await asyncio.sleep(0)
        running = [t for t in self._running if not t.done() and t is not asyncio.current_task()]
        if running:
            await asyncio.wait(running, timeout=self.cfg.sweep_seconds + 30)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await asyncio.to_thread(self.election.release)
        self.is_leader = False

    async def _sweep_job(self) -> None:
        await self._guarded(self.sweep)

    async def _leadership_job(self) -> None:
        await self._guarded(self.check_leadership)

    async def _guarded(self, step: Callable[[], Awaitable[object]]) -> None:
        """A job step that can't reach the database logs one line per outage and is tried
        again at its next trigger; leadership is given up meanwhile, so two replicas never
        both think they lead after the database comes back."""
        if self._stopping:
            return
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)  # type: ignore[arg-type]
        try:
            await step()
        except Exception as exc:
            problem = database_problem(exc)
            if problem is None:
                log.exception("scheduler step failed")
                return
            if not self._db_down:
                log.warning("scheduler paused: the database %s (%s); retrying",
                            "is too slow" if problem.kind == "timeout" else "can't be reached",
                            problem.detail)
            self._db_down = True
            if self.is_leader:
                self.is_leader = False
                self._remove_program_jobs()
            return
        finally:
            if task is not None:
                self._running.discard(task)  # type: ignore[arg-type]
        if self._db_down:
            log.warning("scheduler resumed: the database is back")
            self._db_down = False

    async def check_leadership(self) -> bool:
        was = self.is_leader
        check = self.election.still_held if was else self.election.acquire
        self.is_leader = await asyncio.to_thread(check)
        if self.is_leader and not was:
            log.info("this replica now runs the scheduler")
            await self.sync_program_jobs()
            self.wake()
        elif was and not self.is_leader:
            self._remove_program_jobs()
        return self.is_leader

    def wake(self) -> None:
        """Run the sweep now (e.g. on becoming leader, to catch up after downtime)."""
        job = self.scheduler.get_job("sweep")
        if job is not None and self.scheduler.running:
            job.modify(next_run_time=dt.datetime.now(dt.UTC))

    async def sweep(self) -> Counter[str] | None:
        """Everything due now, if this replica leads; the database makes a run idempotent."""
        if not self.is_leader:
            return None
        async with self._sweeping:
            counts = await asyncio.to_thread(run_due, self.sessions, self.clock(), self.cfg)
            await self.sync_program_jobs()  # new or ended rounds change the cron triggers
        if counts:
            log.info("scheduler sweep: %s", dict(counts))
        return counts

    async def sync_program_jobs(self) -> None:
        """A cron trigger per fixed-timezone program wakes the sweep right at prompt time;
        member-local programs rely on the short sweep interval."""
        wanted = await asyncio.to_thread(self._program_triggers)
        for job in self.scheduler.get_jobs():
            if job.id.startswith("program:") and job.id not in wanted:
                job.remove()
        for job_id, trigger in wanted.items():
            self.scheduler.add_job(self._sweep_job, trigger, id=job_id, replace_existing=True)

    def _program_triggers(self) -> dict[str, CronTrigger]:
        with unit_of_work(self.sessions) as session:
            clocks = program_clocks(session)
        return {f"program:{c.program_id}": CronTrigger(day_of_week=c.weekday, hour=c.hour,
                                                       minute=c.minute, timezone=c.timezone)
                for c in clocks}

    def _remove_program_jobs(self) -> None:
        for job in self.scheduler.get_jobs():
            if job.id.startswith("program:"):
                job.remove()


async def start_scheduler(sessions: SessionFactory, config: SchedulingConfig,
                          clock: Clock = utcnow) -> CircleScheduler:
    scheduler = CircleScheduler(sessions, config, clock)
    await scheduler.start()
    return scheduler
