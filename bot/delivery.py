"""The outbox worker: sends what the engine committed, at most as fast as platforms allow.

A row is claimed with a lease (status "sending", ``not_before`` = lease end): if the worker
dies mid-send, any replica re-claims it once the lease expires. A row becomes "sent" only
after the platform accepted it. While sending, ``delivery_key`` carries the row's idempotency
key so gateways that support platform-side deduplication (Discord ``nonce`` with
``enforce_nonce``) can make the crash window between "accepted" and "marked sent"
duplicate-free too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import random
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.config import SchedulingConfig
from bot.ports import ChatGateway, DeliveryError
from bot.presenters import render_payload
from bot.replies import Field, Reply
from circles.db import unit_of_work
from circles.model import AuditEvent, Circle, OutboxMessage, PromptPost, Workspace, utcnow
from circles.outbox import enqueue

log = logging.getLogger(__name__)

delivery_key: ContextVar[str | None] = ContextVar("circlebot_delivery_key", default=None)
# which claim of the row this send is: > 1 means an earlier claim may have reached the
# platform before its worker died, so gateways that can look should check before resending
delivery_attempt: ContextVar[int] = ContextVar("circlebot_delivery_attempt", default=1)

# errors that mean the whole workspace is unreachable: telling its coordinators would fail too
WORKSPACE_GONE = frozenset(
    {"invalid_auth", "token_revoked", "account_inactive", "not_authed", "bot_removed",
     "missing_access", "unknown_guild", "team_access_not_granted"}
)
DEFER_SECONDS = 5.0
MAX_INLINE_WAIT = 5.0


def nonce_for(key: str) -> str:
    """A 25-character stand-in for an idempotency key (Discord's nonce limit)."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]


class RateLimiter:
    """Reserves send slots per workspace and per space, so sends are spaced out before the
    platform has to say 429, and a Retry-After pauses the whole workspace."""

    def __init__(self, per_workspace: float, per_space: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ws_interval = 1.0 / per_workspace if per_workspace > 0 else 0.0
        self.space_interval = 1.0 / per_space if per_space > 0 else 0.0
        self.clock = clock
        self._ws: dict[str, float] = {}
        self._space: dict[tuple[str, str], float] = {}

    def reserve(self, workspace: str, space: str | None) -> float:
        """Book the earliest slot allowed for this send; returns seconds until it."""
        now = self.clock()
        # the workspace budget is consumed in arrival order (a GCRA theoretical arrival time),
        # so one busy channel waiting for its own slot does not hold back every other channel
        ws_slot = max(now, self._ws.get(workspace, now))
        self._ws[workspace] = ws_slot + self.ws_interval
        slot = ws_slot
        if space is not None:
            slot = max(slot, self._space.get((workspace, space), now))
            self._space[(workspace, space)] = slot + self.space_interval
        return slot - now

    def pause(self, workspace: str, seconds: float) -> None:
        self._ws[workspace] = max(self._ws.get(workspace, 0.0), self.clock() + seconds)


@dataclass
class Job:
    id: int
    workspace_id: int
    workspace: str  # platform workspace id
    platform: str
    active: bool
    key: str
    action: str
    payload: dict[str, Any]
    attempts: int


def backoff_seconds(attempts: int) -> float:
    """Exponential with jitter, capped at an hour, so a flapping platform is not hammered."""
    return min(3600.0, 5.0 * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


class DeliveryWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        gateways: Mapping[str, ChatGateway],
        config: SchedulingConfig,
        clock: Callable[[], dt.datetime] = utcnow,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.sessions = sessions
        self.gateways = gateways  # adapters register theirs after start: keep the same dict
        self.cfg = config
        self.clock = clock
        self.limiter = limiter or RateLimiter(config.per_workspace_per_second, config.per_space_per_second,
                                              clock=lambda: self.clock().timestamp())
        self._skip_locked = sessions.kw["bind"].dialect.name == "postgresql"

    # --- database steps (run in a thread: the event loop keeps serving the chat) ---------

    def _claim(self) -> list[Job]:
        now = self.clock()
        lease = now + dt.timedelta(seconds=self.cfg.delivery_lease_seconds)
        with unit_of_work(self.sessions) as session:
            query = (
                select(OutboxMessage, Workspace)
                .join(Workspace, Workspace.id == OutboxMessage.workspace_id)
                .where(
                    OutboxMessage.status.in_(("pending", "sending")),
                    OutboxMessage.not_before <= now,
                    or_(Workspace.platform.in_(list(self.gateways)), Workspace.active.is_(False)),
                )
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
                .limit(self.cfg.delivery_batch)
            )
            if self._skip_locked:
                query = query.with_for_update(skip_locked=True, of=OutboxMessage)
            jobs = []
            for msg, ws in session.execute(query).all():
                msg.status = "sending"
                msg.not_before = lease
                msg.attempts += 1
                jobs.append(Job(msg.id, ws.id, ws.external_id, ws.platform, ws.active, msg.key,
                                msg.action, dict(msg.payload), msg.attempts))
            return jobs

    def _space_of(self, job: Job) -> tuple[str | None, bool]:
        """(space id, whether it may still appear because its create_space is pending)."""
        circle_id = job.payload.get("circle_id")
        if circle_id is None:
            return job.payload.get("space"), False
        with self.sessions() as session:
            circle = session.scalar(
                select(Circle).where(Circle.workspace_id == job.workspace_id, Circle.id == circle_id)
            )
            if circle is None:
                return None, False
            if circle.space_id:
                return circle.space_id, False
            pending = session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.workspace_id == job.workspace_id,
                    OutboxMessage.action == "create_space",
                    OutboxMessage.target.in_((str(circle_id), f"circle:{circle_id}")),
                    OutboxMessage.status.in_(("pending", "sending")),
                )
            )
            if pending is None and job.payload.get("space"):
                return job.payload["space"], False
            return None, pending is not None

    def _finish(self, job: Job, **values: Any) -> None:
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == job.id, OutboxMessage.status == "sending")
                .values(**values)
            )

    def _sent(self, job: Job, ref: str | None) -> None:
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == job.id)
                .values(status="sent", sent_at=self.clock(), result_ref=ref, last_error="")
            )
            circle_id = job.payload.get("circle_id")
            if job.action == "create_space" and circle_id is not None:
                session.execute(update(Circle).where(
                    Circle.workspace_id == job.workspace_id, Circle.id == circle_id).values(space_id=ref))
                note = getattr(ref, "note", None)  # e.g. Slack fell back to a group DM
                if note:
                    from circles.cycle import notify_coordinators
                    from circles.notices import SpaceFallback

                    notify_coordinators(session, job.workspace_id, f"space-fallback:{job.id}",
                                        SpaceFallback(note))
            elif job.action == "archive_space" and circle_id is not None:
                session.execute(update(Circle).where(
                    Circle.workspace_id == job.workspace_id, Circle.id == circle_id).values(archived=True))
            elif job.action == "post" and job.payload.get("prompt_post_id"):
                session.execute(update(PromptPost).where(
                    PromptPost.workspace_id == job.workspace_id,
                    PromptPost.id == job.payload["prompt_post_id"]).values(message_ref=ref))

    def _failed(self, job: Job, error: DeliveryError) -> None:
        """Give up, leaving a record a coordinator can act on."""
        text = f"{error.code}: {error}" if str(error) != error.code else error.code
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == job.id)
                .values(status="failed", last_error=text)
            )
            session.add(AuditEvent(
                workspace_id=job.workspace_id, kind="delivery_failed",
                detail={"outbox_id": job.id, "key": job.key, "action": job.action, "error": text},
            ))
            if error.code in WORKSPACE_GONE or job.key.startswith("delivery-failed:"):
                return
            from circles.cycle import coordinators

            where = f"circle {job.payload['circle_id']}" if job.payload.get("circle_id") else "a member"
            reply = Reply(
                title="A message could not be delivered",
                text=f"I gave up sending a {job.action} to {where}: {error}",
                fields=[Field("Error code", error.code)],
                tone="error",
            )
            for member in coordinators(session, job.workspace_id):
                enqueue(session, job.workspace_id, f"delivery-failed:{job.id}:m{member.id}", "dm",
                        str(member.id), {"user": member.external_id, "reply": reply.to_dict()})

    # --- sending ---------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one batch and send it; returns how many rows were handled."""
        jobs = await asyncio.to_thread(self._claim)
        if not jobs:
            return 0
        gate = asyncio.Semaphore(self.cfg.delivery_concurrency)

        async def one(job: Job) -> None:
            async with gate:
                await self._deliver(job)

        await asyncio.gather(*(one(job) for job in jobs))
        return len(jobs)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # a database hiccup must not kill delivery for good
                log.exception("delivery batch failed")
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.cfg.delivery_poll_seconds)

    def _release(self, job: Job, seconds: float, note: str = "") -> None:
        """Put a row back without counting an attempt (it was never tried)."""
        self._finish(job, status="pending", attempts=job.attempts - 1, last_error=note,
                     not_before=self.clock() + dt.timedelta(seconds=seconds))

    async def _deliver(self, job: Job) -> None:
        if not job.active:
            await asyncio.to_thread(self._finish, job, status="cancelled",
                                    last_error="workspace inactive (bot removed or uninstalled)")
            return
        gateway = self.gateways[job.platform]
        space: str | None = None
        if job.action in ("post", "archive_space", "invite"):
            space, wait = await asyncio.to_thread(self._space_of, job)
            if space is None:
                if wait:
                    await asyncio.to_thread(self._release, job, DEFER_SECONDS, "waiting for the circle space")
                else:  # counted as an attempt, so it ends as "failed" if the space never comes
                    error = DeliveryError("no_space", "the circle has no space", permanent=False)
                    await asyncio.to_thread(self._on_error, job, error)
                return
        lane = space if job.action == "post" else None
        if job.action == "dm":
            lane = f"dm:{job.payload['user']}"
        delay = self.limiter.reserve(job.workspace, lane)
        if delay > MAX_INLINE_WAIT:
            await asyncio.to_thread(self._release, job, delay, "rate limited (client side)")
            return
        if delay > 0:
            await asyncio.sleep(delay)
        token = delivery_key.set(job.key)
        attempt = delivery_attempt.set(job.attempts)
        try:
            ref = await self._call(gateway, job, space)
        except DeliveryError as exc:
            await asyncio.to_thread(self._on_error, job, exc)
            return
        except Exception as exc:  # a bug or network error: retry, and keep the reason
            log.exception("delivery of %s failed", job.key)
            await asyncio.to_thread(self._on_error, job, DeliveryError(type(exc).__name__, str(exc), permanent=False))
            return
        finally:
            delivery_key.reset(token)
            delivery_attempt.reset(attempt)
        await asyncio.to_thread(self._sent, job, ref)

    async def _call(self, gateway: ChatGateway, job: Job, space: str | None) -> str | None:
        p = job.payload
        if job.action == "post":
            assert space is not None
            return await gateway.post(job.workspace, space, render_payload(p), p.get("thread"))
        if job.action == "dm":
            return await gateway.dm(job.workspace, p["user"], render_payload(p))
        if job.action == "create_space":
            return await gateway.create_space(job.workspace, p["name"], list(p.get("members", [])), p.get("hub"))
        if job.action == "invite":  # a late joiner added to an existing circle's space
            assert space is not None
            await gateway.invite(job.workspace, space, list(p.get("users", [])))
            return space
        if job.action == "archive_space":
            assert space is not None
            await gateway.archive_space(job.workspace, space)
            return space
        raise DeliveryError("unknown_action", f"unknown outbox action {job.action!r}", permanent=True)

    def _on_error(self, job: Job, exc: DeliveryError) -> None:
        if exc.permanent:
            self._failed(job, exc)
            return
        attempts = job.attempts
        if exc.retry_after is not None:  # being told to slow down is not a failed attempt
            self.limiter.pause(job.workspace, exc.retry_after)
            attempts -= 1
        if attempts >= self.cfg.max_attempts:
            self._failed(job, DeliveryError(exc.code, f"gave up after {job.attempts} attempts: {exc}",
                                            permanent=True))
            return
        wait = exc.retry_after if exc.retry_after is not None else backoff_seconds(job.attempts)
        self._finish(job, status="pending", last_error=f"{exc.code}: {exc}", attempts=attempts,
                     not_before=self.clock() + dt.timedelta(seconds=wait))
