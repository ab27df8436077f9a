"""Rules that used to be written in several places, each pinned once with the behaviour a
person notices, so the copies can't drift apart again."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot.config import SchedulingConfig
from bot.text import split_text
from circles.cycle import run_due
from circles.model import Goal, OutboxMessage
from tests.builders import enrol, ok, published_round, say
from tests.conftest import COORD, person


def test_a_member_paused_until_a_date_is_not_matched_on_that_date_but_is_the_day_after(circlebot, clock):
    ok(circlebot, COORD, 'program create "Spring circles" kind=peer size=2-4')
    people = enrol(circlebot, 5)
    ok(circlebot, people[0], "pause until 2026-11-30")
    clock.now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    preview = ok(circlebot, COORD, "round preview").plain_text()
    assert "Member1" in preview and "Member0" not in preview
    assert "Paused until 2026-11-30" in ok(circlebot, people[0], "status").plain_text()
    clock.now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    assert "Member0" in ok(circlebot, COORD, "round preview").plain_text()
    assert "Paused" not in ok(circlebot, people[0], "status").plain_text()


def test_a_member_paused_until_a_date_is_not_nudged_on_that_date_but_is_the_day_after(circlebot, db):
    people = published_round(circlebot, 4, size="4-4")
    ok(circlebot, people[0], "pause until 2026-11-25")
    cfg = SchedulingConfig()
    run_due(db, dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC), cfg)  # the week's prompt

    def nudged() -> set[str]:
        with db() as s:
            return {row.payload["user"] for row in s.scalars(
                select(OutboxMessage).where(OutboxMessage.key.like("nudge:%")))}

    run_due(db, dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC), cfg)
    assert nudged() == {"u1", "u2", "u3"}
    run_due(db, dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC), cfg)
    assert nudged() == {"u0", "u1", "u2", "u3"}


def test_done_by_button_refuses_a_goal_already_done_just_like_the_command(circlebot, db):
    me = person("ana", name="Ana")
    ok(circlebot, me, "join")
    ok(circlebot, me, 'goal set "Give a talk"')
    ok(circlebot, me, "goal done 1")
    with db() as s:
        goal_id = s.scalar(select(Goal.id))
    pressed = asyncio.run(circlebot.handle_action(me, "goal_done", str(goal_id)))
    typed = say(circlebot, me, "goal done 1")
    assert pressed.tone == typed.tone == "error"
    assert pressed.text == typed.text == "Goal 1 is already done. Nice!"


def test_someone_else_cannot_press_done_on_my_goal(circlebot, db):
    me, other = person("ana", name="Ana"), person("ben", name="Ben")
    ok(circlebot, me, 'goal set "Give a talk"')
    with db() as s:
        goal_id = s.scalar(select(Goal.id))
    reply = asyncio.run(circlebot.handle_action(other, "goal_done", str(goal_id)))
    assert reply.tone == "error" and "isn't one of your goals" in reply.text
    with db() as s:
        assert s.scalar(select(Goal.done)) is False


def test_long_text_is_split_at_line_then_word_boundaries_for_every_platform():
    text = "\n".join(f"line {i} " + "word " * 10 for i in range(40))
    pieces = split_text(text, 200)
    assert all(len(p) <= 200 for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    assert all(p.startswith("line ") for p in pieces)
    assert split_text("", 10) == [""]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_tampered_button_values_get_a_friendly_error_and_change_nothing(circlebot):
    me = person("ana", name="Ana")
    ok(circlebot, me, "join")
    for action, value in [("pulse", "1:1:9"), ("pulse", "1:1"), ("goal_done", str(2**63)),
                          ("cancel", ""), ("cancel", "-1"), ("nope", "1"), ("checkin", "1:1:maybe")]:
        reply = asyncio.run(circlebot.handle_action(me, action, value))
        assert reply.tone == "error" and "couldn't understand that button" in reply.text, (action, value)
    for form_id, context in [("answer", "x"), ("nope", ""), ("pulse_comment", "")]:
        reply = asyncio.run(circlebot.handle_form(me, form_id, context, {}))
        assert reply.tone == "error" and "couldn't understand" in reply.text, (form_id, context)


def test_the_matcher_knows_exactly_the_circle_kinds_the_rules_define():
    import typing

    from circles import matching, rules

    assert set(typing.get_args(matching.CircleKind)) == set(rules.KINDS)
    assert matching.PAIR_KINDS == rules.PAIR_KINDS
