"""Circle and program health, from SQL aggregates (one query per measure, not per circle),
so a coordinator's `/circle health` stays fast with thousands of circles.

At-risk rules are deliberately simple and explained in words: a coordinator has to trust a
flag before acting on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from circles.model import CheckIn, Circle, Membership, Program, PromptPost, Pulse, Response, Round

LOW_ANSWER_RATE = 0.3
LOW_MEETING_RATE = 0.5
LOW_PULSE = 2.5
FALLING_PULSE = -1.0
QUIET_DAYS = 14


@dataclass
class CircleHealth:
    circle_id: int
    number: int
    name: str
    kind: str
    members: int
    prompts: int
    answer_rate: float | None
    meeting_rate: float | None
    pulse_avg: float | None
    pulse_trend: float | None  # last cycle's average minus the one before
    last_activity: dt.datetime | None
    risks: list[str] = field(default_factory=list)


@dataclass
class ProgramHealth:
    program: Program
    round_number: int | None
    circles: list[CircleHealth]
    waitlist: int
    rematch: list[tuple[int, str]]  # (member id, reason)

    @property
    def at_risk(self) -> list[CircleHealth]:
        return [c for c in self.circles if c.risks]

    def overall(self, attr: str) -> float | None:
        vals = [getattr(c, attr) for c in self.circles if getattr(c, attr) is not None]
        return sum(vals) / len(vals) if vals else None


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    if t is not None and t.tzinfo is None:
        return t.replace(tzinfo=dt.UTC)
    return t


def program_health(session: Session, program: Program, now: dt.datetime) -> ProgramHealth:
    ws = program.workspace_id
    rnd = session.scalar(
        select(Round).where(Round.workspace_id == ws, Round.program_id == program.id, Round.status != "draft")
        .order_by(Round.number.desc()).limit(1)
    )
    if rnd is None:
        return ProgramHealth(program, None, [], 0, [])
    circles = list(session.scalars(select(Circle).where(Circle.workspace_id == ws, Circle.round_id == rnd.id)
                                   .order_by(Circle.number)))
    in_round = and_(Circle.round_id == rnd.id, Circle.workspace_id == ws)

    def per_circle(stmt):  # type: ignore[no-untyped-def]
        return {row[0]: row[1:] for row in session.execute(stmt).all()}

    members = per_circle(select(Membership.circle_id, func.count()).join(Circle)
                         .where(in_round, Membership.active.is_(True)).group_by(Membership.circle_id))
    posts = per_circle(select(PromptPost.circle_id, func.count(), func.min(PromptPost.posted_at))
                       .join(Circle, Circle.id == PromptPost.circle_id)
                       .where(in_round).group_by(PromptPost.circle_id))
    responses = per_circle(select(PromptPost.circle_id, func.count(Response.id), func.max(Response.created_at))
                           .join(Response, Response.prompt_post_id == PromptPost.id)
                           .join(Circle, Circle.id == PromptPost.circle_id)
                           .where(in_round).group_by(PromptPost.circle_id))
    met_cycles = per_circle(select(CheckIn.circle_id, func.count(func.distinct(CheckIn.cycle))).join(Circle)
                            .where(in_round, CheckIn.status == "met").group_by(CheckIn.circle_id))
    checkin_cycles = per_circle(select(CheckIn.circle_id, func.count(func.distinct(CheckIn.cycle)),
                                       func.max(CheckIn.created_at)).join(Circle)
                                .where(in_round).group_by(CheckIn.circle_id))
    pulse_rows = session.execute(
        select(Pulse.circle_id, Pulse.cycle, func.avg(Pulse.rating), func.max(Pulse.created_at)).join(Circle)
        .where(in_round).group_by(Pulse.circle_id, Pulse.cycle).order_by(Pulse.circle_id, Pulse.cycle)
    ).all()
    pulses: dict[int, list[tuple[int, float, dt.datetime]]] = {}
    for cid, cycle, avg, last in pulse_rows:
        pulses.setdefault(cid, []).append((cycle, float(avg), last))
    all_pulse = per_circle(select(Pulse.circle_id, func.avg(Pulse.rating)).join(Circle).where(in_round)
                           .group_by(Pulse.circle_id))

    out = []
    for c in circles:
        n = members.get(c.id, (0,))[0]
        p, first_post = posts.get(c.id, (0, None))
        r_count, r_last = responses.get(c.id, (0, None))
        answer_rate = (r_count / (n * p)) if n and p else None
        ck_cycles, ck_last = checkin_cycles.get(c.id, (0, None))
        meeting_rate = (met_cycles.get(c.id, (0,))[0] / ck_cycles) if ck_cycles else None
        series = pulses.get(c.id, [])
        pulse_avg = float(all_pulse[c.id][0]) if c.id in all_pulse else None
        trend = series[-1][1] - series[-2][1] if len(series) >= 2 else None
        stamps = [_aware(t) for t in (r_last, ck_last, series[-1][2] if series else None) if t is not None]
        last = max(stamps) if stamps else None
        risks = []
        if answer_rate is not None and p >= 2 and answer_rate < LOW_ANSWER_RATE:
            risks.append(f"only {answer_rate:.0%} of prompts answered")
        if meeting_rate is not None and ck_cycles >= 2 and meeting_rate < LOW_MEETING_RATE:
            risks.append(f"met in only {meeting_rate:.0%} of weeks")
        if pulse_avg is not None and pulse_avg < LOW_PULSE:
            risks.append(f"pulse is low ({pulse_avg:.1f}/5)")
        if trend is not None and trend <= FALLING_PULSE:
            risks.append(f"pulse fell by {-trend:.1f} last week")
        since = last or _aware(first_post)
        if p >= 1 and since is not None and now - since > dt.timedelta(days=QUIET_DAYS):
            risks.append(f"no activity for {QUIET_DAYS}+ days")
        if n < 2:
            risks.append("fewer than 2 active members")
        out.append(CircleHealth(c.id, c.number, c.name, c.kind, n, p, answer_rate, meeting_rate,
                                pulse_avg, trend, last, risks))
    return ProgramHealth(program, rnd.number, out, len(rnd.waitlist or {}), members_to_rematch(session, rnd))


def members_to_rematch(session: Session, rnd: Round) -> list[tuple[int, str]]:
    """Members whose experience says the circle isn't working for them: two low pulses
    (≤ 2), or silent on the last two prompts while the circle posted them."""
    out: dict[int, str] = {}
    low = session.execute(
        select(Pulse.member_id, func.count()).join(Circle).where(Circle.round_id == rnd.id, Pulse.rating <= 2)
        .group_by(Pulse.member_id)
    ).all()
    for mid, count in low:
        if count >= 2:
            out[mid] = f"rated their circle 2 or lower {count} times"
    rows = session.execute(
        select(Membership.member_id, Membership.circle_id).join(Circle)
        .where(Circle.round_id == rnd.id, Membership.active.is_(True))
    ).all()
    last_posts: dict[int, list[int]] = {}
    for cid, pid in session.execute(
        select(PromptPost.circle_id, PromptPost.id).join(Circle, Circle.id == PromptPost.circle_id)
        .where(Circle.round_id == rnd.id).order_by(PromptPost.circle_id, PromptPost.cycle.desc())
    ).all():
        last_posts.setdefault(cid, []).append(pid)
    answered = set(session.execute(
        select(Response.member_id, Response.prompt_post_id).join(PromptPost).join(Circle, Circle.id == PromptPost.circle_id)
        .where(Circle.round_id == rnd.id)
    ).all())
    for mid, cid in rows:
        recent = last_posts.get(cid, [])[:2]
        if len(recent) == 2 and not any((mid, pid) in answered for pid in recent) and mid not in out:
            out[mid] = "hasn't answered the last two prompts"
    return sorted(out.items())
