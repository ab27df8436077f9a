"""Small scenario builders shared by the engine specs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.core import CircleBot
from bot.ports import Identity
from bot.replies import Reply
from circles.db import unit_of_work
from circles.model import Circle, Round
from circles.usecases import weekly as s
from tests.conftest import COORD, person

INTERESTS = ["rust", "public speaking", "leadership", "design", "data", "writing"]


def say(bot: CircleBot, who: Identity, text: str) -> Reply:
    return bot.handle_command_sync(who, text)


def ok(bot: CircleBot, who: Identity, text: str) -> Reply:
    reply = say(bot, who, text)
    assert reply.tone != "error", f"/circle {text} failed: {reply.text}"
    return reply


def enrol(bot: CircleBot, n: int, role: str = "peer", start: int = 0, program: str = "") -> list[Identity]:
    people = []
    for i in range(start, start + n):
        who = person(f"u{i}", name=f"Member{i}")
        extra = f' program="{program}"' if program else ""
        ok(bot, who, f"join {role}{extra}")
        ok(bot, who, f'profile set interests="{INTERESTS[i % 6]}, {INTERESTS[(i + 2) % 6]}" '
                     f"timezone=Europe/Berlin availability=\"weekdays 9-17\" experience={1 + i % 5}")
        people.append(who)
    return people


def published_round(bot: CircleBot, n: int = 8, kind: str = "peer", size: str = "4-4") -> list[Identity]:
    ok(bot, COORD, f'program create "Spring circles" kind={kind} size={size}')
    people = enrol(bot, n)
    ok(bot, COORD, "round preview")
    ok(bot, COORD, "round publish")
    return people


def post_week(bot: CircleBot, cycle: int = 1) -> None:
    with unit_of_work(bot.sessions) as session:
        for circle in session.scalars(select(Circle).join(Round).where(Round.status == "active")):
            s.post_prompt(session, circle, cycle, bot.clock())


def today(bot: CircleBot) -> dt.date:
    return bot.clock().date()
