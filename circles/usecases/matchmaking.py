"""The bridge between stored profiles and the matcher: who is a candidate, with what
settings, and who has met whom."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles import matching
from circles.availability import utc_slots
from circles.model import Member, PairHistory, Profile, Program, ProgramMember, Round
from circles.rules import MENTOR_KINDS, is_paused


def program_candidates(session: Session, program: Program,
                       today: dt.date) -> list[tuple[Member, Profile, ProgramMember]]:
    """Who should be matched: enrolled in the program (with their role in it), not paused."""
    rows = session.execute(
        select(Member, Profile, ProgramMember)
        .join(ProgramMember, ProgramMember.member_id == Member.id)
        .join(Profile, Profile.member_id == Member.id)
        .where(
            ProgramMember.workspace_id == program.workspace_id,
            ProgramMember.program_id == program.id,
            Member.enrolled.is_(True),
        )
        .order_by(Member.id)
    ).all()
    return [(m, p, e) for m, p, e in rows if not is_paused(m.paused_until, today)]


def enrolment(session: Session, program: Program, member_id: int) -> ProgramMember | None:
    """A member's enrolment in one program: where their role and mentor capacity live."""
    return session.scalar(select(ProgramMember).where(
        ProgramMember.workspace_id == program.workspace_id, ProgramMember.program_id == program.id,
        ProgramMember.member_id == member_id))


def to_candidate(m: Member, p: Profile, kind: str, ref: dt.date,
                 e: ProgramMember | None = None) -> matching.Candidate:
    """The matcher's view of one member in one program: the role and capacity come from the
    enrolment in that program (a peer when there is none), the rest from the profile."""
    given = e.role if e is not None else "peer"
    role = given if given in ("mentor", "mentee") else "peer"
    if kind in MENTOR_KINDS and role == "peer":
        role = "mentor" if p.experience >= 4 else "mentee"
    return matching.Candidate(
        id=m.id,
        role=role,
        experience=p.experience,
        department=p.department or "",
        interests=frozenset(p.interests or ()),
        goals=frozenset(p.goals or ()),
        skills_offered=frozenset(p.skills_offered or ()),
        skills_wanted=frozenset(p.skills_wanted or ()),
        availability=utc_slots(p.availability or (), p.timezone, ref),
        never_with=frozenset(int(x) for x in (p.never_with or ())),
        capacity=(e.mentor_capacity if e is not None else 3) if role == "mentor" else 1,
    )


def match_settings(program: Program, seed: int) -> matching.MatchSettings:
    base = matching.Weights(department=0.5 if program.kind == "cross_functional" else 0.0)
    weights = dataclasses.replace(base, **(program.weights or {}))
    return matching.MatchSettings(
        kind=program.kind,  # type: ignore[arg-type]
        min_size=program.min_size,
        max_size=program.max_size,
        repeat_window=program.repeat_window,
        min_shared_hours=program.min_shared_hours,
        weights=weights,
        seed=seed,
    )


def recent_pairs(session: Session, program: Program, upto_round: int) -> set[frozenset[int]]:
    if program.repeat_window <= 0:
        return set()
    rows = session.execute(
        select(PairHistory.member_a, PairHistory.member_b).where(
            PairHistory.workspace_id == program.workspace_id,
            PairHistory.program_id == program.id,
            PairHistory.round_number > upto_round - program.repeat_window,
        )
    ).all()
    return {frozenset((a, b)) for a, b in rows}


def latest_round(session: Session, program: Program, status: str | None = None) -> Round | None:
    q = select(Round).where(Round.workspace_id == program.workspace_id, Round.program_id == program.id)
    if status:
        q = q.where(Round.status == status)
    return session.scalar(q.order_by(Round.number.desc()).limit(1))
