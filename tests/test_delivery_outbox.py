"""The outbox bookkeeping the delivery worker calls (circles.outbox), the scheduler's program
clocks (circles.jobs) and the leader lock on SQLite (circles.leader): typed results, asserted
without a chat platform."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from circles import outbox
from circles.db import unit_of_work
from circles.jobs import ProgramClock, program_clocks
from circles.leader import LeaderElection
from circles.model import AuditEvent, Circle, OutboxMessage, Workspace
from circles.outbox import OutboxItem, SpaceLookup
from tests.builders import seed_world

NOW = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


def claim(db: sessionmaker[Session], now: dt.datetime = NOW, platforms: tuple[str, ...] = ("slack",)
          ) -> list[OutboxItem]:
    with unit_of_work(db) as s:
        return outbox.claim_due(s, now, platforms=platforms, limit=10, lease_until=now + LEASE)


def status(db: sessionmaker[Session], key: str) -> tuple[str, int]:
    with db() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        assert row is not None
        return row.status, row.attempts


def test_a_claimed_row_is_leased_until_the_lease_ends_then_claimable_again(db) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        w = seed_world(s, circles=1)
        outbox.enqueue(s, w.workspace_id, "hello", "dm", "member:1", {"user": "U1"}, not_before=NOW)
    [item] = claim(db)
    assert (item.key, item.action, item.workspace, item.platform, item.active, item.attempts) == (
        "hello", "dm", "T1", "slack", True, 1)
    assert item.payload == {"user": "U1"} and item.circle_id is None
    assert status(db, "hello") == ("sending", 1)
    assert claim(db, NOW + LEASE - dt.timedelta(seconds=1)) == []  # someone holds the lease
    [again] = claim(db, NOW + LEASE)  # the holder died: the row comes back
    assert again.attempts == 2


def test_only_platforms_the_worker_serves_are_claimed_but_inactive_workspaces_always_are(db) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        w = seed_world(s, circles=1)
        outbox.enqueue(s, w.workspace_id, "hello", "dm", "member:1", {"user": "U1"}, not_before=NOW)
    assert claim(db, platforms=("discord",)) == []
    with unit_of_work(db) as s:
        s.execute(update(Workspace).values(active=False))
    [item] = claim(db, platforms=("discord",))
    assert item.active is False


def test_rescheduling_and_cancelling_touch_only_rows_still_being_sent(db) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        w = seed_world(s, circles=1)
        outbox.enqueue(s, w.workspace_id, "a", "dm", "member:1", {"user": "U1"}, not_before=NOW)
        outbox.enqueue(s, w.workspace_id, "b", "dm", "member:1", {"user": "U1"}, not_before=NOW)
    a, b = claim(db)
    with unit_of_work(db) as s:
        outbox.mark_sent(s, a, "ts1", NOW)
        outbox.reschedule(s, a.id, not_before=NOW, attempts=0, note="late")  # already sent: no-op
        outbox.reschedule(s, b.id, not_before=NOW + LEASE, attempts=0, note="rate limited")
    assert status(db, "a") == ("sent", 1) and status(db, "b") == ("pending", 0)
    [b2] = claim(db, NOW + LEASE)
    with unit_of_work(db) as s:
        outbox.cancel(s, b2.id, "workspace inactive")
    assert status(db, "b")[0] == "cancelled"


def test_a_circle_post_waits_for_a_queued_space_and_a_created_space_is_recorded(db) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        w = seed_world(s, circles=1, with_spaces=False)
        cid = w.circle_ids[0]
        outbox.enqueue(s, w.workspace_id, "space", "create_space", f"circle:{cid}",
                       {"circle_id": cid, "name": "c1", "members": []}, not_before=NOW)
        outbox.enqueue(s, w.workspace_id, "welcome", "post", f"circle:{cid}",
                       {"circle_id": cid, "reply": {"text": "hi"}}, not_before=NOW)
    create, post = sorted(claim(db), key=lambda i: i.action)
    assert post.circle_id == cid
    with unit_of_work(db) as s:
        assert outbox.space_for(s, post) == SpaceLookup(None, pending=True)
        outbox.mark_sent(s, create, "C42", NOW)
    with unit_of_work(db) as s:
        assert outbox.space_for(s, post) == SpaceLookup("C42")
        assert s.get(Circle, cid).space_id == "C42"  # type: ignore[union-attr]


def test_a_failure_leaves_an_audit_row_and_coordinators_get_one_dm_each(db) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        w = seed_world(s, circles=1)
        outbox.enqueue(s, w.workspace_id, "a", "dm", "member:1", {"user": "U1"}, not_before=NOW)
    [item] = claim(db)
    with unit_of_work(db) as s:
        outbox.mark_failed(s, item, "channel_not_found: gone")
        assert outbox.enqueue_for_coordinators(s, w.workspace_id, "told", {"reply": {"text": "x"}}) == 1
        assert outbox.enqueue_for_coordinators(s, w.workspace_id, "told", {"reply": {"text": "x"}}) == 0
    assert status(db, "a")[0] == "failed"
    with db() as s:
        [audit] = s.scalars(select(AuditEvent).where(AuditEvent.kind == "delivery_failed")).all()
        dm = s.scalar(select(OutboxMessage).where(OutboxMessage.key == f"told:m{w.coordinator_id}"))
    assert audit.detail == {"outbox_id": item.id, "key": "a", "action": "dm", "error": "channel_not_found: gone"}
    assert dm is not None and dm.payload == {"reply": {"text": "x"}, "user": "UCOORD"}


def test_program_clocks_name_each_fixed_timezone_programs_weekly_moment(db) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        w = seed_world(s, circles=1, day="Wed", time="09:30", timezone="Europe/Berlin")
        seed_world(s, circles=1, workspace="T2", timezone="member-local")
    with db() as s:
        [clock] = program_clocks(s)
    assert clock == ProgramClock(w.program_id, "wed", 9, 30, clock.timezone)
    assert str(clock.timezone) == "Europe/Berlin"


def test_a_lone_process_leads_and_can_step_down(db) -> None:  # type: ignore[no-untyped-def]
    """(Two replicas competing on PostgreSQL are specified in test_scheduling.)"""
    election = LeaderElection.for_sessions(db)
    assert election.acquire() and election.still_held()
    election.release()
