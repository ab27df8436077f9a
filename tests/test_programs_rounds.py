"""Coordinators: programs, enrolment, round preview/adjust/publish/end, rematch, coordinators."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.presenters import render_payload
from circles.model import Circle, Membership, OutboxMessage, PairHistory, Round
from circles.notices import CircleFormed, from_payload
from tests.builders import COORD, enrol, ok, person, published_round, say


def test_coordinator_creates_a_program_with_the_documented_syntax(circlebot):
    reply = ok(circlebot, COORD, 'program create "Spring peer circles" kind=peer size=4-6 '
                                 "cadence=weekly day=mon time=10:00")
    assert 'Created "Spring peer circles"' in reply.text and "4-6" in reply.text
    assert "Spring peer circles" in ok(circlebot, COORD, "program list").text


def test_program_names_are_unique_per_workspace(circlebot):
    ok(circlebot, COORD, 'program create "A"')
    assert "already exists" in say(circlebot, COORD, 'program create "a"').text


def test_only_coordinators_may_run_coordinator_commands(circlebot, db):
    member = person("mallory")
    for cmd in ('program create "X"', "round preview", "round publish", "health", "rematch @coord",
                "coordinators add @mallory"):
        reply = say(circlebot, member, cmd)
        assert reply.tone == "error" and "for coordinators" in reply.text, cmd
    assert "X" not in ok(circlebot, member, "program list").text


def test_workspace_admins_are_coordinators(circlebot):
    admin = person("boss", is_admin=True)
    ok(circlebot, admin, 'program create "Admin program"')


def test_coordinators_can_add_coordinators(circlebot):
    enrol(circlebot, 1)
    ok(circlebot, COORD, "coordinators add @Member0")
    assert "Member0" in ok(circlebot, COORD, "coordinators list").text
    ok(circlebot, person("u0"), 'program create "By new coordinator"')


def test_adding_a_member_who_does_not_exist_is_a_clear_error(circlebot):
    reply = say(circlebot, COORD, "coordinators add @nobody")
    assert reply.tone == "error" and "can't find @nobody" in reply.text


def test_closed_enrolment_refuses_new_joiners(circlebot):
    ok(circlebot, COORD, 'program create "Closed one"')
    ok(circlebot, COORD, 'program close "Closed one"')
    reply = say(circlebot, person("late"), "join")
    assert reply.tone == "error" and "No program is open" in reply.text
    ok(circlebot, COORD, 'program open "Closed one"')
    ok(circlebot, person("late"), "join")


def test_round_preview_forms_circles_within_size_bounds(circlebot, db):
    ok(circlebot, COORD, 'program create "P" size=4-5')
    enrol(circlebot, 13)
    reply = ok(circlebot, COORD, "round preview")
    assert "Draft round 1" in reply.title
    with db() as session:
        sizes = session.execute(select(func.count()).select_from(Membership).group_by(Membership.circle_id)).scalars().all()
    assert sum(sizes) == 13 and all(4 <= n <= 5 for n in sizes)


def test_a_pod_has_exactly_one_mentor(circlebot, db):
    ok(circlebot, COORD, 'program create "Pods" kind=pod size=3-5')
    enrol(circlebot, 2, role="mentor")
    enrol(circlebot, 6, role="mentee", start=10)
    ok(circlebot, COORD, "round preview")
    with db() as session:
        mentors = session.execute(select(Membership.circle_id, func.count()).where(Membership.role == "mentor")
                                  .group_by(Membership.circle_id)).all()
        circles = session.scalar(select(func.count()).select_from(Circle))
    assert len(mentors) == circles and all(n == 1 for _, n in mentors)


def test_round_move_adjusts_the_draft(circlebot, db):
    ok(circlebot, COORD, 'program create "P" size=4-4')
    enrol(circlebot, 8)
    preview = ok(circlebot, COORD, "round preview")
    first_circle = preview.sections[0].text
    name = "Member0" if "Member0" not in first_circle else "Member1"
    target = 1
    reply = ok(circlebot, COORD, f"round move @{name} to {target}")
    assert f"Moved {name} to circle 1" in reply.text
    assert say(circlebot, COORD, "round move @Member0 to 99").tone == "error"


def test_publishing_records_history_and_queues_spaces_and_welcomes(circlebot, db):
    published_round(circlebot, 8)
    with db() as session:
        actions = session.execute(select(OutboxMessage.action, func.count()).group_by(OutboxMessage.action)).all()
        pairs = session.scalar(select(func.count()).select_from(PairHistory))
        status = session.scalar(select(Round.status))
    assert dict(actions) == {"create_space": 2, "post": 2}
    assert pairs == 2 * 6 and status == "active"


def test_welcome_explains_why_members_were_matched_and_mentions_them(circlebot, db):
    published_round(circlebot, 8)
    with db() as session:
        welcome = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("welcome:%"))).first()
    notice = from_payload(welcome.payload)
    assert isinstance(notice, CircleFormed) and notice.why is not None and len(notice.mentions) == 4
    reply = render_payload(welcome.payload)
    assert "Why you were matched" in reply.text and reply.mentions == notice.mentions


def test_cannot_publish_twice_while_a_round_is_active(circlebot):
    published_round(circlebot, 8)
    ok(circlebot, COORD, "round preview")
    assert "still active" in say(circlebot, COORD, "round publish").text


def end_round(bot) -> None:  # type: ignore[no-untyped-def]
    """`round end` asks first; the coordinator presses "End the round"."""
    asked = ok(bot, COORD, "round end")
    assert "End round" in asked.text
    button = asked.buttons[0]
    assert button.label == "End the round"
    assert bot.handle_action_sync(COORD, button.action, button.value).tone == "success"


def test_the_next_round_avoids_repeating_pairs(circlebot, db):
    published_round(circlebot, 16, size="4-4")
    end_round(circlebot)
    ok(circlebot, COORD, "round preview")
    with db() as session:
        r1 = {frozenset((a, b)) for a, b in session.execute(select(PairHistory.member_a, PairHistory.member_b))}
        draft = session.scalar(select(Round).where(Round.status == "draft"))
        groups: dict[int, list[int]] = {}
        for cid, mid in session.execute(select(Membership.circle_id, Membership.member_id).join(Circle)
                                        .where(Circle.round_id == draft.id)):
            groups.setdefault(cid, []).append(mid)
    r2 = {frozenset((a, b)) for g in groups.values() for i, a in enumerate(g) for b in g[i + 1:]}
    assert not (r1 & r2)


def test_ending_a_round_archives_spaces_and_checks_in_on_goals(circlebot, db):
    people = published_round(circlebot, 8)
    ok(circlebot, people[0], 'goal set "Ship it"')
    end_round(circlebot)
    with db() as session:
        keys = set(session.scalars(select(OutboxMessage.key)))
    assert sum(k.startswith("archive:") for k in keys) == 2
    assert any(k.startswith("goalcheck:") for k in keys)


def test_rematch_asks_the_coordinator_to_confirm_then_moves_and_tells_the_member(circlebot, db):
    people = published_round(circlebot, 9, size="3-4")
    reply = ok(circlebot, COORD, "rematch @Member0")
    assert "Move Member0" in reply.text
    assert [b.label for b in reply.buttons] == ["Move them", "Cancel"]
    done = asyncio.run(circlebot.handle_action(COORD, reply.buttons[0].action, reply.buttons[0].value))
    assert done.tone == "success"
    with db() as session:
        active = session.scalars(select(Membership.circle_id).where(Membership.member_id == 1 + 0,
                                                                    Membership.active.is_(True))).all()
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.key.like("rematch:%"))) == 1
        moved_to = session.scalar(select(Membership.circle_id).where(
            Membership.member_id == people_ids(session)["u0"], Membership.active.is_(True)))
        invite = session.scalar(select(OutboxMessage).where(OutboxMessage.action == "invite"))
        assert invite is not None and invite.payload == {"circle_id": moved_to, "users": ["u0"]}
    assert len(active) <= 1
    assert "Spring circles" in ok(circlebot, people[0], "status").plain_text()


def people_ids(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from circles.model import Member

    return dict(session.execute(select(Member.external_id, Member.id)).all())


def test_custom_prompts_come_first(circlebot, db):
    published_round(circlebot, 8)
    ok(circlebot, COORD, 'prompt add "What did you teach someone this week?"')
    from tests.builders import post_week

    post_week(circlebot)
    assert "What did you teach someone this week?" in ok(circlebot, person("u0"), "status").plain_text()
