""""Why you were matched", always from a circle's members as they are now: after a `round
move`, a rematch or a late joiner the facts follow the people, never the text stored when the
round was formed. Returns `Why` facts (names, tags, counts); the bot words them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from circles.matching.explain import Why, why_of
from circles.matching.types import Candidate
from circles.model import Circle, Member, Membership, Profile, Program, ProgramMember, Round
from circles.usecases.matchmaking import to_candidate


def _people(session: Session, program: Program, circle_ids: Iterable[int], ref: dt.date,
            ) -> dict[int, list[tuple[Candidate, str, str]]]:
    """Each circle's active members as (candidate, display name, role in the circle)."""
    ids = list(circle_ids)
    out: dict[int, list[tuple[Candidate, str, str]]] = {cid: [] for cid in ids}
    if not ids:
        return out
    rows = session.execute(
        select(Membership.circle_id, Membership.role, Member, Profile, ProgramMember)
        .join(Member, Member.id == Membership.member_id)
        .outerjoin(Profile, and_(Profile.member_id == Member.id,
                                 Profile.workspace_id == Member.workspace_id))
        .outerjoin(ProgramMember, and_(ProgramMember.member_id == Member.id,
                                       ProgramMember.program_id == program.id))
        .where(Membership.workspace_id == program.workspace_id, Membership.circle_id.in_(ids),
               Membership.active.is_(True))
        .order_by(Membership.circle_id, Member.id)).all()
    for cid, role, m, prof, e in rows:
        prof = prof or Profile(experience=2, timezone="UTC", interests=[], goals=[],
                               skills_offered=[], skills_wanted=[], availability=[], never_with=[])
        out[cid].append((to_candidate(m, prof, program.kind, ref, e), m.display_name, role))
    return out


def _why(people: list[tuple[Candidate, str, str]], kind: str, newcomer_id: int | None) -> Why:
    names = {c.id: name for c, name, _ in people}
    mentor = next((c.id for c, _, role in people if role == "mentor"), None)
    return why_of([c for c, _, _ in people], kind, mentor, names, newcomer_id)


def round_whys(session: Session, program: Program, rnd: Round) -> dict[int, Why]:
    """Every circle of a round, by circle id (one query for the whole round)."""
    people = _people(session, program, [c.id for c in rnd.circles], rnd.starts_on)
    return {cid: _why(p, program.kind, None) for cid, p in people.items()}


def circle_why(session: Session, program: Program, circle: Circle, ref: dt.date,
               newcomer: Member | None = None, newcomer_role: str = "peer") -> Why:
    """One circle as it is now. With ``newcomer``, the facts are theirs: what they share with
    the circle (they are counted in even before they are seated, for a rematch proposal)."""
    people = _people(session, program, [circle.id], ref)[circle.id]
    if newcomer is not None and all(c.id != newcomer.id for c, _, _ in people):
        prof = session.scalar(select(Profile).where(Profile.member_id == newcomer.id,
                                                    Profile.workspace_id == newcomer.workspace_id))
        e = session.scalar(select(ProgramMember).where(ProgramMember.member_id == newcomer.id,
                                                       ProgramMember.program_id == program.id))
        if prof is not None:
            people.append((to_candidate(newcomer, prof, program.kind, ref, e),
                           newcomer.display_name, newcomer_role))
    return _why(people, program.kind, newcomer.id if newcomer is not None else None)
