"""When someone stops being part of a circle (they leave, or a coordinator rematches or moves
them), the circle's space follows: they are taken out of the old channel or thread, and the
old circle is told in neutral words, the same whatever the reason. Through the real delivery
worker, on Slack and on Discord.
"""

from __future__ import annotations

from sqlalchemy import select

from circles.model import Circle, Member, Membership, OutboxMessage
from tests.fakes.fake_slack import SlackHarness, text_of
from tests.test_slack_commands import MEMBERS, join_with_profile

NEUTRAL = "is no longer part of this circle"


def channel_of(db, user: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with db() as s:
        circle = s.scalar(select(Circle).join(Membership).join(Member).where(
            Member.external_id == user, Membership.active.is_(True)))
        return circle.id, circle.space_id


def buttons(reply: dict) -> list[dict]:
    return [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def publish(slack: SlackHarness, size: str = "3") -> None:
    await slack.command(f'program create "Spring Circles" size={size}', user="U_ADMIN")
    for user in MEMBERS:
        await join_with_profile(slack, user)
    await slack.command("round preview", user="U_ADMIN")
    await slack.command("round publish", user="U_ADMIN")
    await slack.deliver()


async def test_on_slack_a_member_who_leaves_is_taken_out_of_the_channel_and_the_circle_told(
        slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await publish(slack)
    _, channel = channel_of(db, "U1")
    assert "U1" in slack.fake.members[channel]
    asked = await slack.command("leave", user="U1")
    yes = buttons(asked)[0]
    await slack.press(yes["action_id"], yes["value"], user="U1", ephemeral=True)
    await slack.deliver()
    assert "U1" not in slack.fake.members[channel]
    assert [c.params for c in slack.fake.calls_to("conversations.kick")] == [
        {"channel": channel, "user": "U1"}]
    told = [text_of(m) for m in slack.fake.posted(channel) if NEUTRAL in text_of(m)]
    assert told == ["Bo is no longer part of this circle."] or len(told) == 1
    assert "left" not in told[0].lower() and "moved" not in told[0].lower()
    with db() as s:
        assert {m.status for m in s.scalars(select(OutboxMessage))} == {"sent"}


async def test_on_slack_a_rematched_member_moves_channels_and_the_old_circle_hears_the_same_words(
        slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await publish(slack)
    await slack.command("program set size=3-4", user="U_ADMIN")
    old_id, old = channel_of(db, "U1")
    asked = await slack.command("rematch <@U1>", user="U_ADMIN")
    move = buttons(asked)[0]
    await slack.press(move["action_id"], move["value"], user="U_ADMIN", ephemeral=True)
    await slack.deliver()
    new_id, new = channel_of(db, "U1")
    assert new_id != old_id
    assert "U1" not in slack.fake.members[old] and "U1" in slack.fake.members[new]
    assert len([m for m in slack.fake.posted(old) if NEUTRAL in text_of(m)]) == 1
    with db() as s:
        assert {m.status for m in s.scalars(select(OutboxMessage))} == {"sent"}


async def test_on_discord_a_member_who_leaves_is_taken_out_of_the_thread_even_once_it_archived(
        monkeypatch, db, clock) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.client import CircleClient
    from adapters.discord.gateway import DiscordGateway
    from bot.config import Config
    from bot.core import CircleBot
    from bot.delivery import DeliveryWorker
    from circles.model import utcnow
    from tests.builders import Clock
    from tests.fakes.discord.harness import Harness, fake_discord_api, logged_in
    from tests.test_discord_circles import deliver
    from tests.test_discord_strict import COORD, GUILD, PEOPLE, publish

    cfg = Config()
    cfg.scheduling.per_workspace_per_second = 0
    cfg.scheduling.per_space_per_second = 0
    async with fake_discord_api(monkeypatch) as fake:
        fake.add_guild(GUILD, hub="circles")
        core = CircleBot(db, cfg, clock=clock)
        async with logged_in(CircleClient(core, cfg)) as client:
            h = Harness(client, fake)
            worker = DeliveryWorker(db, {"discord": DiscordGateway(client, "circles")},
                                    cfg.scheduling, clock=Clock(utcnow()))
            await publish(h, PEOPLE)
            await deliver(worker, clock)
            leaver = PEOPLE[0]
            _, thread = channel_of(db, leaver)
            assert leaver in fake.thread_members[thread]
            fake.auto_archive(thread)  # a quiet week first
            asked = await h.slash("leave", user_id=leaver)
            await h.press(asked.buttons["Yes, leave"], user_id=leaver)
            await deliver(worker, clock)
    assert COORD not in fake.thread_members[thread]
    assert leaver not in fake.thread_members[thread]
    assert fake.requests("DELETE", rf"/channels/{thread}/thread-members/{leaver}")
    told = [e["description"] for m in fake.posted(thread) for e in m.get("embeds") or []
            if NEUTRAL in (e.get("description") or "")]
    assert len(told) == 1
    with db() as s:
        assert {m.status for m in s.scalars(select(OutboxMessage))} == {"sent"}
