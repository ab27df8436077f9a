"""When the cycle engine runs: APScheduler 3 (AsyncIOScheduler) triggers, and which replica
may run them.

APScheduler only decides *when* to look; ``circles.cycle.run_due`` decides *what* is due
from the database, so its in-memory job store can be lost on restart without losing work.
On PostgreSQL one replica at a time is the scheduler: it holds a session-level advisory
lock on a dedicated connection, which PostgreSQL releases by itself when that replica dies,
so a follower takes over on its next check. On SQLite there is one process and it leads.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections import Counter
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.config import SchedulingConfig
from circles import rules
from circles.cycle import MEMBER_LOCAL, zone
from circles.model import Program, Round, Workspace, utcnow

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


class LeaderElection:
    """One advisory lock per database schema, so test schemas and separate deployments
    sharing a server do not elect each other."""

    def __init__(self, engine: Engine, name: str = "circlebot:scheduler") -> None:
        self.engine = engine
        self.name = name
        self._conn: Connection | None = None
        self._key: int | None = None

    @property
    def shared(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def acquire(self) -> bool:
        """Try to become leader without waiting; True if this process now leads."""
        if not self.shared:
            return True
        if self._conn is not None:
            return self.still_held()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            digest = hashlib.sha256(f"{self.name}:{schema}".encode()).digest()
            key = int.from_bytes(digest[:8], "big", signed=True)
            if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
                self._conn, self._key = conn, key
                return True
        except Exception:
            log.exception("leader election failed")
        conn.close()
        return False

    def still_held(self) -> bool:
        """The lock lives as long as its connection: if the connection is gone, so is the
        lock, and another replica may already lead."""
        if not self.shared:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:
            log.warning("lost the scheduler lock's connection; stepping down")
            self._drop()
            return False

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # already broken; nothing left to release
                log.debug("closing a broken leader connection", exc_info=True)

    def release(self) -> None:
        if self._conn is not None and self._key is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                self._conn.close()
            except Exception:
                log.debug("releasing the scheduler lock", exc_info=True)
            self._conn = None


class CircleScheduler:
    def __init__(self, sessions: sessionmaker[Session], config: SchedulingConfig,
                 clock: Clock = utcnow, engine: Engine | None = None) -> None:
        self.sessions = sessions
        self.cfg = config
        self.clock = clock
        self.election = LeaderElection(engine or sessions.kw["bind"])
        self.is_leader = False
        self.scheduler = AsyncIOScheduler(
            timezone=dt.UTC,
            # after a stall or a suspended laptop: one run, however late, never a backlog
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._sweeping = asyncio.Lock()

    async def start(self) -> None:
        self.scheduler.add_job(self.check_leadership, IntervalTrigger(seconds=self.cfg.leader_check_seconds),
                               id="leadership")
        self.scheduler.add_job(self.sweep, IntervalTrigger(seconds=self.cfg.sweep_seconds), id="sweep")
        self.scheduler.start()
        await self.check_leadership()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await asyncio.to_thread(self.election.release)
        self.is_leader = False

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
        from circles.cycle import run_due

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
            self.scheduler.add_job(self.sweep, trigger, id=job_id, replace_existing=True)

    def _program_triggers(self) -> dict[str, CronTrigger]:
        with self.sessions() as session:
            programs = session.scalars(
                select(Program)
                .join(Workspace, Workspace.id == Program.workspace_id)
                .where(Workspace.active.is_(True), Program.timezone != MEMBER_LOCAL,
                       Program.id.in_(select(Round.program_id).where(Round.status == "active")))
            ).all()
        out: dict[str, CronTrigger] = {}
        for p in programs:
            at = rules.parse_hhmm(p.time or "10:00")
            day = rules.WEEKDAYS[rules.weekday_index(p.day)]
            out[f"program:{p.id}"] = CronTrigger(day_of_week=day, hour=at.hour, minute=at.minute,
                                                 timezone=zone(p.timezone))
        return out

    def _remove_program_jobs(self) -> None:
        for job in self.scheduler.get_jobs():
            if job.id.startswith("program:"):
                job.remove()


async def start_scheduler(sessions: sessionmaker[Session], config: SchedulingConfig,
                          clock: Clock = utcnow) -> CircleScheduler:
    scheduler = CircleScheduler(sessions, config, clock)
    await scheduler.start()
    return scheduler
