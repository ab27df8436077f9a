"""Rounds: form a draft, adjust it, publish it, end it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass, replace

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from circles import clock, matching, notices, survey
from circles.errors import DomainError
from circles.matching.explain import Why
from circles.model import Circle, Goal, Member, Membership, PairHistory, Program, Round
from circles.outbox import enqueue
from circles.timing import keep_timing
from circles.usecases.context import Actor, find_member
from circles.usecases.matchmaking import (
    enrolment,
    latest_round,
    match_settings,
    program_candidates,
    recent_pairs,
    to_candidate,
)
from circles.usecases.programs import program, program_by_id
from circles.usecases.why import round_whys


@dataclass(frozen=True)
class CircleView:
    number: int
    name: str
    explanation: str
    score: float
    members: list[tuple[str, str]]  # (display name, role)
    why: Why | None = None  # from the circle's members now (``explanation``: stored at forming)


@dataclass(frozen=True)
class RoundView:
    program_id: int
    program_name: str
    number: int
    score: float
    circles: list[CircleView]
    broken_rules: list[str]
    waitlist: list[tuple[str, str]]  # (display name, reason)
    optimality: matching.Optimality | None = None  # set by a fresh preview only
    moves: int = 0  # manual moves made in this draft
    kept: bool = False  # an adjusted draft shown as it is, not formed again


def round_members(session: Session, rnd: Round) -> dict[int, list[tuple[Member, Membership]]]:
    rows = session.execute(
        select(Member, Membership, Circle.id)
        .join(Membership, Membership.member_id == Member.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Circle.round_id == rnd.id, Circle.workspace_id == rnd.workspace_id,
               Membership.active.is_(True))
        .order_by(Circle.number, Member.id)
    ).all()
    out: dict[int, list[tuple[Member, Membership]]] = {}
    for m, ms, cid in rows:
        out.setdefault(cid, []).append((m, ms))
    return out


def round_view(session: Session, p: Program, rnd: Round) -> RoundView:
    members = round_members(session, rnd)
    whys = round_whys(session, p, rnd)
    circles = [CircleView(c.number, c.name, c.explanation, c.score,
                          [(m.display_name, ms.role) for m, ms in members.get(c.id, [])],
                          whys.get(c.id))
               for c in rnd.circles]
    ids = [int(k) for k in rnd.waitlist]
    names = dict(session.execute(select(Member.id, Member.display_name).where(
        Member.workspace_id == p.workspace_id, Member.id.in_(ids))).all()) if ids else {}
    waitlist = [(names.get(int(k), k), why) for k, why in rnd.waitlist.items()]
    return RoundView(p.id, p.name, rnd.number, rnd.score, circles, list(rnd.broken_rules), waitlist,
                     moves=rnd.moves or 0)


def _delete_round(session: Session, rnd: Round) -> None:
    ids = [c.id for c in rnd.circles]
    if ids:
        session.execute(delete(Membership).where(Membership.circle_id.in_(ids)))
        session.execute(delete(Circle).where(Circle.id.in_(ids)))
    session.delete(rnd)
    session.flush()


def preview_round(actor: Actor, program_name: str, today: dt.date, seed: int | None = None,
                  program_id: int | None = None, fresh: bool = False) -> RoundView:
    """Form (or re-form) the draft round for a program. A draft a coordinator adjusted with
    `round move` is shown as it is: forming it again would silently drop the moves, so that
    takes an explicit ``fresh``."""
    session = actor.session
    p = program_by_id(actor, program_id) if program_id is not None else program(actor, program_name)
    draft = latest_round(session, p, "draft")
    if draft is not None and draft.moves and not fresh:
        return dataclasses.replace(round_view(session, p, draft), kept=True)
    if draft is not None:
        _delete_round(session, draft)
    last = latest_round(session, p)
    number = (last.number + 1) if last else 1
    people = program_candidates(session, p, today)
    if len(people) < 2:
        raise DomainError("too_few_members", program=p.name, count=len(people))
    seed = seed if seed is not None else random.Random(f"{p.id}:{number}").randrange(2**31)
    result = matching.form_circles(
        [to_candidate(m, prof, p.kind, today, e) for m, prof, e in people],
        match_settings(p, seed),
        recent_pairs(session, p, number),
        names={m.id: m.display_name for m, _, _ in people},
    )
    rnd = Round(workspace_id=p.workspace_id, program_id=p.id, number=number, status="draft",
                starts_on=today, ends_on=today + dt.timedelta(weeks=p.round_weeks), seed=seed,
                score=result.score, broken_rules=list(result.broken_rules),
                waitlist={str(k): v for k, v in result.waitlist.items()},
                created_at=clock.at(session))
    session.add(rnd)
    session.flush()
    for i, group in enumerate(result.groups, start=1):
        circle = Circle(workspace_id=p.workspace_id, round_id=rnd.id, number=i,
                        name=f"{p.name} · circle {i}", kind=p.kind,
                        explanation=group.explanation, score=group.score)
        session.add(circle)
        session.flush()
        for mid in group.member_ids:
            role = "mentor" if group.mentor_id == mid else ("mentee" if group.mentor_id else "peer")
            session.add(Membership(workspace_id=p.workspace_id, circle_id=circle.id,
                                   member_id=mid, role=role))
    session.flush()
    session.refresh(rnd)
    return replace(round_view(session, p, rnd), optimality=result.optimality)


@dataclass(frozen=True)
class Moved:
    name: str
    circle_number: int
    # the sizes after the move, against the program's bounds (a move may break them: it is
    # allowed, and the coordinator is told)
    target_size: int = 0
    source_number: int | None = None  # None: they came from the waitlist
    source_size: int = 0
    min_size: int = 0
    max_size: int = 0
    removed_circle: int | None = None  # the source circle, emptied and taken out of the draft
    moves: int = 0


def move_in_draft(actor: Actor, program_name: str, external_id: str | None, name: str | None,
                  circle_number: int) -> Moved:
    session = actor.session
    p = program(actor, program_name)
    m = find_member(session, actor.workspace, external_id, name)
    draft = latest_round(session, p, "draft")
    if draft is None:
        raise DomainError("no_draft_to_adjust")
    if enrolment(session, p, m.id) is None:
        raise DomainError("not_in_program", name=m.display_name, program=p.name)
    target = next((c for c in draft.circles if c.number == circle_number), None)
    if target is None:
        raise DomainError("no_such_circle", count=len(draft.circles), number=circle_number)
    ms = session.scalar(select(Membership).join(Circle).where(Circle.round_id == draft.id,
                                                              Membership.member_id == m.id))
    if ms is not None and ms.circle_id == target.id:
        raise DomainError("already_in_circle", name=m.display_name, number=circle_number)
    source = None
    if ms is None:
        session.add(Membership(workspace_id=p.workspace_id, circle_id=target.id, member_id=m.id))
        draft.waitlist = {k: v for k, v in draft.waitlist.items() if k != str(m.id)}
    else:
        source = next(c for c in draft.circles if c.id == ms.circle_id)
        ms.circle_id = target.id
    draft.moves = (draft.moves or 0) + 1
    session.flush()
    sizes = dict(session.execute(
        select(Membership.circle_id, func.count(Membership.id)).join(Circle)
        .where(Circle.round_id == draft.id).group_by(Membership.circle_id)).all())
    removed = None
    if source is not None and not sizes.get(source.id):
        removed = source.number  # an empty circle would publish as an empty space
        session.delete(source)
        session.flush()
        for c in draft.circles:
            if c.number > removed:
                c.number -= 1
                c.name = f"{p.name} · circle {c.number}"
        session.flush()
        session.refresh(draft)
    return Moved(m.display_name, target.number, sizes.get(target.id, 0),
                 source.number if source is not None and removed is None else None,
                 sizes.get(source.id, 0) if source is not None else 0,
                 p.min_size, p.max_size, removed, draft.moves)


def circle_space_name(p: Program, rnd: Round, circle: Circle) -> str:
    """A channel-safe name; adapters add a suffix when the name is taken."""
    base = "".join(ch if ch.isalnum() else "-" for ch in p.name.lower()).strip("-")
    while "--" in base:
        base = base.replace("--", "-")
    return f"{base[:50]}-r{rnd.number}-c{circle.number}"


@dataclass(frozen=True)
class Published:
    program_name: str
    number: int
    circles: int


def publish_round(actor: Actor, program_name: str = "", program_id: int | None = None,
                  hub: str | None = None) -> Published:
    session = actor.session
    p = program_by_id(actor, program_id) if program_id is not None else program(actor, program_name)
    draft = latest_round(session, p, "draft")
    if draft is None:
        raise DomainError("no_draft_to_publish")
    active = latest_round(session, p, "active")
    if active is not None:
        raise DomainError("round_still_active", number=active.number)
    draft.status = "active"
    keep_timing(p, draft)  # the round runs on this schedule even if the program changes
    members = round_members(session, draft)
    whys = round_whys(session, p, draft)
    for circle in draft.circles:
        people = members.get(circle.id, [])
        ids = sorted(m.id for m, _ in people)
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                session.add(PairHistory(workspace_id=p.workspace_id, program_id=p.id,
                                        round_id=draft.id, round_number=draft.number,
                                        member_a=a, member_b=b))
        enqueue(session, p.workspace_id, f"space:{circle.id}", "create_space", f"circle:{circle.id}",
                {"circle_id": circle.id, "name": circle_space_name(p, draft, circle),
                 "members": [m.external_id for m, _ in people], "hub": hub or p.hub_channel})
        mentor = next((m.display_name for m, ms in people if ms.role == "mentor"), None)
        notices.to_circle(session, p.workspace_id, circle.id, f"welcome:{circle.id}",
                          notices.CircleFormed(circle.id, circle.name,
                                               [m.display_name for m, _ in people], mentor,
                                               "", [m.external_id for m, _ in people],
                                               whys.get(circle.id)))
    for mid, reason in draft.waitlist.items():
        m = session.get(Member, int(mid))
        if m is not None and m.workspace_id == p.workspace_id:
            notices.to_member(session, p.workspace_id, m.id, m.external_id,
                              f"waitlist:{draft.id}:{m.id}", notices.Waitlisted(p.name, reason))
    session.flush()
    return Published(p.name, draft.number, len(draft.circles))


def end_round(session: Session, rnd: Round, now: dt.datetime) -> None:
    if rnd.status != "active":
        raise DomainError("round_not_active")
    rnd.status = "ended"
    for circle in rnd.circles:
        enqueue(session, rnd.workspace_id, f"archive:{circle.id}", "archive_space",
                f"circle:{circle.id}", {"circle_id": circle.id})
    rows = session.execute(
        select(Goal, Member)
        .join(Member, Member.id == Goal.member_id)
        .join(Membership, Membership.member_id == Member.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Circle.round_id == rnd.id, Goal.workspace_id == rnd.workspace_id,
               Goal.done.is_(False))
        .order_by(Goal.id)
    ).all()
    # de-duplicated here, not with DISTINCT: PostgreSQL has no equality operator for JSON
    for goal, m in {goal.id: (goal, m) for goal, m in rows}.values():
        notices.to_member(session, rnd.workspace_id, m.id, m.external_id,
                          f"goalcheck:{rnd.id}:{goal.id}",
                          notices.GoalCheck(goal.id, goal.number, goal.text))
    program = session.get(Program, rnd.program_id)
    survey.send_surveys(session, rnd, program.name if program is not None else "")


@dataclass(frozen=True)
class Ended:
    number: int


def end_active_round(actor: Actor, program_name: str, now: dt.datetime) -> Ended:
    p = program(actor, program_name)
    rnd = latest_round(actor.session, p, "active")
    if rnd is None:
        raise DomainError("no_active_round", program=p.name)
    end_round(actor.session, rnd, now)
    return Ended(rnd.number)


@dataclass(frozen=True)
class EndPlan:
    """The round `round end` would end, for the coordinator to confirm first."""

    round_id: int
    number: int
    program_name: str
    circles: int


def round_to_end(actor: Actor, program_name: str) -> EndPlan:
    """Which round ending would end (nothing changes until it is confirmed)."""
    p = program(actor, program_name)
    rnd = latest_round(actor.session, p, "active")
    if rnd is None:
        raise DomainError("no_active_round", program=p.name)
    return EndPlan(rnd.id, rnd.number, p.name, len(rnd.circles))


def end_round_by_id(actor: Actor, round_id: int, now: dt.datetime) -> Ended:
    """End a confirmed round; refused when it ended meanwhile (the scheduler or a second
    press)."""
    rnd = actor.session.scalar(select(Round).where(Round.workspace_id == actor.workspace.id,
                                                   Round.id == round_id))
    if rnd is None or rnd.status != "active":
        raise DomainError("round_not_active")
    end_round(actor.session, rnd, now)
    return Ended(rnd.number)
