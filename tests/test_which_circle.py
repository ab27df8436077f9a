"""Someone in circles of two programs says which one an answer, check-in or pulse is for
(`program="Name"` or `circle=N`); when they don't, they get a choice of their circles as
buttons instead of a silent pick."""

from __future__ import annotations

from sqlalchemy import select

from circles.model import CheckIn, Circle, Member, Program, PromptPost, Pulse, Response, Round
from tests.builders import COORD, ok, person, post_week, say

PEOPLE = [person(f"u{i}", name=f"Member{i}") for i in range(4)]


def two_circles_each(bot) -> None:  # type: ignore[no-untyped-def]
    for name in ("Alpha", "Beta"):
        ok(bot, COORD, f'program create "{name}" size=4-4')
        for who in PEOPLE:
            ok(bot, who, f'join program="{name}"')
    for who in PEOPLE:
        ok(bot, who, "profile set timezone=UTC interests=chess")
    for name in ("Alpha", "Beta"):
        ok(bot, COORD, f'round preview program="{name}"')
        ok(bot, COORD, f'round publish program="{name}"')
    post_week(bot)


def program_of(db, table, user: str) -> list[str]:  # type: ignore[no-untyped-def]
    with db() as s:
        member = s.scalar(select(Member.id).where(Member.external_id == user))
        if table is Response:
            q = (select(Program.name).select_from(Response)
                 .join(PromptPost, PromptPost.id == Response.prompt_post_id)
                 .join(Circle, Circle.id == PromptPost.circle_id))
        else:
            q = select(Program.name).select_from(table).join(Circle, Circle.id == table.circle_id)
        q = (q.join(Round, Round.id == Circle.round_id).join(Program, Program.id == Round.program_id)
             .where(table.member_id == member))
        return sorted(s.scalars(q))


def press(bot, who, reply, label: str):  # type: ignore[no-untyped-def]
    button = next(b for b in reply.buttons if label in b.label)
    return bot.handle_action_sync(who, button.action, button.value)


def test_an_ambiguous_checkin_offers_a_choice_and_the_press_decides(circlebot, db):
    two_circles_each(circlebot)
    me = PEOPLE[0]
    asked = say(circlebot, me, "checkin no")
    assert asked.tone == "warning" and "Which one is this for?" in asked.text
    assert [b.label for b in asked.buttons] == ["Alpha · circle 1", "Beta · circle 1", "Cancel"]
    assert program_of(db, CheckIn, "u0") == []  # nothing recorded until they choose
    done = press(circlebot, me, asked, "Beta")
    assert "didn't meet this week" in done.text
    assert program_of(db, CheckIn, "u0") == ["Beta"]


def test_naming_the_program_or_circle_records_it_at_once(circlebot, db):
    two_circles_each(circlebot)
    me = PEOPLE[1]
    assert "you met" in ok(circlebot, me, 'checkin yes program="alpha"').text
    assert program_of(db, CheckIn, "u1") == ["Alpha"]
    ok(circlebot, me, 'answer "chess openings" program=Beta')
    assert program_of(db, Response, "u1") == ["Beta"]
    # circle=1 fits both (each program has a circle 1): still a choice
    asked = say(circlebot, me, 'pulse 4 "good" circle=1')
    assert [b.label for b in asked.buttons][:2] == ["Alpha · circle 1", "Beta · circle 1"]
    press(circlebot, me, asked, "Alpha")
    assert program_of(db, Pulse, "u1") == ["Alpha"]
    with db() as s:
        assert s.scalar(select(Pulse.comment)) == "good"


def test_an_ambiguous_answer_keeps_its_text_until_the_circle_is_chosen(circlebot, db):
    two_circles_each(circlebot)
    me = PEOPLE[2]
    asked = say(circlebot, me, "answer we wrote x=1 on the board")
    done = press(circlebot, me, asked, "Alpha")
    assert "your answer is recorded" in done.text
    with db() as s:
        assert s.scalar(select(Response.text)) == "we wrote x=1 on the board"
    assert program_of(db, Response, "u2") == ["Alpha"]


def test_naming_a_circle_they_are_not_in_is_explained(circlebot):
    two_circles_each(circlebot)
    reply = say(circlebot, PEOPLE[3], "checkin yes program=Gamma")
    assert reply.tone == "error"
    assert ('None of your circles fits program "Gamma". Your circles: Alpha · circle 1, '
            "Beta · circle 1.") in reply.text


def test_someone_in_one_circle_is_never_asked(circlebot, db):
    ok(circlebot, COORD, 'program create "Solo" size=4-4')
    for who in PEOPLE:
        ok(circlebot, who, "join")
        ok(circlebot, who, "profile set timezone=UTC")
    ok(circlebot, COORD, "round preview")
    ok(circlebot, COORD, "round publish")
    post_week(circlebot)
    reply = ok(circlebot, PEOPLE[0], "checkin not yet")
    assert "haven't met yet" in reply.text and not reply.buttons


async def test_through_slack_the_circle_buttons_carry_the_choice(slack, db):  # type: ignore[no-untyped-def]
    from tests.fakes.slack.blockkit import text_of
    from tests.test_slack_commands import join_with_profile

    users = ["U1", "U2", "U3", "U4"]
    await slack.command('program create "Alpha" size=4-4', user="U_ADMIN")
    for user in users:
        await join_with_profile(slack, user)  # joins Alpha, fills in the profile
    await slack.command('program create "Beta" size=4-4', user="U_ADMIN")
    for user in users:
        await slack.command('join peer program="Beta"', user=user)
    for name in ("Alpha", "Beta"):
        await slack.command(f'round preview program="{name}"', user="U_ADMIN")
        await slack.command(f'round publish program="{name}"', user="U_ADMIN")
    await slack.deliver()
    post_week(slack.core)
    asked = await slack.command("pulse 5", user="U1")
    assert "Which one is this for?" in text_of(asked)
    buttons = [e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]]
    beta = next(b for b in buttons if b["text"]["text"].startswith("Beta"))
    done = await slack.press(beta["action_id"], beta["value"], user="U1", ephemeral=True)
    assert "5/5" in text_of(done)
    assert program_of(db, Pulse, "U1") == ["Beta"]
