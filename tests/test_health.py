"""Coordinators ask how circles are doing."""

from __future__ import annotations

from sqlalchemy import select

from circles.model import Circle, Membership
from tests.builders import COORD, ok, person, post_week, published_round


def _circle_people(db):
    with db() as session:
        out: dict[int, list[str]] = {}
        for cid, ext in session.execute(select(Circle.number, Membership.member_id).join(Membership)):
            out.setdefault(cid, []).append(f"u{ext - 2}")
    return out


def test_health_reports_rates_pulse_and_flags_circles_at_risk_with_a_reason(circlebot, db, clock):
    published_round(circlebot, 8, size="4-4")
    post_week(circlebot, 1)
    circles = _circle_people(db)
    happy, sad = circles[1], circles[2]
    for ext in happy:
        ok(circlebot, person(ext), 'answer "went well"')
        ok(circlebot, person(ext), "checkin yes")
        ok(circlebot, person(ext), "pulse 5")
    ok(circlebot, person(sad[0]), "pulse 2")
    ok(circlebot, person(sad[1]), "pulse 1")
    reply = ok(circlebot, COORD, "health")
    text = reply.plain_text()
    assert reply.visibility == "ephemeral"
    assert "1 circle(s) at risk" in text
    assert "✅ **Spring circles · circle 1**" in text and "answers 100%" in text and "pulse 5.0" in text
    assert "⚠️ **Spring circles · circle 2**" in text and "pulse is low (1.5/5)" in text


def test_health_shows_pulse_trend_and_members_to_rematch(circlebot, db, clock):
    published_round(circlebot, 4, size="4-4")
    people = [person(f"u{i}") for i in range(4)]
    post_week(circlebot, 1)
    for who in people:
        ok(circlebot, who, "pulse 5")
    clock.advance(days=7)
    post_week(circlebot, 2)
    for who in people[:3]:
        ok(circlebot, who, "pulse 3")
    ok(circlebot, people[3], "pulse 1")
    text = ok(circlebot, COORD, "health").plain_text()
    assert "pulse fell by" in text and "↓" in text


def test_a_quiet_circle_is_flagged_after_two_weeks(circlebot, clock):
    published_round(circlebot, 4, size="4-4")
    post_week(circlebot, 1)
    assert "0 circle(s) at risk" in ok(circlebot, COORD, "health").text
    clock.advance(days=15)
    assert "no activity for 14+ days" in ok(circlebot, COORD, "health").plain_text()


def test_health_before_any_round_says_so(circlebot):
    ok(circlebot, COORD, 'program create "Fresh"')
    assert "No published round yet" in ok(circlebot, COORD, "health").plain_text()
