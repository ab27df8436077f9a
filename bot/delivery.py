"""The outbox worker: sends what the engine committed, at most as fast as platforms allow.

The engine (``circles.outbox``) owns the rows: claiming them with a lease, marking them
sent or failed, rescheduling. This module owns the policy: pacing, retries from the neutral
:class:`FailureKind` an adapter set, and the words a coordinator reads when something could
not be delivered. Each send carries a :class:`Delivery` (the row's idempotency key and which
claim this is), so gateways that support platform-side deduplication can make the crash
window between "accepted" and "marked sent" duplicate-free too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Mapping

from bot.config import SchedulingConfig
from bot.ports import (
    ALL_CAPABILITIES,
    Capabilities,
    ChatGateway,
    Delivery,
    DeliveryError,
    FailureKind,
    Sent,
    SentNote,
    capabilities_of,
)
from bot.presenters import render_payload
from bot.replies import Field, Reply
from circles import outbox
from circles.db import SessionFactory, database_problem, unit_of_work
from circles.outbox import OutboxItem

log = logging.getLogger(__name__)

DEFER_SECONDS = 5.0
MAX_INLINE_WAIT = 5.0

Render = Callable[[OutboxItem], Reply]
"""Turns a post/dm row into the message to send (swappable: presenters of typed notices)."""


def reply_of(item: OutboxItem, can: Capabilities = ALL_CAPABILITIES) -> Reply:
    """The default renderer: the row's typed notice worded now by the presenters, for what
    the platform it goes to can do (or, for a row that carries a ready Reply, that Reply)."""
    return render_payload(item.payload, can)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


def backoff_seconds(attempts: int) -> float:
    """Exponential with jitter, capped at an hour, so a flapping platform is not hammered."""
    return min(3600.0, 5.0 * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


# --- the words coordinators read (the bot owns them; the engine only queues the DMs) --------

def note_reply(note: SentNote) -> Reply:
    """What a coordinator is told when a platform did something other than asked."""
    if note is SentNote.GROUP_DM_FALLBACK:
        text = ("Circlebot may not create private channels in this workspace, so this circle "
                "meets in a group DM instead. Give Circlebot the permission to create private "
                "channels (reinstall it with every scope) to get a channel next time.")
    else:  # a note added to SentNote without words here still reaches someone
        text = f"A circle space was created differently than asked ({note})."
    return Reply(text=text, tone="warning", title="Circle space")


def failure_reply(item: OutboxItem, error: DeliveryError) -> Reply:
    where = f"circle {item.circle_id}" if item.circle_id is not None else "a member"
    return Reply(
        title="A message could not be delivered",
        text=f"I gave up sending a {item.action} to {where}: {error}",
        fields=[Field("Error code", error.code)],
        tone="error",
    )


def error_text(error: DeliveryError) -> str:
    return f"{error.code}: {error}" if str(error) != error.code else error.code


class DeliveryWorker:
    def __init__(
        self,
        sessions: SessionFactory,
        gateways: Mapping[str, ChatGateway],
        config: SchedulingConfig,
        clock: Callable[[], dt.datetime] = _utcnow,
        limiter: RateLimiter | None = None,
        render: Render | None = None,
    ) -> None:
        self.sessions = sessions
        self.gateways = gateways  # adapters register theirs after start: keep the same dict
        self.cfg = config
        self.clock = clock
        self._db_down = False  # the database was unreachable at the last poll
        self.render = render  # None: the presenters, worded for each gateway's capabilities
        self.limiter = limiter or RateLimiter(config.per_workspace_per_second, config.per_space_per_second,
                                              clock=lambda: self.clock().timestamp())

    # --- database steps (run in a thread: the event loop keeps serving the chat) ---------

    def _claim(self) -> list[OutboxItem]:
        now = self.clock()
        with unit_of_work(self.sessions) as session:
            return outbox.claim_due(
                session, now, platforms=list(self.gateways), limit=self.cfg.delivery_batch,
                lease_until=now + dt.timedelta(seconds=self.cfg.delivery_lease_seconds))

    def _space_of(self, item: OutboxItem) -> outbox.SpaceLookup:
        with unit_of_work(self.sessions) as session:
            return outbox.space_for(session, item)

    def _reschedule(self, item: OutboxItem, seconds: float, attempts: int, note: str) -> None:
        with unit_of_work(self.sessions) as session:
            outbox.reschedule(session, item.id, attempts=attempts, note=note,
                              not_before=self.clock() + dt.timedelta(seconds=seconds))

    def _release(self, item: OutboxItem, seconds: float, note: str = "") -> None:
        """Put a row back without counting an attempt (it was never tried)."""
        self._reschedule(item, seconds, item.attempts - 1, note)

    def _cancel(self, item: OutboxItem, note: str) -> None:
        with unit_of_work(self.sessions) as session:
            outbox.cancel(session, item.id, note)

    def _sent(self, item: OutboxItem, sent: Sent | None) -> None:
        with unit_of_work(self.sessions, now=self.clock()) as session:
            outbox.mark_sent(session, item, sent.ref if sent else None, self.clock())
            if sent is not None and sent.note is not None:
                outbox.enqueue_for_coordinators(session, item.workspace_id, f"space-fallback:{item.id}",
                                                {"reply": note_reply(sent.note).to_dict()})

    def _failed(self, item: OutboxItem, error: DeliveryError) -> None:
        """Give up, leaving a record a coordinator can act on, and tell the coordinators
        (unless the workspace itself is gone, or this was already such a report)."""
        with unit_of_work(self.sessions, now=self.clock()) as session:
            outbox.mark_failed(session, item, error_text(error))
            if error.kind is FailureKind.WORKSPACE_GONE or item.key.startswith("delivery-failed:"):
                return
            outbox.enqueue_for_coordinators(session, item.workspace_id, f"delivery-failed:{item.id}",
                                            {"reply": failure_reply(item, error).to_dict()})

    # --- sending ---------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one batch and send it; returns how many rows were handled."""
        items = await asyncio.to_thread(self._claim)
        if not items:
            return 0
        gate = asyncio.Semaphore(self.cfg.delivery_concurrency)

        async def one(item: OutboxItem) -> None:
            async with gate:
                await self._deliver(item)

        await asyncio.gather(*(one(item) for item in items))
        return len(items)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception as exc:  # a database hiccup must not kill delivery for good
                problem = database_problem(exc)
                if problem is None:
                    log.exception("delivery batch failed")
                elif not self._db_down:  # one line per outage, not a traceback a second
                    log.warning("delivery paused: the database %s (%s); retrying",
                                "is too slow" if problem.kind == "timeout" else "can't be reached",
                                problem.detail)
                self._db_down = problem is not None
                handled = 0
            else:
                if self._db_down:
                    log.warning("delivery resumed: the database is back")
                self._db_down = False
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.cfg.delivery_poll_seconds)

    async def _deliver(self, item: OutboxItem) -> None:
        if not item.active:
            await asyncio.to_thread(self._cancel, item, "workspace inactive (bot removed or uninstalled)")
            return
        gateway = self.gateways[item.platform]
        space: str | None = None
        if item.action in ("post", "archive_space", "invite"):
            found = await asyncio.to_thread(self._space_of, item)
            space = found.space
            if space is None:
                if found.pending:
                    await asyncio.to_thread(self._release, item, DEFER_SECONDS, "waiting for the circle space")
                else:  # counted as an attempt, so it ends as "failed" if the space never comes
                    error = DeliveryError("no_space", "the circle has no space", kind=FailureKind.TRANSIENT)
                    await asyncio.to_thread(self._on_error, item, error)
                return
        lane = space if item.action == "post" else None
        if item.action == "dm":
            lane = f"dm:{item.payload['user']}"
        delay = self.limiter.reserve(item.workspace, lane)
        if delay > MAX_INLINE_WAIT:
            await asyncio.to_thread(self._release, item, delay, "rate limited (client side)")
            return
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            sent = await self._call(gateway, item, space)
        except DeliveryError as exc:
            await asyncio.to_thread(self._on_error, item, exc)
            return
        except Exception as exc:  # a bug or network error: retry, and keep the reason
            log.exception("delivery of %s failed", item.key)
            await asyncio.to_thread(self._on_error, item,
                                    DeliveryError(type(exc).__name__, str(exc), kind=FailureKind.TRANSIENT))
            return
        await asyncio.to_thread(self._sent, item, sent)

    def _message(self, item: OutboxItem, gateway: ChatGateway) -> Reply:
        if self.render is not None:
            return self.render(item)
        return reply_of(item, capabilities_of(gateway))

    async def _call(self, gateway: ChatGateway, item: OutboxItem, space: str | None) -> Sent:
        p = item.payload
        delivery = Delivery(item.key, item.attempts)
        if item.action == "post":
            assert space is not None
            return await gateway.post(item.workspace, space, self._message(item, gateway),
                                      p.get("thread"), delivery=delivery)
        if item.action == "dm":
            return await gateway.dm(item.workspace, p["user"], self._message(item, gateway),
                                    delivery=delivery)
        if item.action == "create_space":
            return await gateway.create_space(item.workspace, p["name"], list(p.get("members", [])),
                                              p.get("hub"), delivery=delivery)
        if item.action == "invite":  # a late joiner added to an existing circle's space
            assert space is not None
            await gateway.invite(item.workspace, space, list(p.get("users", [])))
            return Sent(space)
        if item.action == "archive_space":
            assert space is not None
            await gateway.archive_space(item.workspace, space)
            return Sent(space)
        raise DeliveryError("unknown_action", f"unknown outbox action {item.action!r}",
                            kind=FailureKind.PERMANENT)

    def _on_error(self, item: OutboxItem, exc: DeliveryError) -> None:
        if exc.permanent:
            self._failed(item, exc)
            return
        attempts = item.attempts
        if exc.retry_after is not None:  # being told to slow down is not a failed attempt
            self.limiter.pause(item.workspace, exc.retry_after)
            attempts -= 1
        if attempts >= self.cfg.max_attempts:
            self._failed(item, DeliveryError(exc.code, f"gave up after {item.attempts} attempts: {exc}",
                                             kind=FailureKind.PERMANENT))
            return
        wait = exc.retry_after if exc.retry_after is not None else backoff_seconds(item.attempts)
        self._reschedule(item, wait, attempts, f"{exc.code}: {exc}")
