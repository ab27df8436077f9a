"""One circle in detail for `/circle health circle N`: who has gone quiet (participation may
name people), its weeks, its pulse only where enough members answered, and its pulse
comments unattributed. Everything is read for the one circle, so the cost is the circle's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from circles.errors import DomainError
from circles.health.facts import CircleDetail, CircleWeekFacts, MemberParticipation
from circles.health.privacy import threshold
from circles.health.program import circles_health, is_silent, latest_round
from circles.model import (
    Circle,
    CircleWeek,
    Goal,
    Member,
    Membership,
    Program,
    PromptPost,
    Pulse,
    Response,
)


def circle_detail(session: Session, program: Program, number: int, now: dt.datetime,
                  min_respondents: int | None = None) -> CircleDetail:
    """Circle ``number`` of the program's latest published round."""
    n = threshold(min_respondents)
    rnd = latest_round(session, program)
    if rnd is None:
        raise DomainError("no_round_yet", program=program.name)
    ws = rnd.workspace_id
    circle = session.scalar(select(Circle).where(Circle.workspace_id == ws, Circle.round_id == rnd.id,
                                                 Circle.number == number))
    if circle is None:
        count = session.scalar(select(func.count()).select_from(Circle).where(
            Circle.workspace_id == ws, Circle.round_id == rnd.id)) or 0
        raise DomainError("no_circle_in_round", number=number, count=count, round=rnd.number)
    cadence_weeks = 2 if program.cadence == "biweekly" else 1
    [health] = circles_health(session, rnd, now, n, cadence_weeks, only=circle.id)
    cycles = list(session.scalars(select(PromptPost.cycle).where(
        PromptPost.workspace_id == ws, PromptPost.circle_id == circle.id).order_by(PromptPost.cycle.desc())))
    answers = dict(session.execute(
        select(Response.member_id, func.count()).join(PromptPost, PromptPost.id == Response.prompt_post_id)
        .where(Response.workspace_id == ws, PromptPost.circle_id == circle.id).group_by(Response.member_id)).all())
    goals = {mid: (int(total), int(done or 0)) for mid, total, done in session.execute(
        select(Goal.member_id, func.count(), func.sum(case((Goal.done.is_(True), 1), else_=0)))
        .join(Membership, and_(Membership.member_id == Goal.member_id, Membership.circle_id == circle.id))
        .where(Goal.workspace_id == ws).group_by(Goal.member_id)).all()}
    members = [
        MemberParticipation(mid, name, int(answers.get(mid, 0)), last,
                            is_silent(last, cycles[0] if cycles else None, len(cycles)), *goals.get(mid, (0, 0)))
        for mid, name, last in session.execute(
            select(Membership.member_id, Member.display_name, Membership.last_answer_cycle)
            .join(Member, Member.id == Membership.member_id)
            .where(Membership.workspace_id == ws, Membership.circle_id == circle.id, Membership.active.is_(True))
            .order_by(Member.display_name, Member.id)).all()
    ]
    tallied = {w.cycle: w for w in session.scalars(select(CircleWeek).where(
        CircleWeek.workspace_id == ws, CircleWeek.circle_id == circle.id))}
    weeks = []
    for cycle in sorted(set(cycles) | set(tallied)):
        w = tallied.get(cycle)
        a, c, m, p, s = (w.answers, w.checkins, w.met, w.pulses, w.pulse_sum) if w else (0, 0, 0, 0, 0)
        weeks.append(CircleWeekFacts(cycle, a, c, m, p, s / p if p >= n else None))
    shown = [w.cycle for w in weeks if w.pulse_avg is not None]
    comments = sorted(session.scalars(select(Pulse.comment).where(
        Pulse.workspace_id == ws, Pulse.circle_id == circle.id, Pulse.cycle.in_(shown), Pulse.comment != ""))
    ) if shown else []
    return CircleDetail(program.name, rnd.number, rnd.status == "ended", health, members, weeks, comments, n)
