"""A role (mentor, mentee, peer) and a mentor's capacity belong to an enrolment in one program:
joining the pods program as a mentor doesn't make someone a mentor in the peer program.
Migration 0005_roles11 moves the old global values onto every enrolment and back."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select, text

from circles.db import downgrade, make_engine, normalize_url, upgrade
from circles.model import Member, Membership, ProgramMember
from tests.builders import COORD, enrol, ok, person, published_round, say
from tests.conftest import BACKENDS, PG_URL, _pg_engine

ANN = person("ann", name="Ann")
BEFORE = "0006_privacy12"  # the revision 0005_roles11 follows


def two_programs(bot) -> None:  # type: ignore[no-untyped-def]
    ok(bot, COORD, 'program create "Pods" kind=pod size=3-4')
    ok(bot, COORD, 'program create "Peers" size=4-4')


def roles_of(db, user: str) -> dict[int, tuple[str, int]]:  # type: ignore[no-untyped-def]
    with db() as session:
        return {pid: (role, cap) for pid, role, cap in session.execute(
            select(ProgramMember.program_id, ProgramMember.role, ProgramMember.mentor_capacity)
            .join(Member, Member.id == ProgramMember.member_id).where(Member.external_id == user))}


def test_a_mentor_in_one_program_stays_a_peer_in_another(circlebot, db):
    two_programs(circlebot)
    ok(circlebot, ANN, 'join mentor program="Pods"')
    ok(circlebot, ANN, "profile set timezone=UTC interests=chess")
    reply = ok(circlebot, ANN, 'join peer program="Peers"')
    assert 'You joined "Peers" as peer. Your role in Pods stays mentor.' in reply.text
    assert sorted(r for r, _ in roles_of(db, "ann").values()) == ["mentor", "peer"]
    shown = ok(circlebot, ANN, "profile").plain_text()
    assert "Role: Mentor in Pods, Peer in Peers" in shown
    assert "My programs\nMentor in Pods, Peer in Peers" in ok(circlebot, ANN, "status").plain_text()


def test_mentoring_in_one_program_does_not_make_someone_a_mentor_in_another(circlebot, db):
    ok(circlebot, COORD, 'program create "Learn" kind=pod size=3-4')
    ok(circlebot, COORD, 'program create "Teach" kind=pod size=3-4')
    ok(circlebot, ANN, 'join mentee program="Learn"')
    ok(circlebot, ANN, "profile set timezone=UTC interests=chess experience=5")
    enrol(circlebot, 1, role="mentor", program="Learn")
    enrol(circlebot, 2, role="mentee", start=1, program="Learn")
    ok(circlebot, ANN, 'join mentor program="Teach"')
    preview = ok(circlebot, COORD, 'round preview program="Learn"').plain_text()
    assert "Member0 (mentor)" in preview and "Ann (mentor)" not in preview
    with db() as s:
        role = s.scalar(select(Membership.role).join(Member, Member.id == Membership.member_id)
                        .where(Member.external_id == "ann"))
    assert role == "mentee"


def test_role_and_capacity_changes_go_to_the_program_named_or_the_latest(circlebot, db):
    two_programs(circlebot)
    ok(circlebot, ANN, 'join mentor program="Pods"')
    ok(circlebot, ANN, 'join peer program="Peers"')
    latest = ok(circlebot, ANN, "profile set role=mentee")
    assert "for Peers (your other programs keep theirs)" in latest.text
    ok(circlebot, ANN, 'profile set capacity=2 program="Pods"')
    by_role = sorted(roles_of(db, "ann").values())
    assert by_role == [("mentee", 3), ("mentor", 2)]
    refused = say(circlebot, ANN, 'profile set role=peer program="Nope"')
    assert refused.tone == "error" and 'You haven\'t joined "Nope"' in refused.text
    alone = say(circlebot, ANN, 'profile set program="Pods"')
    assert alone.tone == "error" and "add role= or capacity=" in alone.text


def test_a_role_needs_a_program(circlebot):
    ok(circlebot, ANN, "join")
    refused = say(circlebot, ANN, "profile set role=mentor")
    assert refused.tone == "error" and "A role belongs to a program" in refused.text


def test_welcome_back_is_for_coming_back_only(circlebot):
    two_programs(circlebot)
    ok(circlebot, ANN, 'join program="Peers"')
    ok(circlebot, ANN, "profile set timezone=UTC interests=chess")
    second = ok(circlebot, ANN, 'join mentor program="Pods"')
    assert "Welcome back" not in second.text  # they never left
    leave = ok(circlebot, ANN, "leave")
    circlebot.handle_action_sync(ANN, leave.buttons[0].action, leave.buttons[0].value)
    back = ok(circlebot, ANN, 'join program="Peers"')
    assert back.text.count("Welcome back!") == 1


def test_a_waitlisted_late_joiner_hears_it_once(circlebot):
    published_round(circlebot, 8, size="4-4")
    late = person("late")
    ok(circlebot, late, "join")
    reply = ok(circlebot, late, "profile set timezone=Europe/Berlin")
    assert reply.text.lower().count("waitlist") == 1
    assert "on the waitlist for the next round of Spring circles: every circle is full" in reply.text


# ------------------------------------------------------------------------------ migration


@pytest.fixture(params=BACKENDS)
def blank(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        yield eng
        eng.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalize_url(PG_URL or ""))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = _pg_engine(schema)
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_the_upgrade_copies_each_members_role_onto_their_enrolments_and_back(blank):
    upgrade(blank, BEFORE)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with blank.begin() as conn:
        conn.execute(text("INSERT INTO workspaces (id, platform, external_id, name, active, settings,"
                          " created_at) VALUES (1, 'console', 'acme', 'Acme', true, '{}', :now)"),
                     {"now": now})
        for mid, role, cap in ((1, "mentor", 2), (2, "mentee", 3)):
            conn.execute(text(
                "INSERT INTO members (id, workspace_id, external_id, display_name, is_coordinator,"
                " enrolled, created_at) VALUES (:id, 1, :ext, :ext, false, true, :now)"),
                {"id": mid, "ext": f"u{mid}", "now": now})
            conn.execute(text(
                "INSERT INTO profiles (workspace_id, member_id, role, experience, department,"
                " interests, goals, skills_offered, skills_wanted, timezone, availability,"
                " never_with, mentor_capacity) VALUES (1, :id, :role, 3, '', '[]', '[]', '[]',"
                " '[]', 'UTC', '[]', '[]', :cap)"), {"id": mid, "role": role, "cap": cap})
        for pid, name in ((1, "Pods"), (2, "Peers")):
            conn.execute(text(
                "INSERT INTO programs (id, workspace_id, name, kind, min_size, max_size, cadence,"
                " day, time, timezone, enrolment_open, repeat_window, min_shared_hours,"
                " round_weeks, weights, settings, created_at) VALUES (:id, 1, :name, 'pod', 3,"
                " 4, 'weekly', 'mon', '10:00', 'UTC', true, 3, 1, 6, '{}', '{}', :now)"),
                {"id": pid, "name": name, "now": now})
        for eid, (mid, pid) in enumerate(((1, 1), (1, 2), (2, 1)), start=1):
            conn.execute(text(
                "INSERT INTO program_members (id, workspace_id, program_id, member_id, joined_at)"
                " VALUES (:id, 1, :pid, :mid, :now)"), {"id": eid, "pid": pid, "mid": mid, "now": now})
    upgrade(blank)
    with blank.connect() as conn:
        rows = conn.execute(text("SELECT member_id, program_id, role, mentor_capacity FROM "
                                 "program_members ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, 1, "mentor", 2), (1, 2, "mentor", 2),
                                            (2, 1, "mentee", 3)]
        assert "role" not in {c["name"] for c in sa.inspect(conn).get_columns("profiles")}
        conn.execute(text("UPDATE program_members SET role = 'peer' WHERE id = 2"))
        conn.commit()
    downgrade(blank, BEFORE)
    with blank.connect() as conn:
        back = conn.execute(text("SELECT member_id, role, mentor_capacity FROM profiles "
                                 "ORDER BY member_id")).all()
        # the most recent enrolment's role goes back onto the profile
        assert [tuple(r) for r in back] == [(1, "peer", 2), (2, "mentee", 3)]
        assert "role" not in {c["name"] for c in sa.inspect(conn).get_columns("program_members")}
    upgrade(blank)
