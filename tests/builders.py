"""Test world-builders, the one public module tests and benchmarks both import
(``from tests.builders import ...``).

Two ways to build a world, for two kinds of test:

- through the bot, as people would (``enrol``, ``published_round``): ``person`` makes an
  ``Identity``, ``say``/``ok`` run ``/circle`` commands on a ``CircleBot``;
- straight into the database (``seed_world``): a workspace with a program, an active round
  and its circles, for scheduling and delivery tests and the fan-out benchmark, where forming
  circles through the matcher is not what they measure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import CircleBot
from bot.ports import Identity
from bot.replies import Reply
from circles.db import unit_of_work
from circles.model import Circle, Member, Membership, Profile, Program, Round, Workspace
from circles.usecases import weekly as s

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A clock tests move by hand: nothing in the suite sleeps to let time pass."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


def person(user: str, workspace: str = "acme", platform: str = "console", **kw: object) -> Identity:
    kw.setdefault("has_workspace_admins", platform != "console")  # as the console adapter says
    return Identity(platform, workspace, user, display_name=kw.pop("name", user.capitalize()), **kw)  # type: ignore[arg-type]


COORD = person("coord", name="Casey")


# ------------------------------------------------------------ through the bot

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


# ------------------------------------------------------------ straight into the database


@dataclass
class World:
    workspace_id: int
    program_id: int
    round_id: int
    circle_ids: list[int]
    member_ids: list[list[int]]  # per circle
    coordinator_id: int


def seed_world(
    session: Session,
    *,
    circles: int = 2,
    size: int = 3,
    platform: str = "slack",
    workspace: str = "T1",
    cadence: str = "weekly",
    day: str = "mon",
    time: str = "10:00",
    timezone: str = "UTC",
    starts_on: dt.date = dt.date(2026, 10, 19),
    weeks: int = 6,
    member_timezones: Sequence[Sequence[str]] | None = None,
    with_spaces: bool = True,
) -> World:
    ws = Workspace(platform=platform, external_id=workspace, name="Acme")
    session.add(ws)
    session.flush()
    coordinator = Member(
        workspace_id=ws.id, external_id="UCOORD", display_name="Cora", is_coordinator=True
    )
    session.add(coordinator)
    program = Program(
        workspace_id=ws.id,
        name="Peer Circles",
        cadence=cadence,
        day=day,
        time=time,
        timezone=timezone,
        round_weeks=weeks,
    )
    session.add(program)
    session.flush()
    rnd = Round(
        workspace_id=ws.id,
        program_id=program.id,
        number=1,
        status="active",
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(weeks=weeks),
    )
    session.add(rnd)
    session.flush()
    circle_rows: list[Circle] = []
    members_rows: list[list[Member]] = []
    for n in range(circles):
        circle = Circle(
            workspace_id=ws.id,
            round_id=rnd.id,
            number=n + 1,
            name=f"Circle {n + 1}",
            kind="peer",
            space_id=f"C{n + 1:06d}" if with_spaces else None,
        )
        circle_rows.append(circle)
        people = []
        for i in range(size):
            member = Member(
                workspace_id=ws.id,
                external_id=f"U{n + 1:05d}{i}",
                display_name=f"M{n}-{i}",
                enrolled=True,
            )
            people.append(member)
        members_rows.append(people)
    session.add_all(circle_rows)
    session.add_all([m for people in members_rows for m in people])
    session.flush()
    links: list[object] = []
    for n, (circle, people) in enumerate(zip(circle_rows, members_rows, strict=True)):
        for i, member in enumerate(people):
            tz = member_timezones[n][i] if member_timezones else "UTC"
            links.append(Profile(workspace_id=ws.id, member_id=member.id, timezone=tz))
            links.append(Membership(workspace_id=ws.id, circle_id=circle.id, member_id=member.id))
    session.add_all(links)
    session.flush()
    return World(
        ws.id,
        program.id,
        rnd.id,
        [c.id for c in circle_rows],
        [[m.id for m in people] for people in members_rows],
        coordinator.id,
    )
