"""Coordinators ask how circles are doing: rates, pulse and its trend, goals, circles that
need attention and why, who might need a new circle; sized for a chat client."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.config import SchedulingConfig
from bot.presenters import render_payload
from bot.presenters.formatting import MISSING
from circles import notices
from circles.cycle import run_due
from circles.health import CircleHealth, ProgramHealth, RematchCandidate, Risk, program_health
from circles.model import Circle, Member, Membership, OutboxMessage, Program
from tests.builders import COORD, ok, person, post_week, published_round


def circle_people(db) -> dict[int, list[str]]:  # type: ignore[no-untyped-def]
    """Circle number -> its members' platform ids, in member order."""
    with db() as session:
        out: dict[int, list[str]] = {}
        for number, ext in session.execute(
                select(Circle.number, Member.external_id).join(Membership, Membership.circle_id == Circle.id)
                .join(Member, Member.id == Membership.member_id).where(Membership.active.is_(True))
                .order_by(Circle.number, Member.id)):
            out.setdefault(number, []).append(ext)
    return out


def names(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with db() as session:
        return {m.external_id: m.display_name for m in session.scalars(select(Member))}


def press(bot, button):  # type: ignore[no-untyped-def]
    return asyncio.run(bot.handle_action(COORD, button.action, button.value))


def test_health_reports_rates_pulse_and_flags_circles_at_risk_with_a_reason(circlebot, db, clock):
    published_round(circlebot, 8, size="4-4")
    post_week(circlebot, 1)
    circles = circle_people(db)
    happy, sad = circles[1], circles[2]
    for ext in happy:
        ok(circlebot, person(ext), 'answer "went well"')
        ok(circlebot, person(ext), "checkin yes")
        ok(circlebot, person(ext), "pulse 5")
    for ext, rating in zip(sad, (2, 1, 2), strict=False):
        ok(circlebot, person(ext), f"pulse {rating}")
    reply = ok(circlebot, COORD, "health")
    text = reply.plain_text()
    assert reply.visibility == "ephemeral"
    assert "1 circle at risk" in text
    assert "✅ **Spring circles · circle 1**" in text and "answers 100%, met 100%, pulse 5.0" in text
    assert "⚠️ **Spring circles · circle 2**" in text and "pulse is low (1.7/5)" in text
    assert "answer rate 50%" in text and "8 members" in text and "Round 1 (active)" in text


def test_before_any_prompt_rates_say_no_prompt_yet_not_zero(circlebot):
    published_round(circlebot, 8, size="4-4")
    text = ok(circlebot, COORD, "health").plain_text()
    assert "answers no prompt yet · met no prompt yet" in text
    assert text.count("answers no prompt yet,") == 2 and "0%" not in text
    assert "0 circles at risk" in text


def test_a_quiet_circle_is_flagged_by_the_bots_clock_after_two_weeks(circlebot, clock):
    published_round(circlebot, 4, size="4-4")
    post_week(circlebot, 1)
    assert "0 circles at risk" in ok(circlebot, COORD, "health").text
    clock.advance(days=15)  # a console `/clock` jump: health compares with the bot's clock
    assert "no activity for 14+ days" in ok(circlebot, COORD, "health").plain_text()


# --- the pulse threshold: one rule for every pulse aggregate ---------------------------------


def _pulse_circle_one(bot, db, ratings: list[int]) -> None:  # type: ignore[no-untyped-def]
    for ext, rating in zip(circle_people(db)[1], ratings, strict=False):
        ok(bot, person(ext), f"pulse {rating}")


def test_a_pulse_below_the_threshold_is_hidden_and_flags_nothing(circlebot, db, clock):
    published_round(circlebot, 8, size="4-4")
    post_week(circlebot, 1)
    _pulse_circle_one(circlebot, db, [1, 1])  # N-1 = 2 answers, both very low
    text = ok(circlebot, COORD, "health").plain_text()
    assert "0 circles at risk" in text and "pulse is low" not in text
    assert "pulse hidden until 3 answer a week" in text and "1.0" not in text
    detail = ok(circlebot, COORD, "health circle 1").plain_text()
    assert "Week 1: hidden (fewer than 3 answered)" in detail


def test_a_pulse_at_the_threshold_is_shown_and_can_flag_the_circle(circlebot, db, clock):
    published_round(circlebot, 8, size="4-4")
    post_week(circlebot, 1)
    _pulse_circle_one(circlebot, db, [1, 2, 2])  # N = 3 answers
    text = ok(circlebot, COORD, "health").plain_text()
    assert "1 circle at risk" in text and "pulse is low (1.7/5)" in text
    assert "Week 1: 1.7/5 from 3 answers" in ok(circlebot, COORD, "health circle 1").plain_text()


def test_the_threshold_is_configurable_but_never_below_two(db, clock, tmp_path):
    import pytest

    from bot.config import Config, ConfigError, load
    from bot.core import CircleBot

    cfg = Config()
    cfg.bot.coordinators = ["console:acme:coord"]
    cfg.health.min_pulse_respondents = 2
    bot = CircleBot(db, cfg, clock=clock)
    published_round(bot, 8, size="4-4")
    post_week(bot, 1)
    _pulse_circle_one(bot, db, [1, 2])
    assert "pulse is low (1.5/5)" in ok(bot, COORD, "health").plain_text()
    for bad in ("1", "0", '"3"'):
        path = tmp_path / f"c{bad.strip(chr(34))}.toml"
        path.write_text(f"[health]\nmin_pulse_respondents = {bad}\n")
        with pytest.raises(ConfigError, match="min_pulse_respondents"):
            load(path, environ={})
    good = tmp_path / "good.toml"
    good.write_text("[health]\nmin_pulse_respondents = 4\n")
    assert load(good, environ={}).health.min_pulse_respondents == 4


def test_the_pulse_trend_over_the_round_reads_from_and_to(circlebot, db, clock):
    published_round(circlebot, 4, size="4-4")
    people = [person(f"u{i}") for i in range(4)]
    post_week(circlebot, 1)
    for who, rating in zip(people, (5, 5, 4, 4), strict=True):
        ok(circlebot, who, f"pulse {rating}")
    clock.advance(days=7)
    post_week(circlebot, 2)
    for who, rating in zip(people, (3, 3, 3, 2), strict=True):
        ok(circlebot, who, f"pulse {rating}")
    text = ok(circlebot, COORD, "health").plain_text()
    assert "pulse fell from 4.5 to 2.8" in text and "↓" in text
    assert "(from 4.5 to 2.8 over the round)" in text
    h = _program_health(db, clock)
    assert Risk("falling_pulse", 1.75, before=4.5, after=2.75) in h.circles[0].risks


def test_a_week_below_the_threshold_takes_no_part_in_the_trend(circlebot, db, clock):
    published_round(circlebot, 4, size="4-4")
    people = [person(f"u{i}") for i in range(4)]
    post_week(circlebot, 1)
    for who in people:
        ok(circlebot, who, "pulse 5")
    clock.advance(days=7)
    post_week(circlebot, 2)
    for who in people[:2]:  # two answers: not shown, so no fall from 5.0 to 1.0
        ok(circlebot, who, "pulse 1")
    h = _program_health(db, clock)
    assert not {r.kind for r in h.circles[0].risks} & {"low_pulse", "falling_pulse"}
    assert h.circles[0].pulse_avg == 5.0 and h.circles[0].pulse_trend is None


# --- participation: who is silent, and a rematch one press away ------------------------------


def test_silent_members_flag_the_circle_in_words_and_are_offered_for_rematch(circlebot, db, clock):
    published_round(circlebot, 9, size="4-5")
    circles = circle_people(db)
    members = circles[1]
    who = names(db)
    for week in (1, 2):
        post_week(circlebot, week)
        for ext in members[2:]:
            ok(circlebot, person(ext), f'answer "week {week}"')
        clock.advance(days=7)
    reply = ok(circlebot, COORD, "health")
    text = reply.plain_text()
    quiet = [who[e] for e in members[:2]]
    assert f"2 of {len(members)} silent for 2 weeks" in text
    assert f"Consider rematching: {quiet[0]} (circle 1, answered none of the last 2 prompts)" in text
    rematch = [b for b in reply.buttons if b.label.startswith("Rematch")]
    assert [b.label for b in rematch[:2]] == [f"Rematch {quiet[0]}", f"Rematch {quiet[1]}"]
    proposal = press(circlebot, rematch[0])
    assert proposal.tone == "warning" and proposal.text.startswith(f"Move {quiet[0]} from Spring circles · circle 1")
    done = press(circlebot, next(b for b in proposal.buttons if b.label == "Move them"))
    assert done.tone == "success" and f"Moved {quiet[0]}" in done.text
    # a member pressing a coordinator's button changes nothing
    sneaky = asyncio.run(circlebot.handle_action(person(members[3]), rematch[1].action, rematch[1].value))
    assert sneaky.tone == "error"


def test_an_ended_round_is_shown_as_ended_not_current_and_not_at_risk(circlebot, db, clock):
    published_round(circlebot, 8, size="4-4")
    post_week(circlebot, 1)
    _pulse_circle_one(circlebot, db, [1, 1, 1])
    clock.advance(days=20)
    assert "2 circles at risk" in ok(circlebot, COORD, "health").plain_text()
    asked = ok(circlebot, COORD, "round end")
    assert press(circlebot, asked.buttons[0]).tone == "success"
    reply = ok(circlebot, COORD, "health")
    text = reply.plain_text()
    assert "Round 1 (ended)" in text and "(active)" not in text
    assert "0 circles at risk" in text and "⚠️" not in text and "Consider rematching" not in text
    assert "Round 1 has ended: nothing is flagged" in text and reply.buttons == []
    assert "Round 1 (ended)" in ok(circlebot, COORD, "health circle 1").plain_text()


# --- one circle in detail ------------------------------------------------------------------


def test_health_circle_n_names_who_is_quiet_but_never_who_rated_or_commented(circlebot, db, clock):
    published_round(circlebot, 8, size="4-4")
    members = circle_people(db)[2]
    who = names(db)
    for week in (1, 2):
        post_week(circlebot, week)
        ok(circlebot, person(members[0]), f'answer "week {week} was good"')
        ok(circlebot, person(members[1]), "checkin yes")
        clock.advance(days=7)
    for ext, rating in zip(members[:3], (4, 2, 3), strict=True):
        ok(circlebot, person(ext), f"pulse {rating}")
    ok(circlebot, person(members[1]), 'goal set "Give a talk"')
    circlebot.handle_action_sync(person(members[1]), "noop", "")  # unknown presses change nothing
    with db() as session:
        circle = session.scalar(select(Circle).where(Circle.number == 2))
        assert circle is not None
    from circles.db import unit_of_work
    from circles.usecases import weekly
    from circles.usecases.context import enter

    with unit_of_work(db) as session:
        actor = enter(session, "console", "acme", members[1])
        weekly.pulse_comment(actor, circle.id, 2, "We keep cancelling")
    who = names(db)
    reply = ok(circlebot, COORD, "health circle 2")
    sections = {s.title.split(" (")[0]: s.text for s in reply.sections}
    assert reply.title == "Circle health · Spring circles · circle 2"
    participation = sections["Participation"]
    assert f"• {who[members[0]]}: 2 answers, last answered week 2; goals 0/0 met" in participation
    assert f"• {who[members[1]]}: 0 answers, hasn't answered yet; goals 0/1 met — silent" in participation
    assert "• Week 2: 1 answer, 1 checked in, 1 met" in sections["Answers and check-ins"]
    pulse = sections["Pulse"] + sections["Pulse comments"]
    assert "Week 2: 3.0/5 from 3 answers" in pulse and "“We keep cancelling”" in pulse
    assert not any(name in pulse for name in who.values())  # anonymous: no name near a pulse
    assert "3 of 4 silent for 2 weeks" in reply.text


def test_pulse_comments_stay_hidden_where_too_few_answered(circlebot, db, clock):
    from circles.db import unit_of_work
    from circles.usecases import weekly
    from circles.usecases.context import enter

    published_round(circlebot, 8, size="4-4")
    post_week(circlebot, 1)
    members = circle_people(db)[1]
    for ext in members[:2]:
        ok(circlebot, person(ext), "pulse 2")
    with db() as session:
        cid = session.scalar(select(Circle.id).where(Circle.number == 1))
    with unit_of_work(db) as session:
        weekly.pulse_comment(enter(session, "console", "acme", members[0]), cid, 1, "Too quiet here")
    assert "Too quiet here" not in ok(circlebot, COORD, "health circle 1").plain_text()
    ok(circlebot, person(members[2]), "pulse 4")
    assert "“Too quiet here”" in ok(circlebot, COORD, "health circle 1").plain_text()


def test_health_circle_n_explains_a_circle_that_does_not_exist(circlebot):
    published_round(circlebot, 8, size="4-4")
    from tests.builders import say
    wrong = say(circlebot, COORD, "health circle 9")
    assert wrong.tone == "error" and "Round 1 has circles 1 to 2; there is no circle 9." in wrong.text
    assert "coordinators" in say(circlebot, person("u1"), "health circle 1").text.lower()


# --- typed facts, and one way of printing them ---------------------------------------------


def _program_health(db, clock) -> ProgramHealth:  # type: ignore[no-untyped-def]
    with db() as session:
        program = session.scalar(select(Program))
        assert program is not None
        return program_health(session, program, clock())


def test_health_facts_are_typed_and_rematch_is_chosen_by_participation_never_by_pulse(circlebot, db, clock):
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
    assert (h.program_name, h.round_number, h.status) == ("Spring circles", 1, "active")
    assert h.circles[0].risks == [Risk("silent", 2, of=4, weeks=2)]  # one person's pulses: no flag
    assert h.rematch == [RematchCandidate(ids["Member2"], "Member2", "silent", 2, 1),
                         RematchCandidate(ids["Member3"], "Member3", "silent", 2, 1)]
    assert h.rematch_total == 2


def _digests(db) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with db() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("digest:%"))
                                    .order_by(OutboxMessage.id)))


def test_digest_and_health_print_a_missing_value_the_same_way(circlebot, db, clock):
    published_round(circlebot, 4, size="4-4")
    post_week(circlebot, 1)
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
    names_ = {"amy": "Amy", "coord": "Casey", "zed": "Zed"}
    assert [names_[m.payload["user"]] for m in _digests(db)] == listed


def test_a_stored_digest_reads_back_as_the_same_typed_notice():
    digest = notices.WeeklyDigest([notices.ProgramDigest(
        "Spring", 2, 3, 0.5, None, 3.0, -1.5, 11,
        [notices.AtRiskCircle("Spring · circle 1", [Risk("falling_pulse", 1.5, before=4.3, after=2.8),
                                                    Risk("silent", 2, of=5, weeks=2), Risk("too_few", 2)])])])
    assert notices.from_payload(notices.to_payload(digest)) == digest
    text = render_payload(notices.to_payload(digest)).plain_text()
    assert ("• Spring · circle 1: pulse fell from 4.3 to 2.8; 2 of 5 silent for 2 weeks; "
            "fewer than 2 active members") in text
    assert "… and 10 more (`/circle health`)" in text and "trend -1.5 over the round" in text


def test_a_digest_stored_before_risks_carried_their_numbers_still_reads():
    old = {"kind": "falling_pulse", "value": 1.5}
    assert Risk.from_data(old) == Risk("falling_pulse", 1.5)


# --- sized for a chat client ----------------------------------------------------------------


def test_a_big_program_lists_only_its_circles_at_risk_and_pages_through_the_rest(circlebot, db, clock):
    published_round(circlebot, 34, size="2-2")  # 17 circles: more than a reply lists
    post_week(circlebot, 1)
    reply = ok(circlebot, COORD, "health")
    text = reply.plain_text()
    assert "17 circles" in text and "0 circles at risk" in text
    assert "17 healthy circles not listed (`/circle health circle N` for one)" in text
    [more] = [b for b in reply.buttons if b.label == "All circles of Spring circles"]
    page1 = press(circlebot, more)
    assert page1.title == "Spring circles: circles, page 1 of 2" and page1.text.count("✅") == 15
    page2 = press(circlebot, page1.buttons[0])
    assert "page 2 of 2" in page2.title and page2.text.count("✅") == 2 and page2.buttons == []


def _health_of(circles: int, at_risk: int, rematch: int) -> ProgramHealth:
    return ProgramHealth(1, "Big", 1, [
        CircleHealth(i, i, f"Big · circle {i}", "peer", 5, 2, 0.9, 1.0, 4.0, 0.0, None,
                     [Risk("too_few", 2)] if i <= at_risk else [])
        for i in range(1, circles + 1)
    ], 0, [RematchCandidate(i, f"Person{i}", "silent", 2) for i in range(1, 26)][:rematch],
        rematch_total=rematch)


def test_health_of_thousands_of_circles_names_fifteen_and_counts_the_rest():
    from bot.presenters.health import health_reply

    reply = health_reply([_health_of(10_000, 40, 500)])
    text = reply.plain_text()
    assert "40 circles at risk" in text and "10000 circles" in text
    assert text.count("⚠️") == 15 and "✅" not in text
    assert "**Big · circle 15**" in text and "**Big · circle 16**" not in text
    assert "… and 25 more circles at risk not listed" in text
    assert "9960 healthy circles not listed" in text
    assert "Person15 (" in text and "Person16 (" not in text and "… and 485 more" in text
    assert len(text) < 6_000 and len(reply.buttons) == 5


def test_a_big_programs_figures_and_circles_at_risk_come_from_the_database_and_match_each_circle(
        circlebot, db, clock):
    """Health of a big program never loads every circle: its summary and which circles are at
    risk are aggregates in the database. Those must say exactly what the per-circle rules say
    when every circle is read, in a round where circles differ in every way the rules look at."""
    import random

    from circles.health.program import circles_health, latest_round

    published_round(circlebot, 44, size="2-2")  # 22 circles: more than a reply lists
    circles = circle_people(db)
    rng = random.Random(7)
    for week in (1, 2, 3):
        post_week(circlebot, week)
        for number, people in circles.items():
            style = number % 6
            for ext in people:
                if style != 0 and rng.random() < 0.3 * style:
                    ok(circlebot, person(ext), f'answer "week {week} from {ext}"')
                if style in (1, 2, 3):
                    ok(circlebot, person(ext), f"checkin {rng.choice(('yes', 'no'))}")
                if style in (2, 4, 5):
                    ok(circlebot, person(ext), f"pulse {rng.randint(1, 5) if style != 4 else 6 - week}")
        clock.advance(days=rng.choice((6, 7, 9)))  # circles with no activity go quiet
    with db() as session:
        program = session.scalar(select(Program))
        h = program_health(session, program, clock(), 2)
        everyone = circles_health(session, latest_round(session, program), clock(), 2, 1)
    risky = [c for c in everyone if c.risks]
    assert 15 < len(everyone) == h.circle_count and 0 < len(risky) < len(everyone)
    assert h.at_risk_total == len(risky)
    assert [(c.number, c.risks) for c in h.circles] == [(c.number, c.risks) for c in risky[:15]]
    assert {r.kind for c in risky for r in c.risks} >= {"low_answers", "low_meetings", "quiet"}
    for attr in ("answer_rate", "meeting_rate", "pulse_avg", "pulse_trend"):
        values = [getattr(c, attr) for c in everyone if getattr(c, attr) is not None]
        assert values, attr
        assert abs(h.overall(attr) - sum(values) / len(values)) < 1e-9, attr
    assert h.members == sum(c.members for c in everyone) and h.prompts == sum(c.prompts for c in everyone)
    assert h.last_activity == max(c.last_activity for c in everyone if c.last_activity)
    spans = [(c.pulse_first, c.pulse_last) for c in everyone if c.pulse_trend is not None]
    lo, hi = h.pulse_from_to or (0.0, 0.0)
    assert abs(lo - sum(a for a, _ in spans) / len(spans)) < 1e-9
    assert abs(hi - sum(b for _, b in spans) / len(spans)) < 1e-9
    assert h.rematch_total == sum(c.silent for c in everyone)
    with db() as session:
        page2 = program_health(session, session.scalar(select(Program)), clock(), 2, page=2, per_page=15)
    assert [c.number for c in page2.circles] == [c.number for c in everyone[15:30]] and page2.page == 2
