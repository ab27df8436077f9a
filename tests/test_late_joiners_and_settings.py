"""Late joiners, "never with" opt-outs and per-program matching weights."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from circles.model import Member, Membership, OutboxMessage, Profile, Program, Round
from tests.builders import COORD, enrol, ok, person, published_round, say


def test_someone_who_joins_mid_round_is_placed_into_a_circle_with_room(circlebot, db):
    published_round(circlebot, 9, size="4-5")
    late = person("late", name="Latecomer")
    ok(circlebot, late, "join")
    reply = ok(circlebot, late, 'profile set interests="rust, design" timezone=Europe/Berlin '
                                'availability="weekdays 9-17"')
    assert "You've joined **Spring circles · circle" in reply.text
    with db() as session:
        m = session.scalar(select(Member).where(Member.external_id == "late"))
        assert session.scalar(select(Membership).where(Membership.member_id == m.id)) is not None
        actions = {o.action for o in session.scalars(select(OutboxMessage).where(
            OutboxMessage.key.like(f"%:{m.id}")))}
    assert actions == {"invite", "post"}  # added to the circle's space, and introduced there
    assert "Spring circles · circle" in ok(circlebot, late, "status").plain_text()


def test_a_late_joiner_with_no_room_anywhere_is_waitlisted_with_the_reason(circlebot, db):
    published_round(circlebot, 8, size="4-4")
    late = person("late")
    ok(circlebot, late, "join")
    reply = ok(circlebot, late, "profile set timezone=Europe/Berlin")
    assert "on the waitlist for the next round of Spring circles" in reply.text
    with db() as session:
        waitlist = session.scalar(select(Round.waitlist))
    assert len(waitlist) == 1


def test_saving_the_profile_twice_does_not_place_someone_twice(circlebot, db):
    published_round(circlebot, 9, size="4-5")
    late = person("late")
    ok(circlebot, late, "join")
    ok(circlebot, late, "profile set timezone=Europe/Berlin")
    second = ok(circlebot, late, "profile set interests=rust")
    assert "joined" not in second.text
    with db() as session:
        m = session.scalar(select(Member).where(Member.external_id == "late"))
        assert len(session.scalars(select(Membership).where(Membership.member_id == m.id)).all()) == 1


def test_never_with_opt_outs_are_saved_shown_and_honoured(circlebot, db):
    ok(circlebot, COORD, 'program create "Pairs" kind=skill-swap')
    people = enrol(circlebot, 4)
    ok(circlebot, people[0], "profile set avoid=@Member1")
    assert "Never matched with: Member1" in ok(circlebot, people[0], "profile").plain_text()
    for seed in range(5):
        ok(circlebot, COORD, f"round preview seed={seed}")
        with db() as session:
            pairs = {}
            for cid, mid in session.execute(select(Membership.circle_id, Membership.member_id)):
                pairs.setdefault(cid, set()).add(mid)
            ids = dict(session.execute(select(Member.external_id, Member.id)).all())
        assert {ids["u0"], ids["u1"]} not in pairs.values()


def test_opting_out_of_someone_unknown_or_yourself_is_refused(circlebot, db):
    enrol(circlebot, 1)
    me = person("u0", name="Member0")
    assert "can't find @ghost" in say(circlebot, me, "profile set avoid=@ghost").text
    assert "yourself" in say(circlebot, me, "profile set avoid=@Member0").text
    with db() as session:
        assert session.scalar(select(Profile.never_with)) == []


def test_coordinators_set_matching_weights_per_program(circlebot, db):
    ok(circlebot, COORD, 'program create "Mixed" kind=cross-functional weights=interests:2')
    reply = ok(circlebot, COORD, 'program set "Mixed" weights=department:-1 repeat=5 hours=2')
    assert "repeat window 5 rounds" in reply.text
    with db() as session:
        p = session.scalar(select(Program))
    assert p.weights == {"interests": 2.0, "department": -1.0}
    assert (p.repeat_window, p.min_shared_hours) == (5, 2)
    from circles.usecases.matchmaking import match_settings

    w = match_settings(p, seed=0).weights
    assert (w.interests, w.department, w.goals) == (2.0, -1.0, 1.0)


def test_bad_weights_are_explained(circlebot):
    reply = say(circlebot, COORD, 'program create "X" weights=charm:3')
    assert reply.tone == "error" and "interests, goals, skills" in reply.text
    assert "-10 to 10" in say(circlebot, COORD, 'program create "X" weights=goals:99').text
    ok(circlebot, COORD, 'program create "Y"')
    assert "Tell me what to change" in say(circlebot, COORD, 'program set "Y"').text


def test_members_cannot_change_program_settings(circlebot):
    ok(circlebot, COORD, 'program create "Y"')
    assert say(circlebot, person("m"), 'program set "Y" repeat=1').tone == "error"


def test_a_returning_member_is_placed_when_they_join_again(circlebot, db):
    people = published_round(circlebot, 9, size="4-5")
    me = people[0]
    reply = ok(circlebot, me, "leave")
    asyncio.run(circlebot.handle_action(me, reply.buttons[0].action, reply.buttons[0].value))
    back = ok(circlebot, me, "join")
    assert "Welcome back" in back.text and "joined **Spring circles" in back.text
