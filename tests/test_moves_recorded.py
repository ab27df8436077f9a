"""A rematch, a draft move and a round's end take people out of their old circles in the
data, not just in a channel: the engine records the move (`MemberMoved` for a rematch) and
nothing afterwards counts them in the circle they left."""

from __future__ import annotations

from sqlalchemy import select

from circles.model import AuditEvent, Circle, Member, Membership
from tests.builders import COORD, enrol, ok, post_week, published_round, say


def memberships(db, user: str) -> list[tuple[int, bool]]:  # type: ignore[no-untyped-def]
    with db() as s:
        return sorted(s.execute(select(Membership.circle_id, Membership.active)
                                .join(Member, Member.id == Membership.member_id)
                                .where(Member.external_id == user)).all())


def test_a_rematch_leaves_the_old_circle_in_the_data(circlebot, db):
    published_round(circlebot, 9, size="4-5")
    with db() as s:
        sizes = {c: len(s.scalars(select(Membership).where(Membership.circle_id == c)).all())
                 for c in s.scalars(select(Circle.id))}
        crowded = max(sizes, key=lambda c: sizes[c])
        ext, name = s.execute(select(Member.external_id, Member.display_name)
                              .join(Membership, Membership.member_id == Member.id)
                              .where(Membership.circle_id == crowded)).first()
    asked = ok(circlebot, COORD, f"rematch @{name}")
    done = circlebot.handle_action_sync(COORD, asked.buttons[0].action, asked.buttons[0].value)
    assert done.tone == "success"
    after = memberships(db, ext)
    assert [active for _, active in after].count(True) == 1
    assert (crowded, False) in after  # still on record as having been there, no longer in it
    with db() as s:
        moved = s.scalar(select(AuditEvent.detail).where(AuditEvent.kind == "member.rematched"))
    assert moved["from"] == crowded and moved["to"] != crowded


def test_after_the_round_ends_nobody_is_counted_in_its_circles(circlebot, db):
    people = published_round(circlebot, 8)
    post_week(circlebot)
    asked = ok(circlebot, COORD, "round end")
    circlebot.handle_action_sync(COORD, asked.buttons[0].action, asked.buttons[0].value)
    reply = say(circlebot, people[0], "checkin yes")
    assert reply.tone == "error" and "not in an active circle" in reply.text
    assert "You'll be placed in a circle when the next round is published" in \
        ok(circlebot, people[0], "status").plain_text()


def test_a_draft_move_takes_them_out_of_the_old_circle(circlebot, db):
    ok(circlebot, COORD, 'program create "Spring" size=4-5')
    enrol(circlebot, 10)
    ok(circlebot, COORD, "round preview")
    before = memberships(db, "u0")
    target = 2 if before[0][0] == 1 else 1
    ok(circlebot, COORD, f"round move @Member0 to {target}")
    after = memberships(db, "u0")
    assert len(after) == 1 and after[0][0] != before[0][0]  # in exactly one circle of the draft
