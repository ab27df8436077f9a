"""`/circle health rounds`: how this round of a program compares with its earlier ones.

Per round: members, circles, answer rate, meeting rate, pulse average, goals met and the
closing survey's evaluation. Grouped queries per measure over all the program's rounds (not
one per circle). Pulse figures follow the anonymity rule: a circle's pulses count only when at
least ``min_group(N)`` of its members rated; survey figures only when at least N answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from circles.model import CheckIn, Circle, Membership, Program, PromptPost, Pulse, Response, Round
from circles.survey import SurveyResult, min_group, survey_results


@dataclass(frozen=True)
class RoundSummary:
    number: int
    status: str  # active|ended
    starts_on: str  # ISO dates
    ends_on: str
    members: int
    circles: int
    answer_rate: float | None  # None: no prompt yet
    meeting_rate: float | None  # None: no check-in yet
    pulse_avg: float | None  # None: no circle with enough ratings
    goals_met: int | None  # from the survey; None below the threshold
    survey: SurveyResult


@dataclass(frozen=True)
class RoundsReport:
    program_name: str
    min_group: int
    rounds: list[RoundSummary]  # oldest first


def rounds_report(session: Session, program: Program, min_respondents: int | None = None
                  ) -> RoundsReport:
    ws, n = program.workspace_id, min_group(min_respondents)
    rounds = session.scalars(select(Round).where(
        Round.workspace_id == ws, Round.program_id == program.id, Round.status != "draft")
        .order_by(Round.number)).all()
    ids = [r.id for r in rounds]
    if not ids:
        return RoundsReport(program.name, n, [])
    of_rounds = (Circle.workspace_id == ws) & Circle.round_id.in_(ids)
    circle_round = dict(session.execute(select(Circle.id, Circle.round_id).where(of_rounds)).all())
    members = dict(session.execute(
        select(Membership.circle_id, func.count()).join(Circle, Circle.id == Membership.circle_id)
        .where(of_rounds, Membership.active.is_(True)).group_by(Membership.circle_id)).all())
    posts = dict(session.execute(
        select(PromptPost.circle_id, func.count()).join(Circle, Circle.id == PromptPost.circle_id)
        .where(of_rounds).group_by(PromptPost.circle_id)).all())
    answers = dict(session.execute(
        select(Circle.round_id, func.count(Response.id))
        .join(PromptPost, PromptPost.id == Response.prompt_post_id)
        .join(Circle, Circle.id == PromptPost.circle_id)
        .where(of_rounds, Response.workspace_id == ws).group_by(Circle.round_id)).all())
    meetings: dict[int, list[int]] = {}
    for cid, cycles, met in session.execute(
            select(CheckIn.circle_id, func.count(func.distinct(CheckIn.cycle)),
                   func.count(func.distinct(case((CheckIn.status == "met", CheckIn.cycle)))))
            .join(Circle, Circle.id == CheckIn.circle_id).where(of_rounds)
            .group_by(CheckIn.circle_id)).all():
        acc = meetings.setdefault(circle_round[cid], [0, 0])
        acc[0] += int(cycles)
        acc[1] += int(met)
    pulse_rows = session.execute(
        select(Pulse.circle_id, func.sum(Pulse.rating), func.count(),
               func.count(func.distinct(Pulse.member_id)))
        .join(Circle, Circle.id == Pulse.circle_id).where(of_rounds)
        .group_by(Pulse.circle_id)).all()
    pulse: dict[int, list[int]] = {}
    for cid, total, count, raters in pulse_rows:
        if raters >= n:
            acc = pulse.setdefault(circle_round[cid], [0, 0])
            acc[0] += int(total)
            acc[1] += int(count)
    people = dict(session.execute(
        select(Circle.round_id, func.count(func.distinct(Membership.member_id)))
        .join(Circle, Circle.id == Membership.circle_id)
        .where(of_rounds, Membership.active.is_(True)).group_by(Circle.round_id)).all())
    surveys = {s.round_id: s for s in survey_results(session, ws, program.id, min_respondents)}
    out = []
    for rnd in rounds:
        cids = [cid for cid, rid in circle_round.items() if rid == rnd.id]
        expected = sum(members.get(c, 0) * posts.get(c, 0) for c in cids)
        cycles, met = meetings.get(rnd.id, (0, 0))
        total, count = pulse.get(rnd.id, (0, 0))
        survey = surveys[rnd.id]
        out.append(RoundSummary(
            rnd.number, rnd.status, rnd.starts_on.isoformat(), rnd.ends_on.isoformat(),
            people.get(rnd.id, 0), len(cids),
            answers.get(rnd.id, 0) / expected if expected else None,
            met / cycles if cycles else None,
            total / count if count else None,
            survey.outcomes.get("met", 0) if survey.shown else None, survey))
    return RoundsReport(program.name, n, out)
