"""The outbox worker (bot.delivery) against a Slack-like fake API on loopback.

The worker's clock is injected: a Retry-After or a backoff is "waited" by moving the clock,
and what the fake platform received is the evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from benchmarks._fake_platform import FakeChat, FakeChatGateway
from bot.config import SchedulingConfig
from bot.delivery import DeliveryWorker, RateLimiter
from bot.ports import Delivery, Sent
from bot.replies import Reply
from circles.cycle import run_due
from circles.db import unit_of_work
from circles.model import AuditEvent, Circle, OutboxMessage, PromptPost, Workspace
from circles.outbox import OutboxItem, enqueue
from tests.builders import World, seed_world

CFG = SchedulingConfig(max_attempts=3, digest_day="sun")  # no digest on prompt day


class Clock:
    """Real time plus a manual offset: rows queued 'now' are due, and waiting is instant."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


@pytest.fixture
async def chat() -> AsyncIterator[FakeChat]:
    fake = FakeChat()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def gateway(chat: FakeChat) -> AsyncIterator[FakeChatGateway]:
    gw = FakeChatGateway(chat.base)
    yield gw
    await gw.close()


def worker(db: sessionmaker[Session], gateway: FakeChatGateway, clock: Clock) -> DeliveryWorker:
    return DeliveryWorker(db, {"slack": gateway}, CFG, clock=clock)


def world(db: sessionmaker[Session], **kw) -> World:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        return seed_world(s, starts_on=dt.date(2026, 6, 1), **kw)


def post_prompts(db: sessionmaker[Session]) -> None:
    run_due(db, dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), CFG)


def row(db: sessionmaker[Session], key: str) -> OutboxMessage:
    with db() as s:
        msg = s.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        assert msg is not None
        return msg


async def drain(w: DeliveryWorker) -> None:
    while await w.run_once():
        pass


async def test_a_weekly_prompt_reaches_every_circle_once_and_threads_can_find_it(db, chat, gateway) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=5)
    post_prompts(db)
    await drain(worker(db, gateway, Clock()))
    assert sorted(m.channel for m in chat.messages) == [f"C{n:06d}" for n in range(1, 6)]
    with db() as s:
        assert set(s.scalars(select(OutboxMessage.status))) == {"sent"}
        refs = s.scalars(select(PromptPost.message_ref).order_by(PromptPost.circle_id)).all()
    assert refs == [f"C{n:06d}:{m.ts}" for n, m in zip(range(1, 6), sorted(chat.messages, key=lambda m: m.channel), strict=True)]
    assert len(w.circle_ids) == 5


async def test_a_post_waits_for_its_circle_space_then_goes_to_the_new_channel(db, chat, gateway) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=1, with_spaces=False)
    cid = w.circle_ids[0]
    with unit_of_work(db) as s:
        enqueue(s, w.workspace_id, "welcome", "post", f"circle:{cid}",
                {"circle_id": cid, "reply": {"text": "Welcome!"}})
        enqueue(s, w.workspace_id, "space", "create_space", f"circle:{cid}",
                {"circle_id": cid, "name": "peer-r1-c1", "members": ["U1", "U2"], "hub": None})
    clock = Clock()
    wk = worker(db, gateway, clock)
    await wk.run_once()
    assert row(db, "welcome").status == "pending" and chat.messages == []
    clock.advance(5)
    await drain(wk)
    assert [(m.channel, m.text) for m in chat.messages] == [(chat.created[0], "Welcome!")]
    assert row(db, "welcome").attempts == 1  # waiting for the space was not a failed attempt
    with db() as s:
        assert s.get(Circle, cid).space_id == chat.created[0]  # type: ignore[union-attr]


async def test_retry_after_is_respected_before_trying_again(db, chat, gateway) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=1)
    post_prompts(db)
    chat.scripted.append((429, {"Retry-After": "30"}))
    clock = Clock()
    wk = worker(db, gateway, clock)
    await wk.run_once()
    first = row(db, f"prompt:{w.circle_ids[0]}:1")
    assert first.status == "pending" and chat.messages == []
    assert "ratelimited" in first.last_error
    calls = chat.calls["chat.postMessage"]
    clock.advance(29)
    await wk.run_once()
    assert chat.calls["chat.postMessage"] == calls  # not even asked again before 30 s
    clock.advance(1.5)
    await drain(wk)
    assert len(chat.messages) == 1
    assert row(db, f"prompt:{w.circle_ids[0]}:1").attempts == 1  # a 429 is not a failure


async def test_a_transient_server_error_is_retried_with_backoff_and_only_then_marked_sent(db, chat, gateway) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=1)
    post_prompts(db)
    chat.scripted.append((503, {}))
    clock = Clock()
    wk = worker(db, gateway, clock)
    await wk.run_once()
    msg = row(db, f"prompt:{w.circle_ids[0]}:1")
    assert (msg.status, msg.attempts, msg.sent_at) == ("pending", 1, None)
    assert "http_503" in msg.last_error
    clock.advance(2)
    await wk.run_once()
    assert chat.messages == []
    clock.advance(10)
    await drain(wk)
    assert row(db, f"prompt:{w.circle_ids[0]}:1").status == "sent" and len(chat.messages) == 1


async def test_repeated_transient_failures_end_as_failed_after_max_attempts(db, chat, gateway) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=1)
    post_prompts(db)
    chat.scripted.extend([(500, {})] * 3)
    clock = Clock()
    wk = worker(db, gateway, clock)
    for _ in range(3):
        await wk.run_once()
        clock.advance(3600)
    msg = row(db, f"prompt:{w.circle_ids[0]}:1")
    assert msg.status == "failed" and "gave up after 3 attempts" in msg.last_error


async def test_a_deleted_channel_fails_for_good_and_the_coordinator_is_told(db, chat, gateway) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=2)
    post_prompts(db)
    chat.errors["C000001"] = "channel_not_found"
    wk = worker(db, gateway, Clock())
    await drain(wk)
    failed = row(db, f"prompt:{w.circle_ids[0]}:1")
    assert failed.status == "failed" and failed.attempts == 1
    assert "channel_not_found" in failed.last_error
    with db() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.kind == "delivery_failed")).all()
    assert [a.detail["key"] for a in audit] == [failed.key]
    assert row(db, f"prompt:{w.circle_ids[1]}:1").status == "sent"
    to_coordinator = [m for m in chat.messages if m.channel == "DUCOORD"]
    assert len(to_coordinator) == 1 and "channel_not_found" in to_coordinator[0].text


async def test_an_inactive_workspace_gets_nothing_and_rows_are_cancelled_with_a_reason(db, chat, gateway) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=2)
    post_prompts(db)
    with unit_of_work(db) as s:
        s.execute(update(Workspace).where(Workspace.id == w.workspace_id).values(active=False))
    await drain(worker(db, gateway, Clock()))
    assert chat.messages == []
    msg = row(db, f"prompt:{w.circle_ids[0]}:1")
    assert msg.status == "cancelled" and "inactive" in msg.last_error


async def test_round_end_archives_circle_spaces(db, chat, gateway) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=2, weeks=1)
    run_due(db, dt.datetime(2026, 6, 8, 10, tzinfo=dt.UTC), CFG)
    await drain(worker(db, gateway, Clock()))
    assert chat.archived == {"C000001", "C000002"}
    with db() as s:
        assert all(s.get(Circle, c).archived for c in w.circle_ids)  # type: ignore[union-attr]


async def test_a_lost_workspace_fails_without_queueing_reports_nobody_could_receive(db, chat, gateway) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=1)
    post_prompts(db)
    chat.errors["C000001"] = "token_revoked"  # the adapter classifies it as WORKSPACE_GONE
    await drain(worker(db, gateway, Clock()))
    assert row(db, f"prompt:{w.circle_ids[0]}:1").status == "failed"
    with db() as s:
        reports = s.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("delivery-failed:%"))).all()
    assert reports == [] and [m for m in chat.messages if m.channel == "DUCOORD"] == []


class Recording(FakeChatGateway):
    """Remembers the Delivery each send was given."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.deliveries: list[Delivery | None] = []

    async def post(self, workspace: str, space: str, message: Reply, thread: str | None = None,
                   *, delivery: Delivery | None = None) -> Sent:
        self.deliveries.append(delivery)
        return await super().post(workspace, space, message, thread, delivery=delivery)


async def test_each_send_is_given_its_rows_key_and_which_claim_it_is(db, chat) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=1)
    post_prompts(db)
    chat.scripted.append((503, {}))
    gw, clock = Recording(chat.base), Clock()
    try:
        wk = worker(db, gw, clock)
        await wk.run_once()
        clock.advance(3600)
        await drain(wk)
    finally:
        await gw.close()
    key = f"prompt:{w.circle_ids[0]}:1"
    assert gw.deliveries == [Delivery(key, 1), Delivery(key, 2)]
    assert [m.nonce for m in chat.messages] == [key]  # the platform saw the key too


async def test_rows_are_rendered_by_the_injected_renderer(db, chat, gateway) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=1)
    with unit_of_work(db) as s:
        enqueue(s, w.workspace_id, "typed", "dm", "member:1", {"user": "U1", "notice": "Hello"})

    def render(item: OutboxItem) -> Reply:
        return Reply(text=f"{item.payload['notice']} from {item.key}")

    await drain(DeliveryWorker(db, {"slack": gateway}, CFG, clock=Clock(), render=render))
    assert [(m.channel, m.text) for m in chat.messages] == [("DU1", "Hello from typed")]


def test_rate_limiter_spaces_messages_per_channel_and_per_workspace() -> None:
    now = [1000.0]
    limiter = RateLimiter(per_workspace=4, per_space=1, clock=lambda: now[0])
    assert [limiter.reserve("T1", "C1") for _ in range(3)] == [0.0, 1.0, 2.0]
    assert limiter.reserve("T1", "C2") == pytest.approx(0.75)  # the workspace is booked to 0.75 s
    assert limiter.reserve("T2", "C1") == 0.0  # another workspace has its own budget
    limiter.pause("T2", 30)
    assert limiter.reserve("T2", "C9") == pytest.approx(30)
