"""Two requests racing on PostgreSQL: the first holds its transaction open while the
second runs up to the point where it must wait; then the first commits. Whatever the
second was about to do twice happens once, and it answers normally."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from bot.config import Config
from bot.core import CircleBot
from circles.db import session_factory, unit_of_work
from circles.model import CheckIn, Goal, Member, Membership, ProgramMember, Pulse
from circles.usecases import context, goals, membership, weekly
from tests.builders import COORD, Clock, ok, person, post_week, published_round, today

Step = Callable[[Session], Any]


def race(engine: Engine, first: Step, second: Step, *, wait: float = 3.0) -> tuple[Any, Any]:
    """Runs ``first`` and keeps its transaction open; runs ``second`` in another thread
    and waits (with a deadline) until it is blocked on a lock the first holds, or has
    finished; then commits the first. Returns both results (an exception for a failure)."""
    sessions = session_factory(engine)
    s1 = sessions()
    out1 = first(s1)
    s1.flush()
    got: dict[str, Any] = {}

    def run() -> None:
        try:
            with unit_of_work(sessions) as s2:
                got["v"] = second(s2)
        except Exception as exc:  # reported to the test, not lost in the thread
            got["v"] = exc

    t = threading.Thread(target=run)
    t.start()
    deadline = time.monotonic() + wait
    with engine.connect() as watch:
        while t.is_alive() and time.monotonic() < deadline:
            waiting = watch.execute(text("select count(*) from pg_locks where not granted")).scalar()
            if waiting:
                break
            time.sleep(0.02)
    s1.commit()
    s1.close()
    t.join(30)
    assert not t.is_alive()
    return out1, got["v"]


def bot_on(engine: Engine) -> CircleBot:
    cfg = Config()
    cfg.bot.coordinators = ["console:acme:coord"]
    return CircleBot(session_factory(engine), cfg, clock=Clock())


def actor(s: Session, user: str) -> context.Actor:
    return context.enter(s, "console", "acme", user, user.capitalize())


def test_a_double_click_on_a_pulse_and_a_check_in_records_one_of_each(pg_engine: Engine) -> None:
    bot = bot_on(pg_engine)
    published_round(bot, 8)
    post_week(bot)
    with session_factory(pg_engine)() as s:
        cid = s.scalar(select(Membership.circle_id).join(Member).where(Member.external_id == "u0"))

    def rate(s: Session) -> Any:
        return weekly.pulse(actor(s, "u0"), 4, circle_id=cid, cycle=1)

    first, second = race(pg_engine, rate, rate)
    assert not isinstance(second, Exception), second
    assert not first.replaced and second.replaced and second.rating == 4

    def met(s: Session) -> Any:
        return weekly.check_in(actor(s, "u0"), "met", circle_id=cid, cycle=1)

    _, again = race(pg_engine, met, met)
    assert not isinstance(again, Exception), again
    with session_factory(pg_engine)() as s:
        assert s.scalar(select(func.count()).select_from(Pulse)) == 1
        assert s.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_join_sent_twice_at_once_enrols_once_and_both_hear_welcome(pg_engine: Engine) -> None:
    bot = bot_on(pg_engine)
    ok(bot, COORD, 'program create "Spring"')
    ok(bot, person("u1"), "profile")  # known to the bot already

    def join(s: Session) -> Any:
        return membership.join(actor(s, "u1"), "peer", "", today(bot))

    first, second = race(pg_engine, join, join)
    assert not isinstance(second, Exception), second
    assert first.program_name == second.program_name == "Spring"
    with session_factory(pg_engine)() as s:
        assert s.scalar(select(func.count()).select_from(ProgramMember)) == 1


def test_goal_set_raced_makes_one_goal_and_two_goals_get_two_numbers(pg_engine: Engine) -> None:
    bot = bot_on(pg_engine)
    ok(bot, person("u1"), "profile")

    def talk(s: Session) -> Any:
        return goals.set_goal(actor(s, "u1"), "Give a talk", None, today(bot))

    def blog(s: Session) -> Any:
        return goals.set_goal(actor(s, "u1"), "Write a blog post", None, today(bot))

    first, same = race(pg_engine, talk, talk)
    assert not isinstance(same, Exception), same
    assert first.number == same.number == 1
    def book(s: Session) -> Any:
        return goals.set_goal(actor(s, "u1"), "Read a book", None, today(bot))

    read, other = race(pg_engine, book, blog)  # two different goals at once
    assert not isinstance(other, Exception), other
    assert {read.number, other.number} == {2, 3}
    with session_factory(pg_engine)() as s:
        assert sorted(s.scalars(select(Goal.number))) == [1, 2, 3]
