"""Delivering circle messages on Discord: private threads in the hub, prompts as embeds,
DMs, archiving, and every failure ending as a DeliveryError the outbox can act on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import discord.http
import pytest
import pytest_asyncio

from adapters.discord.client import CircleClient
from adapters.discord.gateway import DiscordGateway
from bot.config import Config
from bot.ports import Delivery, DeliveryError, FailureKind
from bot.replies import Button, Field, Reply
from tests.fakes.fake_discord import FakeDiscord, error_body, who_can_be_pinged

GUILD = "4000"


@pytest_asyncio.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.server.start_server()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.base)
    yield fake
    await fake.server.close()


@pytest_asyncio.fixture
async def gateway(fake: FakeDiscord) -> AsyncIterator[DiscordGateway]:
    cfg = Config()
    cfg.discord.sync_commands = False
    client = CircleClient(core=None, config=cfg)  # type: ignore[arg-type]  # sends need no core
    await client.login("fake-token")
    yield DiscordGateway(client, cfg.discord.hub_channel)
    await client.close()


async def test_a_circle_gets_a_private_thread_in_the_hub_with_its_members(fake, gateway):
    hub = fake.add_guild(GUILD, hub="circles")
    thread = (await gateway.create_space(GUILD, "Spring · circle 1", ["601", "602"])).ref
    create = fake.requests("POST", rf"/channels/{hub}/threads")
    assert len(create) == 1
    assert create[0].body["type"] == 12  # private thread
    assert create[0].body["invitable"] is False
    assert create[0].body["name"] == "Spring · circle 1"
    assert fake.channels[thread]["parent_id"] == hub
    assert fake.thread_members[thread] >= {"601", "602"}
    assert {c.path for c in fake.requests("PUT", r"/channels/\d+/thread-members/\d+")} == {
        f"/channels/{thread}/thread-members/601",
        f"/channels/{thread}/thread-members/602",
    }


async def test_the_hub_can_be_given_by_id_and_a_missing_hub_is_a_clear_permanent_error(fake, gateway):
    hub = fake.add_guild(GUILD, hub="mentoring")
    thread = (await gateway.create_space(GUILD, "c1", ["601"], hub=hub)).ref
    assert fake.channels[thread]["parent_id"] == hub
    with pytest.raises(DeliveryError) as err:
        await gateway.create_space(GUILD, "c2", ["601"])  # default hub "circles" doesn't exist
    assert err.value.permanent and err.value.code == "hub_not_found"
    assert "#circles" in str(err.value)


async def test_a_prompt_is_an_embed_with_its_buttons_and_pings_nobody(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    reply = Reply(
        title="Week 1 prompt",
        text="What is one skill you want to grow? @everyone <@&777> @here",
        buttons=[Button("Answer", "answer", "42", "primary")],
        visibility="in_channel",
    )
    ref = (await gateway.post(GUILD, thread, reply)).ref
    [msg] = fake.posted(thread)
    assert ref == msg["id"]
    assert msg["content"] == ""
    [embed] = msg["embeds"]
    assert embed["title"] == "Week 1 prompt"
    assert "@\u200beveryone" in embed["description"] and "@\u200bhere" in embed["description"]
    assert who_can_be_pinged(msg) == set()
    [row] = msg["components"]
    assert row["components"][0]["custom_id"] == "circle:answer:42"


async def test_only_the_replys_own_mentions_may_ping(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601", "602"])).ref
    await gateway.post(GUILD, thread, Reply(text="Welcome @everyone!", mentions=["601", "602"]))
    [msg] = fake.posted(thread)
    assert msg["content"] == "<@601> <@602>"
    assert who_can_be_pinged(msg) == {"601", "602"}


async def test_a_long_reply_is_split_within_discords_limits_not_rejected(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    long_text = "\n".join(f"line {i}: " + "x" * 90 for i in range(120))  # ~12,000 chars
    fields = [Field(f"field {i}", "v" * 2000) for i in range(30)]
    sent = await gateway.post(GUILD, thread, Reply(title="T" * 300, text=long_text, fields=fields,
                                                   buttons=[Button("Ok", "ok")]))
    ref = sent.ref
    msgs = fake.posted(thread)
    assert len(msgs) > 1 and ref == msgs[0]["id"]
    assert msgs[0]["embeds"][0]["title"].endswith("… (truncated)")
    assert len(msgs[0]["embeds"][0]["title"]) <= 256
    # buttons sit under the last part
    assert msgs[-1]["components"] and not msgs[0]["components"]
    values = [f["value"] for m in msgs for e in m["embeds"] for f in e.get("fields", [])]
    assert len(values) == 30 and all(v.endswith("… (truncated)") and len(v) <= 1024 for v in values)
    text = "".join(e.get("description") or "" for m in msgs for e in m["embeds"])
    assert "line 0:" in text and "line 119:" in text


async def test_a_dm_opens_a_dm_channel_and_its_buttons_remember_the_server(fake, gateway):
    sent = await gateway.dm(GUILD, "601", Reply(text="How did goal 1 go?",
                                                buttons=[Button("Done", "goal_done", "7")]))
    ref = sent.ref
    dm = fake.dm_channels["601"]
    [msg] = fake.posted(dm)
    assert ref == msg["id"]
    assert msg["components"][0]["components"][0]["custom_id"] == f"circle@{GUILD}:goal_done:7"


async def test_posts_carry_the_outbox_key_as_an_enforced_nonce(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    await gateway.post(GUILD, thread, Reply(text="hello"), delivery=Delivery("prompt:1:1"))
    await gateway.post(GUILD, thread, Reply(text="no key"))
    keyed, plain = fake.requests("POST", rf"/channels/{thread}/messages")
    assert keyed.body["enforce_nonce"] is True and len(keyed.body["nonce"]) == 25
    assert "enforce_nonce" not in plain.body


async def test_a_reply_in_a_thread_is_sent_as_a_reply_to_that_message(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    first = (await gateway.post(GUILD, thread, Reply(text="prompt"))).ref
    await gateway.post(GUILD, thread, Reply(text="nudge"), thread=first)
    assert str(fake.posted(thread)[1]["message_reference"]["message_id"]) == first


async def test_ending_a_round_archives_and_locks_the_thread(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    await gateway.archive_space(GUILD, thread)
    [patch] = fake.requests("PATCH", rf"/channels/{thread}")
    assert patch.body == {"archived": True, "locked": True}
    assert fake.channels[thread]["thread_metadata"]["locked"] is True
    # archiving a thread someone already deleted is done, not an error
    await gateway.archive_space(GUILD, "123456789012345678")


# -- failures ---------------------------------------------------------------------------------


async def test_missing_access_is_permanent(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    fake.fail("POST", rf"/channels/{thread}/messages", 403, error_body(50001, "Missing Access"))
    with pytest.raises(DeliveryError) as err:
        await gateway.post(GUILD, thread, Reply(text="hi"))
    assert (err.value.code, err.value.kind) == ("missing_access", FailureKind.WORKSPACE_GONE)
    assert "Missing Access" in str(err.value)
    assert fake.posted(thread) == []


async def test_unknown_channel_is_permanent(fake, gateway):
    with pytest.raises(DeliveryError) as err:
        await gateway.post(GUILD, "123456789012345678", Reply(text="hi"))
    assert (err.value.code, err.value.kind) == ("unknown_channel", FailureKind.PERMANENT)


async def test_invalid_form_body_is_permanent_and_names_the_field(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    fake.fail("POST", rf"/channels/{thread}/messages", 400, {
        "code": 50035, "message": "Invalid Form Body",
        "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Too long"}]}}})
    with pytest.raises(DeliveryError) as err:
        await gateway.post(GUILD, thread, Reply(text="hi"))
    assert (err.value.code, err.value.permanent) == ("invalid_form_body", True)
    assert "content" in str(err.value)


async def test_a_short_429_is_retried_by_discord_py_after_retry_after(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    fake.rate_limit("POST", rf"/channels/{thread}/messages", retry_after=0.05)
    ref = (await gateway.post(GUILD, thread, Reply(text="hi"))).ref
    attempts = fake.requests("POST", rf"/channels/{thread}/messages")
    assert len(attempts) == 2  # the 429, then the retry discord.py made after waiting
    assert [m["id"] for m in fake.posted(thread)] == [ref]


async def test_a_long_429_becomes_a_transient_error_with_retry_after(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    fake.rate_limit("POST", rf"/channels/{thread}/messages", retry_after=300)
    with pytest.raises(DeliveryError) as err:
        await gateway.post(GUILD, thread, Reply(text="hi"))
    assert err.value.permanent is False and err.value.retry_after == 300
    assert err.value.code == "rate_limited"
    assert fake.posted(thread) == []


async def test_a_server_error_is_transient(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    fake.fail("POST", rf"/channels/{thread}/messages", 503, error_body(0, "Service Unavailable"))
    with pytest.raises(DeliveryError) as err:
        await gateway.post(GUILD, thread, Reply(text="hi"))
    assert (err.value.code, err.value.kind) == ("server_error", FailureKind.TRANSIENT)


async def test_closed_dms_are_permanent(fake, gateway):
    fake.fail("POST", r"/channels/\d+/messages", 403,
              error_body(50007, "Cannot send messages to this user"))
    with pytest.raises(DeliveryError) as err:
        await gateway.dm(GUILD, "601", Reply(text="hi"))
    assert (err.value.code, err.value.permanent) == ("cannot_dm_user", True)


async def test_an_expired_token_mid_run_is_permanent_and_named(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    fake.fail("POST", rf"/channels/{thread}/messages", 401, error_body(0, "401: Unauthorized"))
    with pytest.raises(DeliveryError) as err:
        await gateway.post(GUILD, thread, Reply(text="hi"))
    assert (err.value.code, err.value.kind) == ("invalid_auth", FailureKind.WORKSPACE_GONE)
    assert fake.posted(thread) == []


async def test_a_rejected_token_at_start_says_how_to_fix_it(fake):
    from adapters.discord.runner import run_discord
    from bot.bootstrap import build_discord
    from bot.config import ConfigError

    cfg = Config()
    cfg.discord.token = "expired-token"
    fake.fail("GET", r"/users/@me", 401, error_body(0, "401: Unauthorized"))
    with pytest.raises(ConfigError, match="Discord rejected DISCORD_BOT_TOKEN"):
        client, _ = build_discord(None, cfg)  # type: ignore[arg-type]
        await run_discord(client, cfg.discord.token)


async def test_a_late_joiner_is_added_to_the_circles_private_thread(fake, gateway):
    fake.add_guild(GUILD)
    thread = (await gateway.create_space(GUILD, "c1", ["601"])).ref
    await gateway.invite(GUILD, thread, ["602"])
    added = [r.path for r in fake.requests("PUT", rf"/channels/{thread}/thread-members/.*")]
    assert added == [f"/channels/{thread}/thread-members/601", f"/channels/{thread}/thread-members/602"]


async def test_inviting_into_a_deleted_thread_is_permanent(fake, gateway):
    with pytest.raises(DeliveryError) as err:
        await gateway.invite(GUILD, "123456789012345678", ["602"])
    assert err.value.permanent


async def test_a_thread_made_just_before_a_crash_is_adopted_on_retry_not_made_twice(fake, gateway):
    """The worker died (or a transient error moved the job to another replica) after Discord
    created the thread: the next claim finds that thread under the hub instead of a second."""
    fake.add_guild(GUILD, hub="circles")
    first = (await gateway.create_space(GUILD, "Spring · circle 1", ["601"],
                                        delivery=Delivery("space:1", 1))).ref
    again = (await gateway.create_space(GUILD, "Spring · circle 1", ["601", "602"],
                                        delivery=Delivery("space:1", 2))).ref
    assert again == first
    assert len(fake.requests("POST", r"/channels/\d+/threads")) == 1
    assert fake.thread_members[first] >= {"601", "602"}
    other = (await gateway.create_space(GUILD, "Spring · circle 2", ["603"],
                                        delivery=Delivery("space:2", 2))).ref
    assert other != first  # a retry with no thread of its own still creates one
