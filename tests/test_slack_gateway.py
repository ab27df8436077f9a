"""SlackGateway: what the delivery worker gets from Slack, including every way a real
workspace says no. Each failure is a DeliveryError the outbox can act on, with a message a
coordinator can act on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.slack.gateway import SlackGateway, channel_name
from bot.ports import Delivery, DeliveryError, FailureKind, Sent, SentNote
from bot.replies import Button, Reply
from circles.model import OutboxMessage
from tests.fakes.fake_slack import FakeSlack, SlackHarness, pings, text_of

MEMBERS = ["U1", "U2", "U3"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    f = await FakeSlack().start()
    f.add_team("T1")
    for i in range(1, 12):
        f.add_user("T1", f"U{i}")
    yield f
    await f.close()
    assert f.violations == []


@pytest.fixture
def gateway(fake: FakeSlack) -> SlackGateway:
    return SlackGateway(token=fake.teams["T1"].bot_token, base_url=fake.api_base)


async def test_creates_a_private_channel_and_invites_the_members(fake: FakeSlack,
                                                                 gateway: SlackGateway) -> None:
    sent = await gateway.create_space("T1", "Spring Circles-r1-c1", MEMBERS)
    space = sent.ref
    ch = fake.channels[space]
    assert ch["is_private"] and ch["name"] == "spring-circles-r1-c1"
    assert set(MEMBERS) <= fake.members[space]
    assert sent == Sent(space, note=None)


async def test_a_taken_channel_name_gets_a_suffix(fake: FakeSlack, gateway: SlackGateway) -> None:
    fake.add_channel("T1", "spring-r1-c1")
    fake.add_channel("T1", "spring-r1-c1-2", private=True)
    space = (await gateway.create_space("T1", "spring-r1-c1", MEMBERS)).ref
    assert fake.channels[space]["name"] == "spring-r1-c1-3"
    tried = [c.params["name"] for c in fake.calls_to("conversations.create")]
    assert tried == ["spring-r1-c1", "spring-r1-c1-2", "spring-r1-c1-3"]


def test_channel_names_follow_slack_rules() -> None:
    assert channel_name("Ünïcode  Circle!! #1") == "unicode-circle-1"
    assert channel_name("x" * 200) == "x" * 80
    assert channel_name("🎉") == "circle"


async def test_a_retried_create_reuses_the_channel_it_already_made(fake: FakeSlack,
                                                                   gateway: SlackGateway) -> None:
    fake.fail("conversations.invite", "ratelimited", status=429, retry_after=3)
    with pytest.raises(DeliveryError) as err:
        await gateway.create_space("T1", "spring-r1-c1", MEMBERS)
    assert not err.value.permanent and err.value.retry_after == 3
    space = (await gateway.create_space("T1", "spring-r1-c1", MEMBERS)).ref
    assert len(fake.calls_to("conversations.create")) == 1
    assert set(MEMBERS) <= fake.members[space]


@pytest.mark.parametrize("refusal", ["missing_scope", "restricted_action"])
async def test_without_channel_rights_a_circle_gets_a_group_dm(fake: FakeSlack,
                                                               gateway: SlackGateway,
                                                               refusal: str) -> None:
    fake.fail("conversations.create", refusal, needed="groups:write")
    sent = await gateway.create_space("T1", "spring-r1-c1", MEMBERS)
    space = sent.ref
    assert fake.channels[space]["is_mpim"]
    assert sent.note is SentNote.GROUP_DM_FALLBACK
    await gateway.archive_space("T1", space)  # group DMs can't be archived: closed instead
    assert fake.channels[space]["closed"]


async def test_a_circle_too_big_for_a_group_dm_fails_permanently_with_the_reason(
        fake: FakeSlack, gateway: SlackGateway) -> None:
    fake.fail("conversations.create", "missing_scope", needed="groups:write")
    with pytest.raises(DeliveryError) as err:
        await gateway.create_space("T1", "big", [f"U{i}" for i in range(1, 11)])
    assert err.value.permanent and "groups:write" in str(err.value)


async def test_archiving_is_idempotent(fake: FakeSlack, gateway: SlackGateway) -> None:
    space = (await gateway.create_space("T1", "spring-r1-c1", MEMBERS)).ref
    await gateway.archive_space("T1", space)
    await gateway.archive_space("T1", space)
    assert fake.channels[space]["is_archived"]


async def test_post_renders_the_reply_and_returns_the_ts_for_threads(fake: FakeSlack,
                                                                     gateway: SlackGateway) -> None:
    space = (await gateway.create_space("T1", "c", MEMBERS)).ref
    reply = Reply(text="Hi <!here> **all**", title="Week 1", mentions=["U1"],
                  buttons=[Button("Answer", "answer", "7", "primary")])
    ts = (await gateway.post("T1", space, reply)).ref
    msg = fake.posted(space)[-1]
    assert msg["ts"] == ts and pings(msg["text"]) == ["@U1"]
    assert "&lt;!here&gt; *all*" in text_of(msg)
    await gateway.post("T1", space, Reply(text="in thread"), thread=ts)
    assert fake.posted(space)[-1]["thread_ts"] == ts


async def test_dm_opens_the_conversation_first(fake: FakeSlack, gateway: SlackGateway) -> None:
    await gateway.dm("T1", "U2", Reply(text="hello"))
    assert fake.methods()[-2:] == ["conversations.open", "chat.postMessage"]
    assert fake.channels[fake.messages[-1]["channel"]]["is_im"]


async def test_not_in_a_public_channel_joins_once_and_posts(fake: FakeSlack,
                                                            gateway: SlackGateway) -> None:
    public = fake.add_channel("T1", "announcements", bot_member=False)
    await gateway.post("T1", public, Reply(text="hi"))
    assert fake.methods()[-3:] == ["chat.postMessage", "conversations.join", "chat.postMessage"]


async def test_removed_from_a_private_channel_is_permanent(fake: FakeSlack,
                                                          gateway: SlackGateway) -> None:
    space = (await gateway.create_space("T1", "c", MEMBERS)).ref
    fake.fail("chat.postMessage", "not_in_channel", channel=space)
    fake.fail("conversations.join", "method_not_supported_for_channel_type")
    with pytest.raises(DeliveryError) as err:
        await gateway.post("T1", space, Reply(text="hi"))
    assert err.value.permanent and err.value.code == "not_in_channel"
    assert "invite @Circlebot" in str(err.value)


GONE = FailureKind.WORKSPACE_GONE


@pytest.mark.parametrize(("code", "says", "kind"), [
    ("channel_not_found", "no longer exists", FailureKind.PERMANENT),
    ("is_archived", "archived", FailureKind.PERMANENT),
    ("invalid_auth", "reinstall", GONE),
    ("account_inactive", "reinstall", GONE),
    ("token_revoked", "reinstall", GONE),
])
async def test_permanent_errors_are_classified_with_a_clear_message(
        fake: FakeSlack, gateway: SlackGateway, code: str, says: str, kind: FailureKind) -> None:
    fake.fail("chat.postMessage", code)
    with pytest.raises(DeliveryError) as err:
        await gateway.post("T1", "C123", Reply(text="hi"))
    assert err.value.permanent and err.value.code == code and says in str(err.value)
    assert err.value.kind is kind  # the core decides from the kind, never from Slack's code


async def test_missing_scope_names_the_scope(fake: FakeSlack, gateway: SlackGateway) -> None:
    fake.fail("conversations.archive", "missing_scope", needed="groups:write",
              provided="chat:write")
    with pytest.raises(DeliveryError) as err:
        await gateway.archive_space("T1", "G123")
    assert err.value.permanent and "`groups:write`" in str(err.value)


async def test_rate_limit_surfaces_retry_after_to_the_outbox(fake: FakeSlack,
                                                             gateway: SlackGateway) -> None:
    fake.fail("chat.postMessage", "ratelimited", status=429, retry_after=30)
    with pytest.raises(DeliveryError) as err:
        await gateway.post("T1", "C123", Reply(text="hi"))
    assert err.value.code == "ratelimited" and err.value.kind is FailureKind.TRANSIENT
    assert err.value.retry_after == 30
    assert len(fake.calls_to("chat.postMessage")) == 1  # no hidden retries inside the client


async def test_slack_outages_are_transient(fake: FakeSlack, gateway: SlackGateway) -> None:
    fake.fail("chat.postMessage", "internal_error", status=500)
    with pytest.raises(DeliveryError) as err:
        await gateway.post("T1", "C123", Reply(text="hi"))
    assert not err.value.permanent


async def test_a_deleted_channel_and_a_revoked_token_are_permanent(fake: FakeSlack,
                                                                   gateway: SlackGateway) -> None:
    space = (await gateway.create_space("T1", "c", MEMBERS)).ref
    fake.delete_channel(space)
    with pytest.raises(DeliveryError) as err:
        await gateway.post("T1", space, Reply(text="hi"))
    assert (err.value.code, err.value.permanent) == ("channel_not_found", True)
    fake.revoke("T1")
    with pytest.raises(DeliveryError) as err:
        await gateway.dm("T1", "U1", Reply(text="hi"))
    assert (err.value.code, err.value.permanent) == ("token_revoked", True)


# ----------------------------------------------------- through the real delivery worker


async def _round(slack: SlackHarness) -> None:
    from tests.test_slack_commands import MEMBERS as PEOPLE
    from tests.test_slack_commands import join_with_profile

    await slack.command("status", user="U6")
    await slack.command("coordinators add <@U6>", user="U_ADMIN")
    await slack.command('program create "Spring Circles" size=3', user="U_ADMIN")
    for user in PEOPLE[:3]:
        await join_with_profile(slack, user)
    await slack.command("round preview", user="U_ADMIN")
    await slack.command("round publish", user="U_ADMIN")


async def test_a_deleted_circle_channel_is_reported_to_coordinators(slack: SlackHarness,
                                                                    db) -> None:  # type: ignore[no-untyped-def]
    await _round(slack)
    await slack.deliver()  # channel created, welcome posted
    channel = slack.fake.calls_to("conversations.create")[0]
    space = slack.fake.channel_by_name(channel.params["name"])["id"]
    slack.fake.delete_channel(space)
    asked = await slack.command("round end", user="U_ADMIN")
    confirm = next(e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"])
    await slack.press(confirm["action_id"], confirm["value"], user="U_ADMIN", ephemeral=True)
    await slack.deliver()
    with db() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.action == "archive_space"))
        assert row is not None and row.status == "failed" and "channel_not_found" in row.last_error
    told = [m for m in slack.fake.messages
            if slack.fake.channels.get(m["channel"], {}).get("is_im")
            and "U6" in slack.fake.members[m["channel"]]]
    assert told and "channel_not_found" in text_of(told[-1])


async def test_a_rate_limited_send_stays_queued_with_nothing_lost(slack: SlackHarness,
                                                                  db) -> None:  # type: ignore[no-untyped-def]
    await _round(slack)
    slack.fake.fail("conversations.create", "ratelimited", status=429, retry_after=20)
    await slack.deliver(skip_ahead=0)
    with db() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.action == "create_space"))
        assert row is not None and row.status == "pending" and "ratelimited" in row.last_error
    await slack.deliver()
    with db() as s:
        statuses = {m.action: m.status for m in s.scalars(select(OutboxMessage))}
    assert statuses["create_space"] == "sent" and statuses["post"] == "sent"


async def test_group_dm_fallback_through_the_worker(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await _round(slack)
    slack.fake.fail("conversations.create", "missing_scope", needed="groups:write")
    await slack.deliver()
    mpims = [cid for cid, c in slack.fake.channels.items() if c.get("is_mpim")]
    assert len(mpims) == 1
    assert "Why you were matched" in text_of(slack.fake.posted(mpims[0])[0])
    with db() as s:  # the fallback came back typed, and the core queued the coordinators' DM
        assert s.scalar(select(OutboxMessage.id).where(OutboxMessage.key.like("space-fallback:%")))
    told = [m for m in slack.fake.messages
            if slack.fake.channels.get(m["channel"], {}).get("is_im")
            and "U6" in slack.fake.members[m["channel"]]]
    assert told and "group DM" in text_of(told[-1]), [text_of(m) for m in told]  # the coordinator is told, by DM


async def test_a_retried_post_that_slack_already_accepted_is_not_posted_again(
        fake: FakeSlack, gateway: SlackGateway) -> None:
    space = (await gateway.create_space("T1", "c", MEMBERS)).ref
    first_claim = Delivery("prompt:7:1", attempt=1)
    first = (await gateway.post("T1", space, Reply(text="Week 1 prompt"), delivery=first_claim)).ref
    assert fake.history_calls == 0  # a first attempt never pays for a look-up
    retry = Delivery("prompt:7:1", attempt=2)  # the row was claimed again after a crash
    again = (await gateway.post("T1", space, Reply(text="Week 1 prompt"), delivery=retry)).ref
    dm_first = (await gateway.dm("T1", "U2", Reply(text="nudge"), delivery=retry)).ref
    dm_again = (await gateway.dm("T1", "U2", Reply(text="nudge"), delivery=retry)).ref
    assert again == first and len(fake.posted(space)) == 1
    assert dm_again == dm_first


async def test_a_worker_that_died_after_slack_accepted_a_post_does_not_post_twice(
        slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from sqlalchemy import update

    await _round(slack)
    await slack.deliver()
    welcomes = [m for m in slack.fake.messages if "Why you were matched" in text_of(m)]
    assert len(welcomes) == 1
    with db() as s:  # the crash window: Slack has the message, the outbox never heard back
        s.execute(update(OutboxMessage).where(OutboxMessage.key.like("welcome:%"))
                  .values(status="sending", result_ref=None,  # … and its lease has run out
                          not_before=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        s.commit()
    await slack.deliver()
    assert len([m for m in slack.fake.messages if "Why you were matched" in text_of(m)]) == 1
    with db() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.key.like("welcome:%")))
        assert row.status == "sent" and row.result_ref == welcomes[0]["ts"]


async def test_a_late_joiner_is_invited_to_the_circles_channel(fake: FakeSlack,
                                                              gateway: SlackGateway) -> None:
    space = (await gateway.create_space("T1", "c", MEMBERS)).ref
    await gateway.invite("T1", space, ["U9"])
    assert "U9" in fake.members[space]


async def test_a_group_dm_circle_cannot_grow_and_says_why(fake: FakeSlack,
                                                         gateway: SlackGateway) -> None:
    fake.fail("conversations.create", "missing_scope", needed="groups:write")
    space = (await gateway.create_space("T1", "c", MEMBERS)).ref
    with pytest.raises(DeliveryError) as err:
        await gateway.invite("T1", space, ["U9"])
    assert err.value.permanent and err.value.code == "cannot_grow_group_dm"
    assert "add them by hand" in str(err.value)


async def test_a_late_joiner_reaches_the_circles_channel_through_the_worker(
        slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await _round(slack)
    await slack.deliver()
    channel = slack.fake.channel_by_name(slack.fake.calls_to("conversations.create")[0].params["name"])
    await slack.command("program set size=3-4", user="U_ADMIN")  # make room in the circle
    await slack.command("join", user="U5")
    await slack.command('profile set timezone=Europe/Berlin interests="rust"', user="U5")
    await slack.deliver()
    assert "U5" in slack.fake.members[channel["id"]]
    assert any("Please welcome" in text_of(m) for m in slack.fake.posted(channel["id"]))


async def test_a_channel_made_just_before_a_crash_is_adopted_on_retry_not_made_twice(
        fake: FakeSlack) -> None:
    """The worker died (or a transient error moved the job to another replica) after Slack
    created the channel: the next claim finds that channel instead of making "-2"."""
    token = fake.teams["T1"].bot_token
    fake.fail("conversations.invite", "internal_error")
    with pytest.raises(DeliveryError):
        await SlackGateway(token=token, base_url=fake.api_base).create_space(
            "T1", "spring-r1-c1", MEMBERS, delivery=Delivery("space:1", 1))
    replica = SlackGateway(token=token, base_url=fake.api_base)  # nothing in memory
    space = (await replica.create_space("T1", "spring-r1-c1", MEMBERS,
                                        delivery=Delivery("space:1", 2))).ref
    assert len(fake.calls_to("conversations.create")) == 1
    assert fake.channels[space]["name"] == "spring-r1-c1"
    assert set(MEMBERS) <= fake.members[space]


async def test_a_persons_channel_with_the_circles_name_is_never_adopted(fake: FakeSlack) -> None:
    fake.add_channel("T1", "spring-r1-c1", private=True, members=["U9"], creator="U9")
    gateway = SlackGateway(token=fake.teams["T1"].bot_token, base_url=fake.api_base)
    space = (await gateway.create_space("T1", "spring-r1-c1", MEMBERS,
                                        delivery=Delivery("space:1", 2))).ref
    assert fake.channels[space]["name"] == "spring-r1-c1-2"
    assert fake.channels[space]["creator"] == fake.teams["T1"].bot_user
