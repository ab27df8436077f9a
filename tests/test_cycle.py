"""When prompts, nudges, check-ins, digests and round ends happen (circles.cycle).

The clock is always passed in, so these tests state moments, never wait for them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.config import SchedulingConfig
from bot.presenters import render_payload
from circles.cycle import majority_timezone, run_due, schedule, zone
from circles.db import unit_of_work
from circles.model import (
    Goal,
    JobRun,
    Member,
    OutboxMessage,
    Program,
    PromptPost,
    Response,
    Round,
    Workspace,
)
from circles.notices import CheckinDue, from_payload
from tests.builders import World, seed_world

UTC = dt.UTC
CFG = SchedulingConfig()


def at(text: str, tz: str = "UTC") -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def world(db: sessionmaker[Session], **kw) -> World:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        return seed_world(s, **kw)


def keys(db: sessionmaker[Session], prefix: str = "") -> list[str]:
    with db() as s:
        return sorted(s.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like(f"{prefix}%"))))


def dms_to(db: sessionmaker[Session], user: str) -> list[OutboxMessage]:
    with db() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.action == "dm")).all()
        return [r for r in rows if r.payload["user"] == user]


def prompt_times(db: sessionmaker[Session], w: World, tz: str) -> list[dt.datetime]:
    with db() as s:
        program = s.get(Program, w.program_id)
        rnd = s.get(Round, w.round_id)
        assert program and rnd
        return list(schedule(program, rnd, ZoneInfo(tz), CFG).prompts)


# --- cadence ------------------------------------------------------------------------------


def test_berlin_prompt_stays_at_ten_local_across_the_october_dst_change(db) -> None:  # type: ignore[no-untyped-def]
    w = world(db, timezone="Europe/Berlin", starts_on=dt.date(2026, 10, 19), weeks=3)
    times = prompt_times(db, w, "Europe/Berlin")
    assert [t.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %H:%M") for t in times] == ["Mon 10:00"] * 3
    assert times[0] == at("2026-10-19T08:00")  # CEST, UTC+2
    assert times[1] == at("2026-10-26T09:00")  # CET, UTC+1 after the clocks went back

    assert run_due(db, at("2026-10-19T07:59"), CFG)["prompt"] == 0
    assert run_due(db, at("2026-10-19T08:00"), CFG)["prompt"] == 2
    assert run_due(db, at("2026-10-26T08:59"), CFG)["prompt"] == 0  # 10:00 CEST is no longer 10:00
    assert keys(db, "prompt:") == sorted(f"prompt:{c}:1" for c in w.circle_ids)
    assert run_due(db, at("2026-10-26T09:00"), CFG)["prompt"] == 2
    assert keys(db, "prompt:") == sorted(f"prompt:{c}:{k}" for c in w.circle_ids for k in (1, 2))


def test_new_york_friday_prompt_follows_the_november_dst_change(db) -> None:  # type: ignore[no-untyped-def]
    w = world(db, timezone="America/New_York", day="fri", time="17:30", starts_on=dt.date(2026, 10, 26), weeks=2)
    times = prompt_times(db, w, "America/New_York")
    assert times == [at("2026-10-30T21:30"), at("2026-11-06T22:30")]  # EDT then EST
    assert run_due(db, at("2026-10-30T21:30"), CFG)["prompt"] == 2
    assert run_due(db, at("2026-11-06T21:30"), CFG)["prompt"] == 0  # 16:30 in New York now
    assert keys(db, "prompt:") == sorted(f"prompt:{c}:1" for c in w.circle_ids)
    run_due(db, at("2026-11-06T22:30"), CFG)
    assert len(keys(db, "prompt:")) == 4


def test_biweekly_program_posts_every_other_week_in_its_timezone(db) -> None:  # type: ignore[no-untyped-def]
    w = world(db, cadence="biweekly", day="wed", time="09:15", timezone="Asia/Tokyo",
              starts_on=dt.date(2026, 3, 2), weeks=6)
    times = prompt_times(db, w, "Asia/Tokyo")
    assert times == [at("2026-03-04T09:15", "Asia/Tokyo"), at("2026-03-18T09:15", "Asia/Tokyo"),
                     at("2026-04-01T09:15", "Asia/Tokyo")]
    assert run_due(db, at("2026-03-04T09:15", "Asia/Tokyo"), CFG)["prompt"] == 2
    assert run_due(db, at("2026-03-11T09:15", "Asia/Tokyo"), CFG)["prompt"] == 0
    assert run_due(db, at("2026-03-18T09:15", "Asia/Tokyo"), CFG)["prompt"] == 2


def test_member_local_circle_gets_its_prompt_at_the_time_most_of_its_members_share(db) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=2, timezone="member-local", time="09:00", starts_on=dt.date(2026, 6, 1), weeks=2,
              member_timezones=[["Europe/Berlin", "Europe/Berlin", "America/New_York"],
                                ["America/New_York", "America/New_York", "Europe/Berlin"]])
    berlin, new_york = w.circle_ids
    run_due(db, at("2026-06-01T09:00", "Europe/Berlin"), CFG)
    assert keys(db, "prompt:") == [f"prompt:{berlin}:1"]
    run_due(db, at("2026-06-01T08:59", "America/New_York"), CFG)
    assert keys(db, "prompt:") == [f"prompt:{berlin}:1"]
    run_due(db, at("2026-06-01T09:00", "America/New_York"), CFG)
    assert keys(db, "prompt:") == sorted([f"prompt:{berlin}:1", f"prompt:{new_york}:1"])


def test_majority_timezone_is_stable_on_ties_and_falls_back_when_nobody_set_one() -> None:
    assert majority_timezone(["Asia/Tokyo", "Europe/Berlin"]) == "Asia/Tokyo"
    assert majority_timezone([None, ""], default="Europe/Lisbon") == "Europe/Lisbon"
    assert zone("Not/AZone").key == "UTC"


# --- nudges ---------------------------------------------------------------------------------


def _post_week_one(db: sessionmaker[Session]) -> World:
    w = world(db, circles=1, size=3, timezone="UTC", starts_on=dt.date(2026, 6, 1),
              member_timezones=[["Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles"]])
    run_due(db, at("2026-06-01T10:00"), CFG)
    return w


def _nudged(db: sessionmaker[Session]) -> list[str]:
    return [r.payload["user"] for r in sorted(dms_to_all(db), key=lambda r: r.id)]


def dms_to_all(db: sessionmaker[Session]) -> list[OutboxMessage]:
    with db() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("nudge:%"))))


def test_no_nudge_before_the_delay(db) -> None:  # type: ignore[no-untyped-def]
    _post_week_one(db)
    run_due(db, at("2026-06-03T09:59"), CFG)  # 47h59m after posting
    assert _nudged(db) == []


def test_nudges_respect_each_members_daytime(db) -> None:  # type: ignore[no-untyped-def]
    _post_week_one(db)
    # 48h later = Wed 10:00 UTC: 12:00 Berlin, 19:00 Tokyo, 03:00 Los Angeles
    run_due(db, at("2026-06-03T10:00"), CFG)
    assert sorted(_nudged(db)) == ["U000010", "U000011"]
    # 15:00 Los Angeles is daytime, 08:00 in Tokyo next day; nobody gets a second one
    run_due(db, at("2026-06-03T22:00"), CFG)
    assert sorted(_nudged(db)) == ["U000010", "U000011", "U000012"]
    run_due(db, at("2026-06-04T12:00"), CFG)
    assert len(_nudged(db)) == 3


def test_members_who_answered_or_paused_are_not_nudged(db) -> None:  # type: ignore[no-untyped-def]
    w = _post_week_one(db)
    answered, paused, waiting = w.member_ids[0]
    with unit_of_work(db) as s:
        post = s.scalar(select(PromptPost))
        assert post is not None
        s.add(Response(workspace_id=w.workspace_id, prompt_post_id=post.id, member_id=answered, text="hi"))
        s.execute(update(Member).where(Member.id == paused).values(paused_until=dt.date(2026, 6, 3)))
    run_due(db, at("2026-06-03T12:00"), CFG)  # noon in Berlin/Tokyo, 05:00 LA
    assert _nudged(db) == []
    run_due(db, at("2026-06-03T23:00"), CFG)  # 16:00 LA; pause ended 3 June in Tokyo (now 4 June)
    assert sorted(_nudged(db)) == ["U000011", "U000012"]
    assert waiting


def test_no_nudge_once_the_cycle_checkin_is_due(db) -> None:  # type: ignore[no-untyped-def]
    _post_week_one(db)
    run_due(db, at("2026-06-05T10:00"), CFG)  # Friday 10:00 UTC: check-in time (72h before Monday)
    assert _nudged(db) == []


# --- end of cycle, catch-up, round end ----------------------------------------------------


def test_checkin_and_pulse_go_out_once_at_the_end_of_each_cycle(db) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=2, starts_on=dt.date(2026, 6, 1))
    run_due(db, at("2026-06-01T10:00"), CFG)
    run_due(db, at("2026-06-05T09:59"), CFG)
    assert keys(db, "checkin:") == []
    run_due(db, at("2026-06-05T10:00"), CFG)
    run_due(db, at("2026-06-05T10:01"), CFG)
    assert keys(db, "checkin:") == sorted(f"checkin:{c}:1" for c in w.circle_ids)
    with db() as s:
        msg = s.scalar(select(OutboxMessage).where(OutboxMessage.key == f"checkin:{w.circle_ids[0]}:1"))
        assert msg is not None
        assert from_payload(msg.payload) == CheckinDue(w.circle_ids[0], 1)
        actions = {b.action for b in render_payload(msg.payload).buttons}
    assert actions == {"checkin", "pulse"}


def test_downtime_is_caught_up_once_not_replayed_week_by_week(db) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=3, starts_on=dt.date(2026, 6, 1))
    run_due(db, at("2026-06-01T10:00"), CFG)
    # down from Monday week 1 until two hours after week 3's prompt time
    counts = run_due(db, at("2026-06-15T12:00"), CFG)
    assert counts["prompt"] == 3
    assert keys(db, "prompt:") == sorted(f"prompt:{c}:{k}" for c in w.circle_ids for k in (1, 3))
    assert counts["checkin"] == 0  # week 2's check-in is days late: skipped, not sent now
    assert run_due(db, at("2026-06-15T12:01"), CFG)["prompt"] == 0


def test_a_prompt_beyond_the_grace_period_is_skipped_with_one_note_to_the_coordinator(db) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=3, starts_on=dt.date(2026, 6, 1))
    counts = run_due(db, at("2026-06-02T11:00"), CFG)  # 25 h late, grace is 24 h
    assert counts["prompt"] == 0 and counts["prompt_skipped"] == 3
    assert keys(db, "prompt:") == []
    notes = dms_to(db, "UCOORD")
    assert len(notes) == 1 and "3 circles" in render_payload(notes[0].payload).text
    with db() as s:
        assert s.scalars(select(JobRun.status).where(JobRun.key.like("r%:prompt:%"))).all() == ["skipped"] * 3
    run_due(db, at("2026-06-02T12:00"), CFG)
    assert len(dms_to(db, "UCOORD")) == 1
    run_due(db, at("2026-06-08T10:00"), CFG)  # the next week is posted on time
    assert keys(db, "prompt:") == sorted(f"prompt:{c}:2" for c in w.circle_ids)


def test_round_end_archives_spaces_asks_about_goals_and_tells_the_coordinator(db) -> None:  # type: ignore[no-untyped-def]
    w = world(db, circles=2, starts_on=dt.date(2026, 6, 1), weeks=2)
    with unit_of_work(db) as s:
        s.add(Goal(workspace_id=w.workspace_id, member_id=w.member_ids[0][0], number=1, text="Ship the talk"))
    run_due(db, at("2026-06-15T09:59"), CFG)
    assert keys(db, "archive:") == []
    counts = run_due(db, at("2026-06-15T10:00"), CFG)
    assert counts["round_end"] == 1 and counts["prompt"] == 0
    assert keys(db, "archive:") == sorted(f"archive:{c}" for c in w.circle_ids)
    assert len(keys(db, "goalcheck:")) == 1
    assert any("next round" in render_payload(m.payload).text for m in dms_to(db, "UCOORD"))
    with db() as s:
        assert s.get(Round, w.round_id).status == "ended"  # type: ignore[union-attr]
    before = keys(db)
    assert sum(run_due(db, at("2026-06-16T10:00"), CFG).values()) <= 1  # at most the digest
    assert [k for k in keys(db) if not k.startswith("digest:")] == [k for k in before if not k.startswith("digest:")]


def test_coordinators_get_one_digest_a_week(db) -> None:  # type: ignore[no-untyped-def]
    world(db, circles=2, starts_on=dt.date(2026, 6, 1))
    run_due(db, at("2026-06-01T08:59"), CFG)
    assert keys(db, "digest:") == []
    assert run_due(db, at("2026-06-01T09:00"), CFG)["digest"] == 1
    assert run_due(db, at("2026-06-03T09:00"), CFG)["digest"] == 0
    assert run_due(db, at("2026-06-08T09:00"), CFG)["digest"] == 1
    digest = render_payload(dms_to(db, "UCOORD")[0].payload)
    body = "\n".join(s.text for s in digest.sections)
    assert "Answer rate" in body and "Meeting rate" in body and "At risk" in body and "Pulse" in body


def test_nothing_is_due_for_an_inactive_workspace(db) -> None:  # type: ignore[no-untyped-def]
    world(db, starts_on=dt.date(2026, 6, 1))
    with unit_of_work(db) as s:
        s.execute(update(Workspace).values(active=False))
    assert sum(run_due(db, at("2026-06-01T10:00"), CFG).values()) == 0
    assert keys(db) == []


def test_a_sweep_racing_another_scheduler_posts_every_prompt_exactly_once(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import circles.cycle as cycle
    from circles.usecases import weekly

    w = world(db, circles=4, starts_on=dt.date(2026, 6, 1))
    monday = at("2026-06-01T10:00")
    with unit_of_work(db) as s:  # the other scheduler got to circle 2 between our look and our write
        s.add(JobRun(workspace_id=w.workspace_id, key=f"r{w.round_id}:prompt:c{w.circle_ids[1]}:k1", ran_at=monday))
        weekly.post_prompts(s, w.workspace_id, w.program_id, [w.circle_ids[1]], 1, monday)
    monkeypatch.setattr(cycle, "done_keys", lambda *args: set())
    assert run_due(db, monday, CFG)["prompt"] == 3
    assert keys(db, "prompt:") == sorted(f"prompt:{cid}:1" for cid in w.circle_ids)
    with db() as s:
        assert len(s.scalars(select(PromptPost)).all()) == 4
