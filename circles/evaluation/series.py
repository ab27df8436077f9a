"""Week-by-week measures of a program's latest published round, for the health chart and the
coordinators' digest: answer rate, meeting rate, pulse and how many circles were at risk.

One statement per program, whatever the number of circles: the database groups per circle
and week, keeps running totals per circle with window functions, and returns one row per
week. A circle's week counts as at risk by the rules of `/circle health`, applied to what
was known by the end of that week (running answer and meeting rates, the pulse so far, the
fall between its two latest pulse weeks), so the chart's last bar and the health report tell
the same story. Pulse figures obey the anonymity threshold (``privacy_threshold``): a
circle's week with fewer respondents adds nothing to the pulse line or to the pulse risks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from circles.evaluation.privacy_threshold import min_respondents
from circles.health.rules import (
    FALLING_PULSE,
    LOW_ANSWER_RATE,
    LOW_MEETING_RATE,
    LOW_PULSE,
    MIN_ACTIVE_MEMBERS,
)
from circles.model import Circle, CircleWeek, Membership, Program, PromptPost, Round


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
    no_jit(session)
    weeks = [WeekPoint(week=int(week), circles=int(circles),
                       answer_rate=float(answered) / float(asked) if asked else None,
                       meeting_rate=float(met) / float(checked) if checked else None,
                       pulse_avg=float(psum) / float(pcount) if pcount else None,
                       at_risk=int(risky or 0))
             for week, circles, asked, answered, checked, met, psum, pcount, risky
             in session.execute(_weekly(rnd, n))]
    return ProgramSeries(program.name, rnd.number, rnd.status == "ended", n, weeks)


def no_jit(session: Session) -> None:
    """PostgreSQL's JIT compiles a plan this size for seconds to save milliseconds (its row
    estimates for the grouped joins are far too high): off, for this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _weekly(rnd: Round, n: int) -> Select[Any]:
    """One row per week: the sums behind each rate, and how many circles were at risk.

    ``cw`` has a row per circle and week with a prompt: members, answers, whether anyone
    checked in and whether the circle met, and the pulse sum and count when at least ``n``
    answered. ``cum`` adds running totals per circle (window functions), and the pulse change
    between the circle's two latest weeks above the threshold, carried to the weeks after."""
    ws = rnd.workspace_id
    in_round = and_(Circle.round_id == rnd.id, Circle.workspace_id == ws)
    posts = (select(PromptPost.id, PromptPost.circle_id, PromptPost.cycle)
             .join(Circle, Circle.id == PromptPost.circle_id)
             .where(in_round, PromptPost.workspace_id == ws).cte("posts"))
    members = (select(Membership.circle_id, func.count().label("n")).join(Circle, Circle.id == Membership.circle_id)
               .where(in_round, Membership.workspace_id == ws, Membership.active.is_(True))
               .group_by(Membership.circle_id).subquery("members"))
    # answers, check-ins and pulses per circle and week come from the tallies kept with them
    # (``circle_weeks``, the same rows /circle health reads), not from millions of raw rows
    t = CircleWeek.__table__.c
    tally = (select(t.circle_id, t.cycle, t.answers, t.checkins, t.met, t.pulses, t.pulse_sum)
             .join(Circle, Circle.id == t.circle_id)
             .where(in_round, t.workspace_id == ws).subquery("tally"))
    shown = tally.c.pulses >= n
    m = func.coalesce(members.c.n, 0)
    cw = (select(posts.c.circle_id, posts.c.cycle, m.label("m"), func.coalesce(tally.c.answers, 0).label("a"),
                 case((func.coalesce(tally.c.checkins, 0) > 0, 1), else_=0).label("chk"),
                 case((func.coalesce(tally.c.met, 0) > 0, 1), else_=0).label("met"),
                 case((shown, tally.c.pulse_sum), else_=None).label("ps"),
                 case((shown, tally.c.pulses), else_=None).label("pn"),
                 case((shown, tally.c.pulse_sum * 1.0 / tally.c.pulses), else_=None).label("avg"))
          .select_from(posts)
          .outerjoin(members, members.c.circle_id == posts.c.circle_id)
          .outerjoin(tally, and_(tally.c.circle_id == posts.c.circle_id, tally.c.cycle == posts.c.cycle))
          .cte("cw"))
    by_circle = {"partition_by": cw.c.circle_id, "order_by": cw.c.cycle}
    # the health rule: the latest shown weekly pulse at least FALLING_PULSE below the round's
    # first shown one (two shown weeks at least), as known at the end of each week
    first_shown = func.first_value(cw.c.avg).over(partition_by=[cw.c.circle_id, cw.c.pn.is_(None)],
                                                  order_by=cw.c.cycle)
    cum = select(cw.c.circle_id, cw.c.cycle, cw.c.m, cw.c.a, cw.c.chk, cw.c.met, cw.c.ps, cw.c.pn,
                 cw.c.avg,
                 func.count().over(**by_circle).label("c_posts"),
                 func.sum(cw.c.a).over(**by_circle).label("c_a"),
                 func.sum(cw.c.chk).over(**by_circle).label("c_chk"),
                 func.sum(cw.c.met).over(**by_circle).label("c_met"),
                 func.sum(cw.c.ps).over(**by_circle).label("c_ps"),
                 func.sum(cw.c.pn).over(**by_circle).label("c_pn"),
                 func.count(cw.c.pn).over(**by_circle).label("grp"),
                 case((cw.c.pn.is_(None), None), else_=first_shown).label("first_avg")).cte("cum")
    latest = func.max(case((cum.c.pn.is_(None), None), else_=cum.c.avg)).over(
        partition_by=[cum.c.circle_id, cum.c.grp])
    first = func.max(cum.c.first_avg).over(partition_by=cum.c.circle_id)
    flagged = select(cum, case((or_(
        cum.c.m < MIN_ACTIVE_MEMBERS,
        and_(cum.c.c_posts >= 2, cum.c.m > 0, cum.c.c_a * 1.0 / (cum.c.m * cum.c.c_posts) < LOW_ANSWER_RATE),
        and_(cum.c.c_chk >= 2, cum.c.c_met * 1.0 / cum.c.c_chk < LOW_MEETING_RATE),
        and_(cum.c.c_pn > 0, cum.c.c_ps * 1.0 / cum.c.c_pn < LOW_PULSE),
        and_(cum.c.grp >= 2, first - latest >= FALLING_PULSE),
    ), 1), else_=0).label("risky")).subquery("flagged")
    f = flagged.c
    return (select(f.cycle, func.count(), func.sum(f.m), func.sum(f.a), func.sum(f.chk), func.sum(f.met),
                   func.sum(f.ps), func.sum(f.pn), func.sum(f.risky))
            .group_by(f.cycle).order_by(f.cycle))
