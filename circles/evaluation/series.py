"""Week-by-week measures of a program's latest published round, for the health chart and the
coordinators' digest: answer rate, meeting rate, pulse and how many circles were at risk.

Four grouped queries per program (per circle and week), whatever the number of circles; the
weekly risk count is then a cheap pass over those few numbers per circle. A circle's week
counts as at risk by the same rules as `/circle health`, applied to what was known by the end
of that week, so the chart's last point and the health report tell the same story. Pulse
figures obey the anonymity threshold (``privacy_threshold``): a circle's week with fewer
respondents adds nothing to the pulse line or to the pulse-based risks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from circles.evaluation.privacy_threshold import min_respondents, shown
from circles.health import (
    FALLING_PULSE,
    LOW_ANSWER_RATE,
    LOW_MEETING_RATE,
    LOW_PULSE,
    MIN_ACTIVE_MEMBERS,
)
from circles.model import CheckIn, Circle, Membership, Program, PromptPost, Pulse, Response, Round


@dataclass(frozen=True)
class WeekPoint:
    """One week of a round. Rates are 0..1 and None when there was nothing to measure
    (no prompt yet, no check-in, no circle above the pulse threshold)."""

    week: int
    circles: int  # circles that got this week's prompt
    answer_rate: float | None
    meeting_rate: float | None
    pulse_avg: float | None
    at_risk: int

    @classmethod
    def from_data(cls, data: dict) -> WeekPoint:  # type: ignore[type-arg]
        return cls(**data)


@dataclass(frozen=True)
class ProgramSeries:
    """A program's weekly series; ``round_number`` None before its first published round."""

    program_name: str
    round_number: int | None
    round_ended: bool
    min_respondents: int
    weeks: list[WeekPoint]

    @classmethod
    def from_data(cls, data: dict) -> ProgramSeries:  # type: ignore[type-arg]
        return cls(**{**data, "weeks": [WeekPoint.from_data(w) for w in data["weeks"]]})


@dataclass
class _CircleWeeks:
    """Per-week counts of one circle, filled from the grouped queries."""

    members: int = 0
    posts: set[int] = field(default_factory=set)
    answers: dict[int, int] = field(default_factory=dict)
    checked: set[int] = field(default_factory=set)
    met: set[int] = field(default_factory=set)
    pulse: dict[int, tuple[int, int]] = field(default_factory=dict)  # week -> (sum, respondents)


def latest_round(session: Session, program: Program) -> Round | None:
    ws = program.workspace_id
    return session.scalar(
        select(Round).where(Round.workspace_id == ws, Round.program_id == program.id,
                            Round.status != "draft").order_by(Round.number.desc()).limit(1))


def program_series(session: Session, program: Program, threshold: int | None = None) -> ProgramSeries:
    n = min_respondents(threshold)
    rnd = latest_round(session, program)
    if rnd is None:
        return ProgramSeries(program.name, None, False, n, [])
    circles = _circle_weeks(session, rnd)
    last = max((w for c in circles.values() for w in (c.posts or ())), default=0)
    weeks = [_week(w, circles, n) for w in range(1, last + 1)]
    return ProgramSeries(program.name, rnd.number, rnd.status == "ended", n, weeks)


def _circle_weeks(session: Session, rnd: Round) -> dict[int, _CircleWeeks]:
    ws = rnd.workspace_id
    in_round = and_(Circle.round_id == rnd.id, Circle.workspace_id == ws)
    out: dict[int, _CircleWeeks] = {}

    def of(cid: int) -> _CircleWeeks:
        c = out.get(cid)
        if c is None:
            c = out[cid] = _CircleWeeks()
        return c

    for (cid,) in session.execute(select(Circle.id).where(in_round)):
        of(cid)
    for cid, count in session.execute(
            select(Membership.circle_id, func.count()).join(Circle, Circle.id == Membership.circle_id)
            .where(in_round, Membership.workspace_id == ws, Membership.active.is_(True))
            .group_by(Membership.circle_id)):
        of(cid).members = count
    for cid, week, answers in session.execute(
            select(PromptPost.circle_id, PromptPost.cycle, func.count(Response.id))
            .join(Circle, Circle.id == PromptPost.circle_id)
            .outerjoin(Response, and_(Response.prompt_post_id == PromptPost.id, Response.workspace_id == ws))
            .where(in_round, PromptPost.workspace_id == ws)
            .group_by(PromptPost.circle_id, PromptPost.cycle)):
        c = of(cid)
        c.posts.add(week)
        c.answers[week] = answers
    for cid, week, met in session.execute(
            select(CheckIn.circle_id, CheckIn.cycle, func.max(case((CheckIn.status == "met", 1), else_=0)))
            .join(Circle, Circle.id == CheckIn.circle_id)
            .where(in_round, CheckIn.workspace_id == ws).group_by(CheckIn.circle_id, CheckIn.cycle)):
        c = of(cid)
        c.checked.add(week)
        if met:
            c.met.add(week)
    for cid, week, total, count in session.execute(
            select(Pulse.circle_id, Pulse.cycle, func.sum(Pulse.rating), func.count())
            .join(Circle, Circle.id == Pulse.circle_id)
            .where(in_round, Pulse.workspace_id == ws).group_by(Pulse.circle_id, Pulse.cycle)):
        of(cid).pulse[week] = (int(total), int(count))
    return out


def _week(w: int, circles: dict[int, _CircleWeeks], n: int) -> WeekPoint:
    posted = answered = asked = 0
    checked = met = 0
    pulse_sum = pulse_count = 0
    risky = 0
    for c in circles.values():
        if w in c.posts:
            posted += 1
            answered += c.answers.get(w, 0)
            asked += c.members
        if w in c.checked:
            checked += 1
            met += w in c.met
        total, count = c.pulse.get(w, (0, 0))
        if shown(count, n):
            pulse_sum += total
            pulse_count += count
        risky += _at_risk_by(w, c, n)
    return WeekPoint(
        week=w, circles=posted,
        answer_rate=answered / asked if asked else None,
        meeting_rate=met / checked if checked else None,
        pulse_avg=pulse_sum / pulse_count if pulse_count else None,
        at_risk=risky,
    )


def _at_risk_by(w: int, c: _CircleWeeks, n: int) -> bool:
    """The `/circle health` rules on what was known at the end of week ``w`` (a circle whose
    first prompt has not gone out yet is not judged)."""
    posts = [p for p in c.posts if p <= w]
    if not posts:
        return False
    if c.members < MIN_ACTIVE_MEMBERS:
        return True
    if len(posts) >= 2 and c.members:
        rate = sum(c.answers.get(p, 0) for p in posts) / (c.members * len(posts))
        if rate < LOW_ANSWER_RATE:
            return True
    checked = [k for k in c.checked if k <= w]
    if len(checked) >= 2 and sum(k in c.met for k in checked) / len(checked) < LOW_MEETING_RATE:
        return True
    weeks = sorted(k for k, (_, count) in c.pulse.items() if k <= w and shown(count, n))
    if weeks:
        total = sum(c.pulse[k][0] for k in weeks)
        count = sum(c.pulse[k][1] for k in weeks)
        if total / count < LOW_PULSE:
            return True
        if len(weeks) >= 2:
            (s1, c1), (s2, c2) = c.pulse[weeks[-2]], c.pulse[weeks[-1]]
            if s2 / c2 - s1 / c1 <= FALLING_PULSE:
                return True
    return False
