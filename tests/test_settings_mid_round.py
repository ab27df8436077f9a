"""`program set` while a round runs: the reply says exactly what happens. The running round
keeps the schedule it was published with (so its prompts and check-ins stay in order); the
new schedule starts with the next round. And whatever happens, a week's check-in never comes
after the next week's prompt."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.config import SchedulingConfig
from circles.cycle import run_due
from circles.db import unit_of_work
from circles.jobs import program_clocks
from circles.model import Circle, OutboxMessage
from circles.usecases import weekly
from tests.builders import COORD, ok, published_round

CFG = SchedulingConfig()
UTC = dt.UTC


def keys(db, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    with db() as s:
        return sorted(s.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like(f"{prefix}%"))))


def test_a_running_round_keeps_its_schedule_and_the_reply_says_so(circlebot, db):
    published_round(circlebot, 8)  # weekly, Mondays 10:00 UTC, from Monday 2026-11-23
    assert run_due(db, dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC), CFG)["prompt"] == 2
    reply = ok(circlebot, COORD, 'program set "Spring circles" cadence=biweekly day=thu')
    assert ("Round 1 is running: it keeps its schedule (weekly on Monday at 10:00 (UTC)) and "
            "its end date until it ends; the new schedule starts with the next round.") in reply.text
    assert "It applies from the next round preview" not in reply.text
    # week 1's check-in, then week 2's prompt on the old Monday, in that order
    assert run_due(db, dt.datetime(2026, 11, 27, 10, 0, tzinfo=UTC), CFG)["checkin"] == 2
    assert run_due(db, dt.datetime(2026, 11, 30, 10, 0, tzinfo=UTC), CFG)["prompt"] == 2
    assert len(keys(db, "prompt:")) == 4 and len(keys(db, "checkin:")) == 2


def test_matching_changes_during_a_round_say_who_they_affect(circlebot):
    published_round(circlebot, 8)
    reply = ok(circlebot, COORD, 'program set "Spring circles" repeat=4')
    assert "The circles of round 1 stay as they are" in reply.text
    assert "from the next round preview" in reply.text
    assert "keeps its schedule" not in reply.text


def test_a_draft_formed_before_the_change_says_how_to_use_the_new_settings(circlebot):
    published_round(circlebot, 8)
    ok(circlebot, COORD, "round preview")
    reply = ok(circlebot, COORD, 'program set "Spring circles" size=2-3')
    assert "Draft round 2 was formed with the old settings: `/circle round preview fresh`" in reply.text


def test_a_check_in_never_comes_after_the_next_weeks_prompt(circlebot, db):
    published_round(circlebot, 8)
    assert run_due(db, dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC), CFG)["prompt"] == 2
    with unit_of_work(db) as s:  # week 2's prompt got out early (say, a demo's "start week")
        for circle in s.scalars(select(Circle)):
            weekly.post_prompt(s, circle, 2, dt.datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    run_due(db, dt.datetime(2026, 11, 27, 10, 0, tzinfo=UTC), CFG)  # week 1's check-in time
    assert keys(db, "checkin:") == []


def test_the_scheduler_wakes_at_the_running_rounds_time_not_the_new_one(circlebot, db):
    published_round(circlebot, 8)
    ok(circlebot, COORD, 'program set "Spring circles" day=thu time=15:30')
    with db() as s:
        [clock] = program_clocks(s)
    assert (clock.weekday, clock.hour, clock.minute) == ("mon", 10, 0)
