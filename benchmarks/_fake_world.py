"""Builds a workspace with a program, an active round and its circles directly in the
database, for the scheduling tests and the fan-out benchmark (forming circles through the
matcher is not what they measure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from circles.model import Circle, Member, Membership, Profile, Program, Round, Workspace


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
