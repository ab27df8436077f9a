"""`circlebot status` (bot.status): an operator sees what is due next and what is stuck."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from bot.config import SchedulingConfig
from bot.status import status_report
from circles.cycle import run_due
from circles.db import unit_of_work
from circles.model import OutboxMessage
from tests.builders import seed_world

NOW = dt.datetime(2026, 10, 19, 8, 5, tzinfo=dt.UTC)


def test_status_shows_the_next_prompt_check_in_round_end_and_the_outbox_backlog(db) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        w = seed_world(s, circles=3, timezone="Europe/Berlin", starts_on=dt.date(2026, 10, 19))
    run_due(db, NOW, SchedulingConfig())
    with unit_of_work(db) as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.key == f"prompt:{w.circle_ids[0]}:1")
                  .values(status="failed", last_error="channel_not_found"))
    report = status_report(db, NOW)
    assert "next prompt: 2026-10-26 09:00 UTC (in 7d 0h) for 3 circles" in report
    assert "next check-in: 2026-10-23 09:00 UTC" in report
    assert "round ends: 2026-11-30 09:00 UTC" in report
    assert "pending 2 · sending 0 · failed 1" in report
    assert f"prompt:{w.circle_ids[0]}:1: channel_not_found" in report


def test_status_says_when_nothing_is_scheduled(db) -> None:  # type: ignore[no-untyped-def]
    report = status_report(db, NOW)
    assert "no active rounds" in report and "backlog empty" in report


def test_the_status_facts_are_typed_and_the_report_only_words_them(db) -> None:  # type: ignore[no-untyped-def]
    from circles.outlook import NextDue, status_facts

    with unit_of_work(db) as s:
        seed_world(s, circles=2, timezone="Europe/Berlin", starts_on=dt.date(2026, 10, 19))
    run_due(db, NOW, SchedulingConfig())
    with db() as s:
        facts = status_facts(s, NOW, SchedulingConfig())
    [r] = facts.rounds
    assert (r.workspace, r.platform, r.program, r.round_number) == ("T1", "slack", "Peer Circles", 1)
    assert r.next_prompt == NextDue(dt.datetime(2026, 10, 26, 9, tzinfo=dt.UTC), 2)
    assert r.round_ends == dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC)
    assert facts.outbox.counts["pending"] == 2 and facts.outbox.backlog == 2
    assert facts.outbox.recent_failures == [] and facts.next_digest is not None
