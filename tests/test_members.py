"""What a member can do: join, profile, pause/resume, leave, status, help."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from circles.model import Member, ProgramMember
from tests.builders import COORD, ok, person, published_round, say

ALICE = person("alice")


def test_help_lists_member_commands_and_hides_coordinator_ones(circlebot):
    reply = ok(circlebot, ALICE, "help")
    assert "/circle join" in reply.text and "/circle pause until" in reply.text
    assert "/circle health" not in reply.text
    assert "/circle health" in ok(circlebot, COORD, "help").text


def test_help_for_one_command_shows_an_example(circlebot):
    reply = ok(circlebot, ALICE, "help goal")
    assert 'goal set "Give a lightning talk" by 2027-02-01' in reply.text


def test_join_opens_the_profile_form_and_enrols(circlebot, db):
    ok(circlebot, COORD, 'program create "Pods" kind=pod')
    reply = ok(circlebot, ALICE, "join mentee")
    assert reply.form is not None and reply.form.form_id == "profile"
    assert {f.name for f in reply.form.fields} >= {"role", "interests", "goals", "offers", "wants",
                                                   "timezone", "availability", "experience", "department"}
    with db() as session:
        m = session.scalar(select(Member).where(Member.external_id == "alice"))
        assert m.enrolled and session.scalar(select(ProgramMember.role).where(
            ProgramMember.member_id == m.id)) == "mentee"


def test_join_prefills_timezone_from_the_platform_profile(circlebot):
    who = person("tz", timezone="Asia/Tokyo")
    reply = ok(circlebot, who, "join")
    tz = next(f for f in reply.form.fields if f.name == "timezone")
    assert tz.initial == "Asia/Tokyo"


def test_joining_twice_says_so_and_changes_nothing(circlebot):
    ok(circlebot, ALICE, "join peer")
    reply = say(circlebot, ALICE, "join peer")
    assert reply.tone == "warning" and "already joined" in reply.text
    assert reply.form is None


def test_profile_form_submission_saves_every_field(circlebot):
    ok(circlebot, COORD, 'program create "Pods" kind=pod')
    ok(circlebot, ALICE, "join peer")
    import asyncio

    reply = asyncio.run(circlebot.handle_form(ALICE, "profile", "", {
        "role": "mentor", "experience": "5", "department": "Design", "interests": "UX, Writing",
        "goals": "leadership", "offers": "figma", "wants": "sql", "timezone": "Europe/Berlin",
        "availability": "mon 9-12, wed 14-17"}))
    assert reply.tone == "success"
    shown = ok(circlebot, ALICE, "profile").plain_text()
    for expected in ("Mentor", "5/5", "Design", "ux, writing", "figma", "sql", "Europe/Berlin",
                     "mon 9-12, wed 14-17"):
        assert expected in shown


def test_profile_is_private_to_the_member(circlebot):
    ok(circlebot, ALICE, "join")
    assert ok(circlebot, ALICE, "profile").visibility == "ephemeral"


def test_profile_set_rejects_a_timezone_that_is_not_iana_and_keeps_the_old_one(circlebot):
    ok(circlebot, ALICE, "join")
    ok(circlebot, ALICE, "profile set timezone=Europe/Paris")
    reply = say(circlebot, ALICE, "profile set timezone=Mars/Olympus")
    assert reply.tone == "error" and "IANA" in reply.text
    assert "Europe/Paris" in ok(circlebot, ALICE, "profile").plain_text()


def test_pause_until_a_date_then_resume(circlebot, db):
    ok(circlebot, ALICE, "join")
    assert "Paused until 2026-12-31" in ok(circlebot, ALICE, "pause until 2026-12-31").text
    with db() as session:
        assert session.scalar(select(Member.paused_until).where(Member.external_id == "alice")) == dt.date(2026, 12, 31)
    ok(circlebot, ALICE, "resume")
    with db() as session:
        assert session.scalar(select(Member.paused_until).where(Member.external_id == "alice")) is None


def test_pause_with_a_misspelt_date_says_which_format_it_wants(circlebot):
    ok(circlebot, ALICE, "join")
    reply = say(circlebot, ALICE, "pause until tomorrw")
    assert reply.tone == "error"
    assert "YYYY-MM-DD" in reply.text and "/circle pause until" in reply.text


def test_pause_in_the_past_is_refused(circlebot):
    ok(circlebot, ALICE, "join")
    assert say(circlebot, ALICE, "pause until 2020-01-01").tone == "error"


def test_resume_when_not_paused_is_a_friendly_error(circlebot):
    ok(circlebot, ALICE, "join")
    assert "not paused" in say(circlebot, ALICE, "resume").text


def test_leave_asks_to_confirm_and_only_leaves_on_yes(circlebot):
    people = published_round(circlebot)
    me = people[0]
    reply = ok(circlebot, me, "leave")
    assert [b.label for b in reply.buttons] == ["Yes, leave", "Stay"]
    assert "Spring circles" in reply.text
    import asyncio

    stay = reply.buttons[1]
    assert "Nothing changed" in asyncio.run(circlebot.handle_action(me, stay.action, stay.value)).text
    assert "Spring circles" in ok(circlebot, me, "status").plain_text()
    reply = ok(circlebot, me, "leave")
    yes = reply.buttons[0]
    assert "You left" in asyncio.run(circlebot.handle_action(me, yes.action, yes.value)).text
    assert "haven't joined" in ok(circlebot, me, "status").text


def test_leaving_when_not_in_any_circle_is_a_friendly_error(circlebot):
    reply = say(circlebot, ALICE, "leave")
    assert reply.tone == "error" and "nothing to leave" in reply.text


def test_a_leave_confirmation_cannot_be_used_by_someone_else(circlebot):
    people = published_round(circlebot)
    reply = ok(circlebot, people[0], "leave")
    yes = reply.buttons[0]
    import asyncio

    other = asyncio.run(circlebot.handle_action(people[1], yes.action, yes.value))
    assert other.tone == "error"
    assert "Spring circles" in ok(circlebot, people[0], "status").plain_text()


def test_status_shows_circles_prompt_and_open_goals(circlebot):
    people = published_round(circlebot)
    from tests.builders import post_week

    post_week(circlebot)
    ok(circlebot, people[0], 'goal set "Give a talk" by 2027-02-01')
    text = ok(circlebot, people[0], "status").plain_text()
    assert "My circles" in text and "Spring circles · circle" in text
    assert "Week 1 prompt" in text and "not answered yet" in text
    assert "1. Give a talk (by 2027-02-01)" in text
