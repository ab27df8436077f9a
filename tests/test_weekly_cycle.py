"""The weekly rhythm: prompts, answers, check-ins, pulses, goals."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.presenters import render_payload
from circles.db import unit_of_work
from circles.model import CheckIn, Circle, OutboxMessage, PromptPost, Pulse, Response
from circles.prompts import BANK, THEMES
from circles.usecases import weekly as s
from tests.builders import ok, person, post_week, published_round, say


def test_the_bank_has_at_least_40_prompts_across_mentoring_themes():
    assert len(BANK) >= 40
    assert {"goal-setting", "reality-check", "wins-and-blockers", "skills", "reflection",
            "cross-functional"} <= set(THEMES)
    assert len({p.key for p in BANK}) == len(BANK)


def test_a_circle_never_gets_a_prompt_twice_until_the_bank_is_used_up(circlebot, db):
    published_round(circlebot, 4, size="4-4")
    with unit_of_work(db) as session:
        circle = session.scalar(select(Circle))
        for cycle in range(1, len(BANK) + 2):
            s.post_prompt(session, circle, cycle, circlebot.clock())
        keys = session.scalars(select(PromptPost.prompt_key).order_by(PromptPost.cycle)).all()
    assert len(set(keys[: len(BANK)])) == len(BANK)
    assert keys[len(BANK)] in keys[: len(BANK)]


def test_posting_a_prompt_twice_for_the_same_week_does_nothing(circlebot, db):
    published_round(circlebot, 4, size="4-4")
    post_week(circlebot)
    post_week(circlebot)
    with db() as session:
        assert len(session.scalars(select(PromptPost)).all()) == 1
        assert len(session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("prompt:%"))).all()) == 1


def test_members_answer_and_see_their_circles_answers(circlebot):
    people = published_round(circlebot, 4, size="4-4")
    post_week(circlebot)
    ok(circlebot, people[0], 'answer "Shipped my first talk"')
    ok(circlebot, people[1], "answer Learned a lot from pairing")
    text = ok(circlebot, people[2], "answers").plain_text()
    assert "Member0**: Shipped my first talk" in text and "Member1**: Learned a lot from pairing" in text


def test_answering_again_replaces_the_answer(circlebot, db):
    people = published_round(circlebot, 4, size="4-4")
    post_week(circlebot)
    ok(circlebot, people[0], 'answer "first"')
    assert "Updated" in ok(circlebot, people[0], 'answer "second"').text
    with db() as session:
        assert session.scalars(select(Response.text)).all() == ["second"]


def test_answer_button_opens_a_form_and_the_form_records_the_answer(circlebot, db):
    people = published_round(circlebot, 4, size="4-4")
    post_week(circlebot)
    with db() as session:
        post = session.scalar(select(PromptPost))
    form = asyncio.run(circlebot.handle_action(people[0], "answer", str(post.id))).form
    assert form is not None and form.form_id == "answer"
    reply = asyncio.run(circlebot.handle_form(people[0], "answer", form.context, {"answer": "via the form"}))
    assert reply.tone == "success"
    assert "via the form" in ok(circlebot, people[1], "answers").plain_text()


def test_a_reply_in_the_prompts_thread_is_recorded_as_the_answer(circlebot, db):
    people = published_round(circlebot, 4, size="4-4")
    post_week(circlebot)
    with unit_of_work(db) as session:
        circle = session.scalar(select(Circle))
        circle.space_id = "C42"
        session.scalar(select(PromptPost)).message_ref = "1700000000.000100"
    reply = asyncio.run(circlebot.handle_thread_reply(people[0], "C42", "1700000000.000100", "from the thread"))
    assert reply is not None and reply.tone == "success"
    assert asyncio.run(circlebot.handle_thread_reply(people[0], "C42", "999.1", "chatter")) is None
    assert asyncio.run(circlebot.handle_thread_reply(people[0], "C99", "1700000000.000100", "x")) is None
    assert "from the thread" in ok(circlebot, people[1], "answers").plain_text()


def test_someone_outside_the_circle_cannot_answer_its_prompt(circlebot, db):
    published_round(circlebot, 8, size="4-4")
    post_week(circlebot)
    with db() as session:
        post = session.scalar(select(PromptPost).order_by(PromptPost.id))
        members = session.scalars(select(Circle).where(Circle.id == post.circle_id)).one().memberships
        insiders = {m.member.external_id for m in members}
    outsider = next(person(f"u{i}") for i in range(8) if f"u{i}" not in insiders)
    reply = asyncio.run(circlebot.handle_form(outsider, "answer", str(post.id), {"answer": "sneaky"}))
    assert reply.tone == "error"


def test_checkin_and_pulse_by_command_and_by_button(circlebot, db):
    people = published_round(circlebot, 4, size="4-4")
    post_week(circlebot)
    ok(circlebot, people[0], "checkin yes")
    ok(circlebot, people[0], 'pulse 4 "good energy"')
    with unit_of_work(db) as session:
        circle = session.scalar(select(Circle))
        s.request_checkin_and_pulse(session, circle, 1)
        payload = session.scalar(select(OutboxMessage).where(OutboxMessage.key.like("checkin:%"))).payload
    buttons = render_payload(payload).buttons
    assert [b.label for b in buttons[:3]] == ["Yes", "Not yet", "We skipped"]
    assert [b.label for b in buttons[3:]] == ["1", "2", "3", "4", "5"]
    not_yet, two = buttons[1], buttons[4]
    assert asyncio.run(circlebot.handle_action(people[1], not_yet.action, not_yet.value)).tone == "success"
    reply = asyncio.run(circlebot.handle_action(people[1], two.action, two.value))
    assert [b.label for b in reply.buttons] == ["Add a comment"]
    form = asyncio.run(circlebot.handle_action(people[1], "pulse_comment", reply.buttons[0].value)).form
    asyncio.run(circlebot.handle_form(people[1], "pulse_comment", form.context, {"comment": "too rushed"}))
    with db() as session:
        assert sorted(session.scalars(select(CheckIn.status))) == ["met", "not_yet"]
        assert sorted((p.rating, p.comment) for p in session.scalars(select(Pulse))) == [(2, "too rushed"), (4, "good energy")]


def test_pulse_outside_1_to_5_is_refused(circlebot):
    people = published_round(circlebot, 4, size="4-4")
    post_week(circlebot)
    reply = say(circlebot, people[0], "pulse 7")
    assert reply.tone == "error" and "1 to 5" in reply.text


def test_checkin_without_a_circle_says_why(circlebot):
    reply = say(circlebot, person("loner"), "checkin yes")
    assert reply.tone == "error" and "not in an active circle" in reply.text


def test_goals_set_note_done_and_list(circlebot):
    me = person("gina")
    assert "Goal 1 set by 2027-02-01" in ok(circlebot, me, 'goal set "Give a talk" by 2027-02-01').text
    ok(circlebot, me, "goal set Read two books")
    ok(circlebot, me, 'goal note 1 "Outline written"')
    ok(circlebot, me, "goal done 2")
    text = ok(circlebot, me, "goal list").text
    assert "○ 1. Give a talk (by 2027-02-01) — 1 note, latest: Outline written" in text
    assert "✓ 2. Read two books" in text


def test_goal_done_for_a_goal_that_does_not_exist_lists_the_real_ones(circlebot):
    me = person("gina")
    ok(circlebot, me, 'goal set "A"')
    reply = say(circlebot, me, "goal done 5")
    assert reply.tone == "error" and "no goal 5" in reply.text and "1" in reply.text


def test_goal_due_in_the_past_is_refused(circlebot):
    assert say(circlebot, person("gina"), 'goal set "A" by 2001-01-01').tone == "error"
