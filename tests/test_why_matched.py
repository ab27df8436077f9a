""""Why you were matched" is always about the circle's members as they are now, in names: after
a `round move`, a late joiner or a rematch, and with shared time claimed only from the people
who gave their availability."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.presenters import render_payload
from circles.model import Circle, Member, Membership, OutboxMessage
from tests.builders import COORD, ok, person

ID_LIKE = re.compile(r"\bmember \d+\b", re.IGNORECASE)


def join_with(bot, user: str, name: str, profile: str, program: str = "") -> None:  # type: ignore[no-untyped-def]
    who = person(user, name=name)
    ok(bot, who, "join" + (f' program="{program}"' if program else ""))
    ok(bot, who, f"profile set timezone=UTC {profile}")


def teachers_world(bot) -> None:  # type: ignore[no-untyped-def]
    """Eight people: Ada teaches SQL, which everyone else wants to learn."""
    ok(bot, COORD, 'program create "Spring" size=4-4')
    join_with(bot, "ada", "Ada", 'offers=sql interests=rust availability="weekdays 9-17"')
    for i, name in enumerate(["Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"]):
        join_with(bot, f"p{i}", name, 'wants=sql interests=rust availability="weekdays 9-17"')


def sections_by_circle(reply) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return {int(s.title.split()[-1]): s.text for s in reply.sections}


def circle_of(db, user: str) -> int:  # type: ignore[no-untyped-def]
    with db() as session:
        return session.scalar(select(Circle.number)
                              .join(Membership, Membership.circle_id == Circle.id)
                              .join(Member, Member.id == Membership.member_id)
                              .where(Member.external_id == user))


def test_after_a_move_the_draft_explains_each_circle_by_who_is_in_it_now(circlebot, db):
    teachers_world(circlebot)
    before = sections_by_circle(ok(circlebot, COORD, "round preview"))
    home = circle_of(db, "ada")
    assert "Ada can teach" in before[home]
    other = 2 if home == 1 else 1
    ok(circlebot, COORD, f"round move @Ada to {other}")
    after = sections_by_circle(ok(circlebot, COORD, "round preview"))
    assert "Ada" not in after[home]  # she left: the old circle no longer claims her
    assert "Ada can teach" in after[other]
    assert not any(ID_LIKE.search(text) for text in after.values())


def test_a_late_joiner_is_welcomed_with_a_reason_of_their_own_in_names(circlebot, db):
    ok(circlebot, COORD, 'program create "Spring" size=4-5')
    for i, name in enumerate(["Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy"]):
        join_with(circlebot, f"p{i}", name, f'offers=sql interests=chess,{"go" if i % 2 else "art"} '
                                            'availability="weekdays 9-17"')
    ok(circlebot, COORD, "round preview")
    ok(circlebot, COORD, "round publish")
    late = person("late", name="Latecomer")
    ok(circlebot, late, "join")
    reply = ok(circlebot, late, 'profile set wants=sql interests=go timezone=UTC '
                                'availability="mon 9-12"')
    assert "You've joined **Spring · circle" in reply.text
    assert not ID_LIKE.search(reply.text)
    with db() as session:
        placed = session.scalar(select(OutboxMessage).where(OutboxMessage.key.like("joined:%")))
    welcome = render_payload(placed.payload).text
    assert not ID_LIKE.search(welcome)
    # theirs, not the circle's: what the newcomer shares with the people already there
    assert "Latecomer enjoys go" in welcome or "Latecomer shares an interest in go with" in welcome
    assert "can teach Latecomer sql" in welcome
    assert "share 3 hours a week on Mon (UTC)" in welcome  # their time with the others


def test_a_rematched_member_hears_why_they_fit_the_new_circle_from_its_members_now(circlebot, db):
    teachers_world(circlebot)
    ok(circlebot, COORD, 'program set "Spring" size=4-5')
    ok(circlebot, COORD, "round preview")
    ok(circlebot, COORD, "round publish")
    ada_home = circle_of(db, "ada")
    with db() as session:
        rows = session.execute(select(Member.display_name, Circle.number)
                               .join(Membership, Membership.member_id == Member.id)
                               .join(Circle, Circle.id == Membership.circle_id)).all()
    mover = next(n for n, number in rows if number != ada_home)
    left_behind = [n for n, number in rows if number != ada_home and n != mover]
    asked = ok(circlebot, COORD, f"rematch @{mover}")
    assert f"Ada can teach {mover} sql" in asked.text and not ID_LIKE.search(asked.text)
    confirm = asked.buttons[0]
    circlebot.handle_action_sync(COORD, confirm.action, confirm.value)
    with db() as session:
        told = session.scalar(select(OutboxMessage).where(OutboxMessage.key.like("rematch:%")))
    text = render_payload(told.payload).text
    assert f"Ada can teach {mover} sql" in text
    assert not any(name in text for name in left_behind)  # nothing about the circle they left


def test_shared_time_is_claimed_only_from_people_who_gave_their_availability(circlebot):
    ok(circlebot, COORD, 'program create "Small" size=4-4')
    join_with(circlebot, "a", "Ann", 'interests=chess availability="mon 9-12"')
    join_with(circlebot, "b", "Ben", 'interests=chess availability="mon 10-14"')
    join_with(circlebot, "c", "Cat", "interests=chess")
    join_with(circlebot, "d", "Dan", "interests=chess")
    text = ok(circlebot, COORD, "round preview").sections[0].text
    assert "Ann and Ben (who gave their availability) share 2 hours a week on Mon (UTC)" in text
    assert "you share" not in text


def test_nobody_with_availability_means_no_time_claim(circlebot):
    ok(circlebot, COORD, 'program create "Small" size=2-2')
    join_with(circlebot, "a", "Ann", "interests=chess")
    join_with(circlebot, "b", "Ben", "interests=chess")
    text = ok(circlebot, COORD, "round preview").sections[0].text
    assert "nobody has given their availability yet" in text and "hours" not in text
