"""`/circle health` on the real platforms: the rematch button a coordinator presses in
Slack and in Discord opens the usual rematch confirmation, and confirming it moves the
member (and `health circle N` answers on both)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from circles.db import unit_of_work
from circles.model import Circle, Member, Membership
from circles.usecases import weekly
from tests.fakes.discord.payloads import MANAGE_GUILD
from tests.fakes.slack.blockkit import text_of
from tests.fakes.slack.harness import SlackHarness
from tests.test_discord_commands import COORD, config, core, discord_bot, fake  # noqa: F401  (fixtures)
from tests.test_slack_commands import join_with_profile
from tests.test_slack_interactions import buttons_of


def post_two_weeks(db) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        for circle in s.scalars(select(Circle).order_by(Circle.id)):
            for cycle in (1, 2):
                weekly.post_prompt(s, circle, cycle, dt.datetime.now(dt.UTC))


def circles_of(db) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Each circle's members' platform ids, by circle number."""
    with db() as s:
        out: dict[int, list[str]] = {}
        for number, ext in s.execute(select(Circle.number, Member.external_id)
                                     .join(Membership, Membership.circle_id == Circle.id)
                                     .join(Member, Member.id == Membership.member_id)
                                     .where(Membership.active.is_(True)).order_by(Circle.number, Member.id)):
            out.setdefault(number, []).append(ext)
    return [out[k] for k in sorted(out)]


def active_circle(db, ext: str) -> int:  # type: ignore[no-untyped-def]
    with db() as s:
        return int(s.scalar(select(Circle.number).join(Membership, Membership.circle_id == Circle.id)
                            .join(Member, Member.id == Membership.member_id)
                            .where(Member.external_id == ext, Membership.active.is_(True))))


async def test_slack_rematch_button_from_health_asks_then_moves(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "Spring Circles" size=3-4', user="U_ADMIN")
    for user in ("U1", "U2", "U3", "U4", "U5", "U6"):
        await join_with_profile(slack, user)
    await slack.command("round preview", user="U_ADMIN")
    await slack.command("round publish", user="U_ADMIN")
    await slack.deliver()
    post_two_weeks(db)
    first, second = circles_of(db)
    for user in first[1:] + second:  # everyone answers but the first member of circle 1
        await slack.command('answer "went well"', user=user)
    health = await slack.command("health", user="U_ADMIN")
    assert health["response_type"] == "ephemeral"
    assert "Consider rematching" in text_of(health)
    [button] = [b for b in buttons_of(health) if b["text"]["text"].startswith("Rematch")]
    asked = await slack.press(button["action_id"], button["value"], user="U_ADMIN")
    assert "Move " in text_of(asked) and "from Spring Circles · circle 1" in text_of(asked)
    [move] = [b for b in buttons_of(asked) if b["text"]["text"] == "Move them"]
    done = await slack.press(move["action_id"], move["value"], user="U_ADMIN")
    assert "Moved " in text_of(done)
    assert active_circle(db, first[0]) == 2
    detail = await slack.command("health circle 1", user="U_ADMIN")
    assert "Participation" in text_of(detail) and "Pulse" in text_of(detail)


async def test_discord_rematch_button_from_health_asks_then_moves(discord_bot, db):  # type: ignore[no-untyped-def]  # noqa: F811
    async def coordinator(path: str, options: dict | None = None):  # type: ignore[no-untyped-def]
        return await discord_bot.slash(path, options, user_id=COORD, permissions=MANAGE_GUILD)

    await coordinator("program create", {"name": "Spring", "size": "4-5"})
    for i in range(8):
        uid = str(611 + i)
        await discord_bot.slash("join", user_id=uid)
        await discord_bot.slash("profile set", {"timezone": "Europe/Berlin", "availability": "weekdays 9-17"},
                                user_id=uid)
    preview = await coordinator("round preview", {"seed": 7})
    await discord_bot.press(preview.buttons["Publish"], user_id=COORD, permissions=MANAGE_GUILD)
    post_two_weeks(db)
    first, second = circles_of(db)
    for uid in first[1:] + second:
        await discord_bot.slash("answer", {"text": "went well"}, user_id=uid)
    health = await coordinator("health show")
    assert "Consider rematching" in health.text
    [label] = [k for k in health.buttons if k.startswith("Rematch")]
    # a member pressing the coordinator's button changes nothing
    assert (await discord_bot.press(health.buttons[label], user_id=first[1])).is_error
    asked = await discord_bot.press(health.buttons[label], user_id=COORD, permissions=MANAGE_GUILD)
    assert "Move " in asked.text and "from Spring · circle 1" in asked.text
    done = await discord_bot.press(asked.buttons["Move them"], user_id=COORD, permissions=MANAGE_GUILD)
    assert "Moved " in done.text
    assert active_circle(db, first[0]) == 2
    detail = await coordinator("health circle", {"number": 2})
    assert "Participation" in detail.text
