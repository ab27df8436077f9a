"""Circle and program health, from SQL aggregates (one query per measure, not per circle),
so a coordinator's `/circle health` stays fast with thousands of circles.

At-risk rules are deliberately simple so they can be explained in words: a coordinator has to
trust a flag before acting on it. The engine returns the facts (which rule fired, with the
number behind it); the bot's presenters own the words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from circles.model import (
    CheckIn,
    Circle,
    Member,
    Membership,
    Program,
    PromptPost,
    Pulse,
    Response,
    Round,
)

LOW_ANSWER_RATE = 0.3
LOW_MEETING_RATE = 0.5
LOW_PULSE = 2.5
FALLING_PULSE = -1.0
QUIET_DAYS = 14
MIN_ACTIVE_MEMBERS = 2
LOW_RATING = 2  # a pulse at or below this counts against the circle for the member
LOW_RATINGS_TO_REMATCH = 2
SILENT_PROMPTS_TO_REMATCH = 2

RiskKind = Literal["low_answers", "low_meetings", "low_pulse", "falling_pulse", "quiet", "too_few"]
RematchReason = Literal["low_pulse", "silent"]


@dataclass(frozen=True)
class Risk:
    """Why a circle is flagged, with the number a coordinator needs to judge it.

    ``value`` per kind: ``low_answers`` / ``low_meetings`` the rate (0..1), ``low_pulse`` the
    average pulse, ``falling_pulse`` how far it fell (positive), ``quiet`` the days of silence
    that trigger the flag, ``too_few`` the minimum number of active members.
    """

    kind: RiskKind
    value: float | int | None = None

    @classmethod
    def from_data(cls, data: dict) -> Risk:  # type: ignore[type-arg]
        return cls(data["kind"], data.get("value"))


@dataclass(frozen=True)
class RematchCandidate:
    """A member whose experience says the circle isn't working for them. ``count`` is the
    number of low pulses (``low_pulse``) or of unanswered recent prompts (``silent``)."""

    member_id: int
    display_name: str
    reason: RematchReason
    count: int


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
    risks: list[Risk] = field(default_factory=list)


@dataclass
class ProgramHealth:
    """One program's latest published round; ``round_number`` is None before the first."""

    program_id: int
    program_name: str
    round_number: int | None
    circles: list[CircleHealth]
    waitlist: int
    rematch: list[RematchCandidate]

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


def _risks(answer_rate: float | None, prompts: int, meeting_rate: float | None, checkin_cycles: int,
           pulse_avg: float | None, trend: float | None, quiet: bool, members: int) -> list[Risk]:
    risks: list[Risk] = []
    if answer_rate is not None and prompts >= 2 and answer_rate < LOW_ANSWER_RATE:
        risks.append(Risk("low_answers", answer_rate))
    if meeting_rate is not None and checkin_cycles >= 2 and meeting_rate < LOW_MEETING_RATE:
        risks.append(Risk("low_meetings", meeting_rate))
    if pulse_avg is not None and pulse_avg < LOW_PULSE:
        risks.append(Risk("low_pulse", pulse_avg))
    if trend is not None and trend <= FALLING_PULSE:
        risks.append(Risk("falling_pulse", -trend))
    if quiet:
        risks.append(Risk("quiet", QUIET_DAYS))
    if members < MIN_ACTIVE_MEMBERS:
        risks.append(Risk("too_few", MIN_ACTIVE_MEMBERS))
    return risks


def program_health(session: Session, program: Program, now: dt.datetime) -> ProgramHealth:
    """Every measure is one grouped query over the program's latest published round (seven
    in all, however many circles); only the per-circle results come back to Python."""
    ws = program.workspace_id
    rnd = session.scalar(
        select(Round).where(Round.workspace_id == ws, Round.program_id == program.id, Round.status != "draft")
        .order_by(Round.number.desc()).limit(1)
    )
    if rnd is None:
        return ProgramHealth(program.id, program.name, None, [], 0, [])
    circles = session.execute(select(Circle.id, Circle.number, Circle.name, Circle.kind)
                              .where(Circle.workspace_id == ws, Circle.round_id == rnd.id)
                              .order_by(Circle.number)).all()
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
                           .where(in_round, Response.workspace_id == ws).group_by(PromptPost.circle_id))
    checkins = per_circle(select(CheckIn.circle_id, func.count(func.distinct(CheckIn.cycle)),
                                 func.count(func.distinct(case((CheckIn.status == "met", CheckIn.cycle)))),
                                 func.max(CheckIn.created_at)).join(Circle)
                          .where(in_round).group_by(CheckIn.circle_id))
    pulse_rows = session.execute(
        select(Pulse.circle_id, Pulse.cycle, func.sum(Pulse.rating), func.count(), func.max(Pulse.created_at))
        .join(Circle).where(in_round).group_by(Pulse.circle_id, Pulse.cycle).order_by(Pulse.circle_id, Pulse.cycle)
    ).all()
    pulses: dict[int, list[tuple[float, int, int, dt.datetime]]] = {}
    for cid, _cycle, total, count, last in pulse_rows:
        pulses.setdefault(cid, []).append((total / count, int(total), count, last))

    out = []
    for cid, number, name, kind in circles:
        n = members.get(cid, (0,))[0]
        p, first_post = posts.get(cid, (0, None))
        r_count, r_last = responses.get(cid, (0, None))
        answer_rate = (r_count / (n * p)) if n and p else None
        ck_cycles, met_cycles, ck_last = checkins.get(cid, (0, 0, None))
        meeting_rate = (met_cycles / ck_cycles) if ck_cycles else None
        series = pulses.get(cid, [])
        pulse_avg = sum(s[1] for s in series) / sum(s[2] for s in series) if series else None
        trend = series[-1][0] - series[-2][0] if len(series) >= 2 else None
        stamps = [_aware(t) for t in (r_last, ck_last, series[-1][3] if series else None) if t is not None]
        last = max(stamps) if stamps else None
        since = last or _aware(first_post)
        quiet = p >= 1 and since is not None and now - since > dt.timedelta(days=QUIET_DAYS)
        risks = _risks(answer_rate, p, meeting_rate, ck_cycles, pulse_avg, trend, quiet, n)
        out.append(CircleHealth(cid, number, name, kind, n, p, answer_rate, meeting_rate,
                                pulse_avg, trend, last, risks))
    return ProgramHealth(program.id, program.name, rnd.number, out, len(rnd.waitlist or {}),
                         members_to_rematch(session, rnd))


def members_to_rematch(session: Session, rnd: Round) -> list[RematchCandidate]:
    """Members whose experience says the circle isn't working for them: two low pulses
    (≤ 2), or silent on the last two prompts while the circle posted them. Sorted by member
    id; a member with low pulses is listed for those, not also for silence.

    Both rules are answered by the database (a grouped count, and a window over each
    circle's prompts, outer-joined to the answers to them), so only the members flagged come back."""
    ws = rnd.workspace_id
    in_round = and_(Circle.round_id == rnd.id, Circle.workspace_id == ws)
    out: dict[int, RematchCandidate] = {}
    low = session.execute(
        select(Pulse.member_id, Member.display_name, func.count())
        .join(Circle, Circle.id == Pulse.circle_id).join(Member, Member.id == Pulse.member_id)
        .where(in_round, Pulse.rating <= LOW_RATING)
        .group_by(Pulse.member_id, Member.display_name)
        .having(func.count() >= LOW_RATINGS_TO_REMATCH)
    ).all()
    for mid, name, count in low:
        out[mid] = RematchCandidate(mid, name, "low_pulse", count)
    ranked = (select(PromptPost.id, PromptPost.circle_id,
                     func.row_number().over(partition_by=PromptPost.circle_id,
                                            order_by=PromptPost.cycle.desc()).label("rn"))
              .join(Circle, Circle.id == PromptPost.circle_id).where(in_round, PromptPost.workspace_id == ws)
              .subquery())
    recent = select(ranked.c.id, ranked.c.circle_id).where(ranked.c.rn <= SILENT_PROMPTS_TO_REMATCH).cte("recent")
    full = (select(recent.c.circle_id).group_by(recent.c.circle_id)
            .having(func.count() == SILENT_PROMPTS_TO_REMATCH).subquery())
    answered = (select(Response.member_id, recent.c.circle_id)
                .join(recent, recent.c.id == Response.prompt_post_id).distinct().subquery())
    silent = session.execute(
        select(Membership.member_id, Member.display_name)
        .join(full, full.c.circle_id == Membership.circle_id).join(Member, Member.id == Membership.member_id)
        .outerjoin(answered, and_(answered.c.member_id == Membership.member_id,
                                  answered.c.circle_id == Membership.circle_id))
        .where(Membership.workspace_id == ws, Membership.active.is_(True), answered.c.member_id.is_(None))
    ).all()
    for mid, name in silent:
        if mid not in out:
            out[mid] = RematchCandidate(mid, name, "silent", SILENT_PROMPTS_TO_REMATCH)
    return [out[mid] for mid in sorted(out)]
