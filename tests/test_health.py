"""Coordinators ask how circles are doing."""

from __future__ import annotations

from sqlalchemy import select

from bot.config import SchedulingConfig
from bot.presenters import render_payload
from bot.presenters.formatting import MISSING
from circles import notices
from circles.cycle import run_due
from circles.health import ProgramHealth, RematchCandidate, Risk, program_health
from circles.model import Circle, Member, Membership, OutboxMessage, Program
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
    assert "1 circle at risk" in text
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
    assert "0 circles at risk" in ok(circlebot, COORD, "health").text
    clock.advance(days=15)
    assert "no activity for 14+ days" in ok(circlebot, COORD, "health").plain_text()


def test_health_before_any_round_says_so(circlebot):
    ok(circlebot, COORD, 'program create "Fresh"')
    assert "No published round yet" in ok(circlebot, COORD, "health").plain_text()


# --- typed facts, and one way of printing them ---------------------------------------------


def _program_health(db, clock) -> ProgramHealth:
    with db() as session:
        program = session.scalar(select(Program))
        assert program is not None
        return program_health(session, program, clock())


def test_health_facts_are_typed_and_members_to_rematch_come_with_their_names(circlebot, db, clock):
    people = published_round(circlebot, 4, size="4-4")
    for week in (1, 2):
        post_week(circlebot, week)
        for who in people[:2]:
            ok(circlebot, who, f'answer "week {week} went fine"')
        ok(circlebot, people[3], f"pulse {week}")
        clock.advance(days=7)
    with db() as session:
        ids = {m.display_name: m.id for m in session.scalars(select(Member))}
    h = _program_health(db, clock)
    assert (h.program_name, h.round_number) == ("Spring circles", 1)
    assert h.circles[0].risks == [Risk("low_pulse", 1.5)]
    assert h.rematch == [
        RematchCandidate(ids["Member2"], "Member2", "silent", 2),
        RematchCandidate(ids["Member3"], "Member3", "low_pulse", 2),
    ]
    text = ok(circlebot, COORD, "health").plain_text()
    assert ("Consider rematching: Member2 (hasn't answered the last two prompts); "
            "Member3 (rated their circle 2 or lower 2 times)") in text


def _digests(db) -> list[OutboxMessage]:
    with db() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("digest:%"))
                                    .order_by(OutboxMessage.id)))


def test_digest_and_health_print_a_missing_value_the_same_way(circlebot, db, clock):
    published_round(circlebot, 4, size="4-4")
    assert run_due(db, clock(), SchedulingConfig())["digest"] == 1  # Monday 09:00 UTC
    digest = render_payload(_digests(db)[0].payload).plain_text()
    health = ok(circlebot, COORD, "health").plain_text()
    assert f"• Meeting rate: {MISSING}" in digest and f"met {MISSING}" in health  # nobody checked in yet
    assert f"• Pulse: {MISSING}, trend {MISSING}" in digest and f"pulse {MISSING}" in health
    assert "n/a" not in digest and "n/a" not in health


def test_the_digest_goes_to_coordinators_in_the_order_the_coordinators_list_names_them(circlebot, db, clock):
    published_round(circlebot, 4, size="4-4")  # Casey (COORD) is the first member
    for user, name in (("zed", "Zed"), ("amy", "Amy")):  # created after Casey, named before and after
        ok(circlebot, person(user, name=name), "join peer")
        ok(circlebot, COORD, f"coordinators add @{name}")
    listed = ok(circlebot, COORD, "coordinators list").text.split(", ")
    assert listed == ["Amy", "Casey", "Zed"]
    run_due(db, clock(), SchedulingConfig())
    names = {"amy": "Amy", "coord": "Casey", "zed": "Zed"}
    assert [names[m.payload["user"]] for m in _digests(db)] == listed


def test_a_stored_digest_reads_back_as_the_same_typed_notice():
    digest = notices.WeeklyDigest([notices.ProgramDigest(
        "Spring", 2, 3, 0.5, None, 3.0, -1.5, 11,
        [notices.AtRiskCircle("Spring · circle 1", [Risk("falling_pulse", 1.5), Risk("too_few", 2)])])])
    assert notices.from_payload(notices.to_payload(digest)) == digest
    text = render_payload(notices.to_payload(digest)).plain_text()
    assert "• Spring · circle 1: pulse fell by 1.5 last week; fewer than 2 active members" in text
    assert "… and 10 more (`/circle health`)" in text and "trend -1.5 vs the week before" in text


# --- sized for a chat client ----------------------------------------------------------------


def test_a_big_program_lists_only_its_circles_at_risk_and_counts_the_healthy_ones(circlebot, db, clock):
    published_round(circlebot, 34, size="2-2")  # 17 circles: more than a reply lists
    post_week(circlebot, 1)
    sad = _circle_people(db)[1]
    ok(circlebot, person(sad[0]), "pulse 1")
    text = ok(circlebot, COORD, "health").plain_text()
    assert "17 circles" in text and "1 circle at risk" in text
    assert "⚠️ **Spring circles · circle 1**" in text and "pulse is low (1.0/5)" in text
    assert "**Spring circles · circle 2**" not in text
    assert "16 healthy circles not listed" in text


def _health_of(circles: int, at_risk: int, rematch: int) -> ProgramHealth:
    from circles.health import CircleHealth

    return ProgramHealth(1, "Big", 1, [
        CircleHealth(i, i, f"Big · circle {i}", "peer", 5, 2, 0.9, 1.0, 4.0, 0.0, None,
                     [Risk("too_few", 2)] if i <= at_risk else [])
        for i in range(1, circles + 1)
    ], 0, [RematchCandidate(i, f"Person{i}", "silent", 2) for i in range(1, rematch + 1)])


def test_health_of_thousands_of_circles_names_fifteen_and_counts_the_rest():
    from bot.presenters.health import health_reply

    text = health_reply([_health_of(10_000, 40, 500)]).plain_text()
    assert "40 circles at risk" in text and "10000 circles" in text
    assert text.count("⚠️") == 15 and "✅" not in text
    assert "**Big · circle 15**" in text and "**Big · circle 16**" not in text
    assert "… and 25 more circles at risk not listed" in text
    assert "9960 healthy circles not listed" in text
    assert "Person15 (" in text and "Person16 (" not in text and "… and 485 more" in text
    assert len(text) < 6_000
