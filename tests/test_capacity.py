"""Seats are counted and taken under a lock, and a confirmation re-checks the world it
was proposed in: nobody makes a circle of 6 out of a circle of 5, and a rematch confirmed
too late explains why nothing moved."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from circles.db import session_factory
from circles.model import Circle, Membership, Program
from circles.usecases import membership
from tests.builders import COORD, enrol, ok, person, published_round, today
from tests.test_races import actor, bot_on, race


def seats_left(db) -> int:  # type: ignore[no-untyped-def]
    with db() as s:
        size = s.scalar(select(Program.max_size))
        counts = s.execute(select(Membership.circle_id, func.count()).where(
            Membership.active.is_(True)).group_by(Membership.circle_id)).all()
        return sum(size - n for _, n in counts)


def test_two_late_joiners_saving_profiles_at_once_cannot_both_take_the_last_seat(
        pg_engine: Engine) -> None:
    bot = bot_on(pg_engine)
    published_round(bot, 9, size="4-5")
    db = session_factory(pg_engine)
    assert seats_left(db) == 1
    for user in ("late1", "late2"):
        ok(bot, person(user), "join peer")  # no profile yet: not placed

    def save(user: str):  # type: ignore[no-untyped-def]
        def run(s: Session) -> object:
            return membership.update_profile(actor(s, user), {
                "interests": ["rust"], "timezone": "Europe/Berlin",
                "availability": [("mon", 9, 17)]}, today(bot))
        return run

    first, second = race(pg_engine, save("late1"), save("late2"))
    assert not isinstance(second, Exception), second
    assert first.circle_name is not None
    assert second.circle_name is None and second.why  # waitlisted, with the reason
    assert seats_left(db) == 0
    with db() as s:
        sizes = s.execute(select(func.count()).select_from(Membership).where(
            Membership.active.is_(True)).group_by(Membership.circle_id)).scalars().all()
    assert max(sizes) <= 5


def confirm(bot, reply):  # type: ignore[no-untyped-def]
    button = reply.buttons[0]
    return asyncio.run(bot.handle_action(COORD, button.action, button.value))


def test_a_rematch_confirmed_after_the_target_filled_explains_and_moves_nobody(circlebot, db):
    published_round(circlebot, 9, size="4-5")
    proposal = ok(circlebot, COORD, "rematch @Member0")
    with db() as s:
        before = sorted(s.execute(select(Membership.member_id, Membership.circle_id)
                                  .where(Membership.active.is_(True))).all())
        smallest = s.scalar(select(Membership.circle_id).where(Membership.active.is_(True))
                            .group_by(Membership.circle_id).order_by(func.count()).limit(1))
    enrol(circlebot, 1, start=50)  # a late joiner takes the last seat meanwhile
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Membership).where(
            Membership.circle_id == smallest, Membership.active.is_(True))) == 5
    done = confirm(circlebot, proposal)
    assert done.tone == "error" and "filled up" in done.text and "Member0" in done.text
    with db() as s:
        after = sorted(s.execute(select(Membership.member_id, Membership.circle_id)
                                 .where(Membership.active.is_(True))).all())
    assert set(before) <= set(after) and len(after) == len(before) + 1


def test_a_rematch_confirmed_after_round_end_explains_and_moves_nobody(circlebot, db):
    published_round(circlebot, 9, size="3-4")
    proposal = ok(circlebot, COORD, "rematch @Member0")
    assert confirm(circlebot, ok(circlebot, COORD, "round end")).tone == "success"
    with db() as s:
        before = sorted(s.execute(select(Membership.member_id, Membership.circle_id,
                                         Membership.active)).all())
    done = confirm(circlebot, proposal)
    assert done.tone == "error" and "has ended" in done.text and "Member0" in done.text
    with db() as s:
        assert sorted(s.execute(select(Membership.member_id, Membership.circle_id,
                                       Membership.active)).all()) == before
        assert s.scalar(select(func.count()).select_from(Circle)) >= 3
