"""The tallies health reads (per circle and cycle; each membership's last answered cycle)
always agree with a recount of the raw answers, check-ins and pulses: after first records,
changed records and double presses, and after the migration backfills them."""

from __future__ import annotations

from sqlalchemy import select, text

from circles.db import downgrade, upgrade
from circles.health import tallies
from tests.builders import COORD, ok, person, post_week, published_round


def _memberships(db) -> list[tuple[int, int, int | None]]:  # type: ignore[no-untyped-def]
    from circles.model import Membership

    with db() as s:
        return sorted(s.execute(select(Membership.circle_id, Membership.member_id,
                                       Membership.last_answer_cycle)).all())


def _recounted_memberships(db) -> list[tuple[int, int, int | None]]:  # type: ignore[no-untyped-def]
    with db() as s:
        return sorted(s.execute(text(
            "SELECT ms.circle_id, ms.member_id, (SELECT MAX(pp.cycle) FROM responses r JOIN prompt_posts pp"
            " ON pp.id = r.prompt_post_id WHERE pp.circle_id = ms.circle_id AND r.member_id = ms.member_id)"
            " FROM memberships ms")).all())


def _agree(db) -> dict:  # type: ignore[no-untyped-def]
    with db() as s:
        kept, fresh = tallies.recount(s)
    assert kept == fresh
    assert _memberships(db) == _recounted_memberships(db)
    return kept


def _busy_fortnight(bot, clock) -> None:  # type: ignore[no-untyped-def]
    people = [person(f"u{i}") for i in range(8)]
    post_week(bot, 1)
    for i, who in enumerate(people):
        ok(bot, who, 'answer "first go"')
        ok(bot, who, f"pulse {1 + i % 5}")
        ok(bot, who, "checkin yes" if i % 2 else "checkin not yet")
    ok(bot, people[0], 'answer "changed my mind"')  # an edit is not a second answer
    ok(bot, people[0], "pulse 5")  # a changed pulse moves the sum, not the count
    ok(bot, people[1], "checkin not yet")  # met -> not yet
    ok(bot, people[2], "checkin yes")  # not yet -> met
    ok(bot, people[2], "checkin yes")  # the same press twice
    clock.advance(days=7)
    post_week(bot, 2)
    for who in people[:3]:
        ok(bot, who, 'answer "week two"')
        ok(bot, who, "pulse 3")


def test_tallies_agree_with_a_recount_after_first_changed_and_repeated_records(circlebot, db, clock):
    published_round(circlebot, 8, size="4-4")
    _busy_fortnight(circlebot, clock)
    kept = _agree(db)
    assert sum(t[0] for t in kept.values()) == 8 + 3  # answers: eight in week 1, three in week 2
    assert sum(t[3] for t in kept.values()) == 8 + 3  # pulses
    assert sum(t[2] for t in kept.values()) == 4  # met: 1,3,5,7 said yes; 1 took it back; 2 said yes


def test_the_migration_backfills_tallies_equal_to_the_recount(circlebot, db, clock, engine):
    published_round(circlebot, 8, size="4-4")
    _busy_fortnight(circlebot, clock)
    before = _agree(db)
    downgrade(engine, "0004_perf13")  # the schema before tallies (data kept)
    upgrade(engine)  # ... and the migration that backfills them
    assert _agree(db) == before
    assert "2 circles" in ok(circlebot, COORD, "health").plain_text()


def test_one_threshold_rule_for_every_pulse_aggregate_never_below_two():
    from circles.health import pulse_shown, threshold

    assert threshold() == 3 and not pulse_shown(2) and pulse_shown(3)
    assert threshold(4) == 4 and not pulse_shown(3, 4) and pulse_shown(4, 4)
    assert threshold(1) == 2 and not pulse_shown(1, 1) and pulse_shown(2, 1)  # the floor holds
