"""Placing one member into a running circle: a late joiner, or a rematch a coordinator asked
for. Both use the matcher's choice and the same join step (membership, who has met whom, and
an invitation into the circle's space)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from circles import matching, notices
from circles.errors import DomainError
from circles.matching.explain import Why
from circles.model import (
    Circle,
    Member,
    Membership,
    PairHistory,
    Profile,
    Program,
    ProgramMember,
    Round,
)
from circles.notices import MemberMoved
from circles.outbox import enqueue
from circles.rules import MENTOR_KINDS, PAIR_KINDS, is_paused
from circles.usecases.context import Actor, audit, find_member, get_profile
from circles.usecases.departures import episode_key, membership_ended
from circles.usecases.matchmaking import enrolment, latest_round, match_settings, to_candidate
from circles.usecases.memberships import active_memberships, circle_members
from circles.usecases.why import circle_why


@dataclass(frozen=True)
class Placement:
    """Where a late joiner went: a circle (``circle_name``) or the waitlist (None)."""

    program_name: str
    circle_name: str | None
    why: str  # the waitlist reason (empty when placed: see ``reason``)
    reason: Why | None = None  # placed: their own reason, from the circle's members now


def seats(program: Program) -> int:
    """How many people one circle of this program holds (pairs are always two)."""
    return 2 if program.kind in PAIR_KINDS else program.max_size


def _open_circle_ids(session: Session, program: Program, rnd: Round,
                     exclude: int | None) -> list[int]:
    """The round's circles that still have room, counted in SQL: a full circle can never
    take anyone, so neither it nor its members are read."""
    size = func.count(Membership.id)
    q = (select(Circle.id)
         .outerjoin(Membership, and_(Membership.circle_id == Circle.id,
                                     Membership.active.is_(True)))
         .where(Circle.round_id == rnd.id, Circle.workspace_id == rnd.workspace_id,
                Circle.archived.is_(False))
         .group_by(Circle.id).having(size < seats(program)).order_by(Circle.id))
    if exclude is not None:
        q = q.where(Circle.id != exclude)
    return list(session.scalars(q))


def _my_recent_pairs(session: Session, m: Member, program: Program,
                     upto_round: int) -> set[frozenset[int]]:
    """Recent pairs that include this member: the only ones a single placement can break."""
    if program.repeat_window <= 0:
        return set()
    rows = session.execute(select(PairHistory.member_a, PairHistory.member_b).where(
        PairHistory.workspace_id == program.workspace_id, PairHistory.program_id == program.id,
        PairHistory.round_number > upto_round - program.repeat_window,
        or_(PairHistory.member_a == m.id, PairHistory.member_b == m.id))).all()
    return {frozenset((a, b)) for a, b in rows}


def best_circle_for(session: Session, m: Member, program: Program, rnd: Round, today: dt.date,
                    exclude: int | None = None) -> tuple[int | None, str]:
    """The matcher's choice of a running circle for one member: (circle id, why) or
    (None, the waitlist reason). Reads only the circles with room and their members."""
    open_ids = _open_circle_ids(session, program, rnd, exclude)
    options: dict[int, list[matching.Candidate]] = {cid: [] for cid in open_ids}
    if open_ids:
        rows = session.execute(
            select(Membership.circle_id, Member, Profile, ProgramMember)
            .join(Member, Member.id == Membership.member_id)
            .join(Profile, and_(Profile.member_id == Member.id,
                                Profile.workspace_id == Member.workspace_id))
            .outerjoin(ProgramMember, and_(ProgramMember.member_id == Member.id,
                                           ProgramMember.program_id == program.id))
            .where(Membership.workspace_id == rnd.workspace_id, Membership.active.is_(True),
                   Membership.circle_id.in_(open_ids))
            .order_by(Membership.circle_id, Member.id)
        ).all()
        for cid, x, prof, e in rows:
            options[cid].append(to_candidate(x, prof, program.kind, today, e))
    me = to_candidate(m, get_profile(session, m), program.kind, today,
                      enrolment(session, program, m.id))
    return matching.place_late_joiner(
        me, options, match_settings(program, rnd.seed),
        _my_recent_pairs(session, m, program, rnd.number))


def lock_circles(session: Session, round_id: int) -> None:
    """Seats are counted and taken under a row lock on the round's circles (``SELECT ...
    FOR UPDATE`` on PostgreSQL, always in id order so two placements can't deadlock): a
    second placement into the same round waits, then counts the seat the first one took.
    SQLite ignores the clause; it lets one writer at a time anyway."""
    session.execute(select(Circle.id).where(Circle.round_id == round_id)
                    .order_by(Circle.id).with_for_update())


def join_circle(session: Session, m: Member, circle: Circle, role: str) -> None:
    """Add a member to a running circle: membership (reactivated if they were in it before),
    who they now have met, and an invitation into the circle's space. Reads that circle and
    this member's pairs only."""
    earlier = session.scalar(select(Membership).where(Membership.circle_id == circle.id,
                                                      Membership.member_id == m.id))
    if earlier is not None:
        earlier.active = True
    else:
        session.add(Membership(workspace_id=m.workspace_id, circle_id=circle.id, member_id=m.id,
                               role=role))
    rnd = session.get(Round, circle.round_id)
    assert rnd is not None
    met = {(a, b) for a, b in session.execute(
        select(PairHistory.member_a, PairHistory.member_b).where(
            PairHistory.workspace_id == m.workspace_id, PairHistory.round_id == rnd.id,
            or_(PairHistory.member_a == m.id, PairHistory.member_b == m.id)))}
    for other, _ in circle_members(session, circle):
        a, b = sorted((m.id, other.id))
        if a != b and (a, b) not in met:
            session.add(PairHistory(workspace_id=m.workspace_id, program_id=rnd.program_id,
                                    round_id=rnd.id, round_number=rnd.number, member_a=a, member_b=b))
    enqueue(session, m.workspace_id, episode_key(session, m.workspace_id, f"invite:{circle.id}:{m.id}"),
            "invite", f"circle:{circle.id}", {"circle_id": circle.id, "users": [m.external_id]})


def place_late_joiner(actor: Actor, today: dt.date,
                      program_id: int | None = None) -> Placement | None:
    """Someone enrolled (or finished their profile) while a round is running: put them into
    the best circle with room, or on the waitlist with the reason. None when there is nothing
    to do (no active round, paused, or already placed). ``program_id`` limits it to the
    program just joined (joining a second program must not place them in the first)."""
    session, m = actor.session, actor.member
    if not m.enrolled or is_paused(m.paused_until, today):
        return None
    enrolled = session.scalars(
        select(Program).join(ProgramMember, ProgramMember.program_id == Program.id)
        .where(ProgramMember.workspace_id == m.workspace_id, ProgramMember.member_id == m.id)
        .order_by(Program.id)
    ).all()
    in_circles = {c.round_id for c, _ in active_memberships(session, m)}
    for program in enrolled:
        if program_id is not None and program.id != program_id:
            continue
        rnd = latest_round(session, program, "active")
        if rnd is None or rnd.id in in_circles:
            continue
        lock_circles(session, rnd.id)
        target_id, why = best_circle_for(session, m, program, rnd, today)
        if target_id is None:
            rnd.waitlist = {**rnd.waitlist, str(m.id): why}
            return Placement(program.name, None, why)
        target = session.get(Circle, target_id)
        assert target is not None
        join_circle(session, m, target, "mentee" if program.kind in MENTOR_KINDS else "peer")
        session.flush()
        rnd.waitlist = {k: v for k, v in rnd.waitlist.items() if k != str(m.id)}
        reason = circle_why(session, program, target, today, newcomer=m)
        notices.to_circle(session, m.workspace_id, target.id, f"joined:{target.id}:{m.id}",
                          notices.MemberPlaced(m.display_name, m.external_id, "", reason))
        audit(session, m.workspace_id, m.id, "member.placed_late", {"circle": target.id})
        return Placement(program.name, target.name, "", reason)
    return None


def _any_other_circle_with_room(session: Session, rnd: Round, program: Program,
                                circle_id: int) -> bool:
    """Another (non-empty) circle of the round below the program's size: one aggregate
    query that stops at the first such circle."""
    row = session.scalar(
        select(Membership.circle_id).join(Circle, Circle.id == Membership.circle_id)
        .where(Circle.round_id == rnd.id, Circle.workspace_id == rnd.workspace_id,
               Membership.active.is_(True), Membership.circle_id != circle_id)
        .group_by(Membership.circle_id)
        .having(func.count(Membership.id) < seats(program)).limit(1))
    return row is not None


@dataclass(frozen=True)
class RematchPlan:
    member_id: int
    member_name: str
    source_id: int
    source_name: str
    target_id: int
    target_name: str
    why: str  # the matcher's note (kept for callers); ``reason`` is what people are shown
    reason: Why | None = None  # their own reason to join the target, from its members now


def rematch_target(actor: Actor, external_id: str | None, name: str | None,
                   today: dt.date) -> RematchPlan:
    """Pick a better circle for a member (nothing changes until it is confirmed)."""
    session = actor.session
    m = find_member(session, actor.workspace, external_id, name)
    current = active_memberships(session, m)
    if not current:
        raise DomainError("rematch_not_in_circle", name=m.display_name)
    circle, ms = current[0]
    rnd = session.get(Round, circle.round_id)
    program = session.get(Program, rnd.program_id) if rnd else None
    assert rnd is not None and program is not None
    if not _any_other_circle_with_room(session, rnd, program, circle.id):
        raise DomainError("all_circles_full")
    target_id, why = best_circle_for(session, m, program, rnd, today, exclude=circle.id)
    if target_id is None:
        raise DomainError("no_fitting_circle", name=m.display_name, why=why)
    target = session.get(Circle, target_id)
    assert target is not None
    reason = circle_why(session, program, target, today, newcomer=m, newcomer_role=ms.role)
    return RematchPlan(m.id, m.display_name, circle.id, circle.name, target.id, target.name, why,
                       reason)


@dataclass(frozen=True)
class Rematched:
    member_name: str
    circle_name: str
    moved: MemberMoved | None = None  # the fact the platforms act on (leave the old space)


def move_member(actor: Actor, member_id: int, source_id: int, target_id: int) -> Rematched:
    session, ws = actor.session, actor.workspace
    m = session.get(Member, member_id)
    source, target = session.get(Circle, source_id), session.get(Circle, target_id)
    if m is None or source is None or target is None or {
            m.workspace_id, source.workspace_id, target.workspace_id} != {ws.id}:
        raise DomainError("confirmation_expired")
    ms = session.scalar(select(Membership).where(Membership.circle_id == source.id,
                                                 Membership.member_id == m.id,
                                                 Membership.active.is_(True)))
    if ms is None:
        raise DomainError("already_left", name=m.display_name, circle=source.name)
    rnd, program = _still_possible(session, m, target)
    ms.active = False
    membership_ended(session, m, source)
    join_circle(session, m, target, ms.role)
    session.flush()
    notices.to_member(session, m.workspace_id, m.id, m.external_id,
                      f"rematch:{m.id}:{source.id}:{target.id}",
                      notices.Rematched(target.name, "", circle_why(
                          session, program, target, rnd.starts_on, newcomer=m)))
    audit(session, m.workspace_id, None, "member.rematched",
          {"member": m.id, "from": source.id, "to": target.id})
    return Rematched(m.display_name, target.name,
                     notices.MemberMoved(m.id, m.external_id, source.id, target.id))


def _still_possible(session: Session, m: Member, target: Circle) -> tuple[Round, Program]:
    """A rematch is confirmed some time after it was proposed: under the circles' row lock,
    check the round is still running and the target still has a seat, and explain if not."""
    lock_circles(session, target.round_id)
    rnd = session.scalar(select(Round).where(Round.id == target.round_id)
                         .execution_options(populate_existing=True))
    program = session.get(Program, rnd.program_id) if rnd else None
    if rnd is None or program is None or rnd.status != "active" or target.archived:
        raise DomainError("rematch_round_over", number=rnd.number if rnd else 0,
                          name=m.display_name)
    seated = session.scalar(select(func.count(Membership.id)).where(
        Membership.workspace_id == target.workspace_id, Membership.circle_id == target.id,
        Membership.active.is_(True))) or 0
    if seated >= seats(program):
        raise DomainError("rematch_target_full", name=m.display_name, circle=target.name)
    return rnd, program
