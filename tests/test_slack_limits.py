"""Slack's rate limits for apps outside the Marketplace, and living within them.

The fake enforces them like Slack: conversations.history and .replies once a minute per
workspace with at most 15 messages a page, conversations.open in Tier 3. The bot keeps each
member's DM channel (one conversations.open per member, ever) and its crash-recovery look-up
for an already-sent post waits out a history limit instead of posting twice or dropping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select, update

from adapters.slack.gateway import SlackGateway
from bot.delivery import DeliveryWorker
from circles import notices
from circles.db import unit_of_work
from circles.model import DmChannel, Member, OutboxMessage, utcnow
from tests.fakes.fake_slack import FakeSlack, SlackHarness, text_of


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    f = await FakeSlack().start()
    f.add_team("T1")
    f.add_user("T1", "U1")
    f.add_channel("T1", "busy", cid="C_BUSY")
    yield f
    await f.close()


async def call(fake: FakeSlack, method: str, **params: str) -> tuple[int, dict, dict]:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{fake.api_base}{method}", data=params,
                               headers={"Authorization": f"Bearer {fake.teams['T1'].bot_token}"})
        return resp.status, await resp.json(), dict(resp.headers)


# -- the fake limits like Slack -------------------------------------------------------------


async def test_history_is_once_a_minute_with_fifteen_messages_a_page(fake):
    for i in range(40):
        await call(fake, "chat.postMessage", channel="C_BUSY", text=f"m{i}")
    status, first, _ = await call(fake, "conversations.history", channel="C_BUSY", limit="100")
    assert status == 200 and len(first["messages"]) == 15 and first["has_more"]
    status, second, headers = await call(fake, "conversations.history", channel="C_BUSY")
    assert status == 429 and second["error"] == "ratelimited"
    assert 1 <= int(headers["Retry-After"]) <= 60
    # .replies is limited on its own, per method
    status, _, _ = await call(fake, "conversations.replies", channel="C_BUSY", ts=first["messages"][0]["ts"])
    assert status == 200
    fake.advance(60)
    status, again, _ = await call(fake, "conversations.history", channel="C_BUSY",
                                  cursor=first["response_metadata"]["next_cursor"])
    assert status == 200 and again["messages"][0]["ts"] != first["messages"][0]["ts"]


async def test_conversations_open_is_tier_3_and_the_limits_can_be_raised(fake):
    for _ in range(50):
        assert (await call(fake, "conversations.open", users="U1"))[0] == 200
    assert (await call(fake, "conversations.open", users="U1"))[0] == 429
    fake.limits.per_minute["conversations.open"] = 1000  # a test that needs many, says so
    assert (await call(fake, "conversations.open", users="U1"))[0] == 200


# -- direct messages reuse a stored channel -------------------------------------------------


def queue_dms(slack: SlackHarness, user: str, n: int, tag: str = "") -> None:
    with unit_of_work(slack.core.sessions) as s:
        m = s.scalar(select(Member).where(Member.external_id == user))
        for i in range(n):
            notices.to_member(s, m.workspace_id, m.id, user, f"note{tag}:{i}",
                              notices.Waitlisted("Spring", f"reason {i}"))


async def test_many_notices_to_one_member_open_their_dm_once_even_after_a_restart(slack: SlackHarness, db):
    await slack.command("status", user="U1")
    queue_dms(slack, "U1", 5)
    await slack.deliver()
    opened = [c for c in slack.fake.calls_to("conversations.open") if c.params["users"] == "U1"]
    assert len(opened) == 1
    dm = [m for m in slack.fake.messages if "reason" in text_of(m)]
    assert len(dm) == 5 and len({m["channel"] for m in dm}) == 1
    with db() as s:
        assert s.scalar(select(DmChannel.channel).where(DmChannel.user == "U1")) == dm[0]["channel"]
    # a new process (no memory of its own) still uses the stored channel
    slack.gateway = SlackGateway(token=slack.config.slack.bot_token, base_url=slack.fake.api_base)
    queue_dms(slack, "U1", 3, tag="b")
    await slack.deliver()
    assert len([c for c in slack.fake.calls_to("conversations.open") if c.params["users"] == "U1"]) == 1
    assert len([m for m in slack.fake.messages if "reason" in text_of(m)]) == 8


async def test_a_stored_dm_channel_that_is_gone_is_opened_again(slack: SlackHarness, db):
    await slack.command("status", user="U1")
    queue_dms(slack, "U1", 1)
    await slack.deliver()
    with db() as s:
        old = s.scalar(select(DmChannel.channel).where(DmChannel.user == "U1"))
    slack.fake.delete_channel(old)
    slack.gateway = SlackGateway(token=slack.config.slack.bot_token, base_url=slack.fake.api_base)
    queue_dms(slack, "U1", 1, tag="b")
    await slack.deliver()
    with db() as s:
        new = s.scalar(select(DmChannel.channel).where(DmChannel.user == "U1"))
        assert s.scalar(select(OutboxMessage.status).where(OutboxMessage.key == "noteb:0")) == "sent"
    assert new != old and slack.fake.posted(new)


# -- the crash-recovery look-up lives within the history limit -----------------------------


async def test_the_already_sent_look_up_waits_out_the_history_limit_and_never_posts_twice(slack: SlackHarness, db):
    from tests.test_slack_gateway import _round

    await _round(slack)
    await slack.command("status", user="U1")
    queue_dms(slack, "U1", 2)
    await slack.deliver()
    sent_before = len(slack.fake.messages)
    with db() as s:  # the crash window, for a circle post and two DMs in the same workspace
        s.execute(update(OutboxMessage)
                  .where(OutboxMessage.key.like("welcome:%") | OutboxMessage.key.like("note:%"))
                  .values(status="sending", result_ref=None,
                          not_before=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        s.commit()
    slack.gateway.clock = slack.fake.limits.now  # the gateway's waits follow the fake's minute
    ahead = [0.0]
    worker = DeliveryWorker(slack.core.sessions, {"slack": slack.gateway}, slack.config.scheduling,
                            clock=lambda: utcnow() + dt.timedelta(seconds=ahead[0]))
    await worker.run_once()
    refused = [r for r in slack.fake.limits.refused if r[0] == "conversations.history"]
    assert len(slack.fake.calls_to("conversations.history")) == 2 and len(refused) == 1, \
        "one look-up, one told to wait; the third waits without asking"
    with db() as s:
        rows = {m.key: m for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.key.like("welcome:%") | OutboxMessage.key.like("note:%")))}
    waiting = [r for r in rows.values() if r.status == "pending"]
    assert len(waiting) == 2 and all("history_rate_limited" in r.last_error for r in waiting)
    assert all(r.attempts == 1 for r in waiting), "waiting out a limit is not a failed attempt"
    assert len(slack.fake.messages) == sent_before, "nothing was posted twice"
    for _ in range(3):  # a minute passes each time, and the worker comes back
        slack.fake.advance(61)
        ahead[0] += 61
        await worker.run_once()
    with db() as s:
        statuses = {m.key: m.status for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.key.like("welcome:%") | OutboxMessage.key.like("note:%")))}
    assert set(statuses.values()) == {"sent"}
    assert len(slack.fake.messages) == sent_before
    # after each wait one look-up at a time: never more than one refusal per minute
    assert len([r for r in slack.fake.limits.refused if r[0] == "conversations.history"]) <= 1 + 3


async def test_the_look_up_reads_a_bounded_number_of_pages_and_then_refuses_to_guess(fake):
    """A retried post in a channel that has had more messages since the row was created
    than the look-up may read: it is not posted a second time on a guess; the row fails
    with the reason (and the coordinators hear of it through the worker)."""
    import time

    from bot.ports import Delivery, DeliveryError, FailureKind
    from bot.replies import Reply

    fake.limits.per_minute["conversations.history"] = 100  # only the page bound is under test
    gateway = SlackGateway(token=fake.teams["T1"].bot_token, base_url=fake.api_base)
    since = time.time()
    for i in range(70):
        await call(fake, "chat.postMessage", channel="C_BUSY", text=f"chatter {i}")
    before = len(fake.posted("C_BUSY"))
    retry = Delivery("prompt:9:1", attempt=2, since=since)
    with pytest.raises(DeliveryError) as err:
        await gateway.post("T1", "C_BUSY", Reply(text="Week 1 prompt"), delivery=retry)
    assert err.value.kind is FailureKind.PERMANENT and err.value.code == "unverified_send"
    assert len(fake.calls_to("conversations.history")) == 4
    assert all(int(c.params.get("limit", 0)) <= 15 for c in fake.calls_to("conversations.history"))
    assert len(fake.posted("C_BUSY")) == before
