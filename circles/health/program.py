"""Program health from maintained tallies and a few grouped queries (one per measure, never
one per circle), so `/circle health` of 10,000 circles and 1,000,000 answers stays well
under half a second. Times are compared with the bot's clock (``now``), never the
database's, so a console `/clock` jump reads right."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from circles.health import rules
from circles.health.facts import CircleHealth, ProgramHealth, RematchCandidate
from circles.health.privacy import threshold
from circles.model import Circle, CircleWeek, Goal, Member, Membership, Program, PromptPost, Round

REMATCH_LISTED = 25  # members to rematch named in the facts; ``rematch_total`` counts them all


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t


def latest_round(session: Session, program: Program) -> Round | None:
    """The program's newest published round (active or ended), or None."""
    return session.scalar(
        select(Round).where(Round.workspace_id == program.workspace_id, Round.program_id == program.id,
                            Round.status != "draft").order_by(Round.number.desc()).limit(1))


def is_silent(last_answer_cycle: int | None, latest_cycle: int | None, prompts: int) -> bool:
    """Answered none of the circle's prompts of its last two cycles (once it has had two)."""
    if latest_cycle is None or prompts < rules.SILENT_PROMPTS:
        return False
    return last_answer_cycle is None or last_answer_cycle <= latest_cycle - rules.SILENT_PROMPTS


PACK = 1_000_000  # a shown week packed into one integer: cycle * PACK + pulse_sum * 1000 + pulses


def _unpack(packed: int | None) -> float | None:
    if packed is None:
        return None
    rest = int(packed) % PACK
    return (rest // 1000) / (rest % 1000)


def circles_health(session: Session, rnd: Round, now: dt.datetime, n: int, cadence_weeks: int,
                   only: int | None = None) -> list[CircleHealth]:
    """Health of every circle of ``rnd`` (or of circle id ``only``) in five grouped reads,
    each a single pass: the circles, their prompt counts (an index-only scan), their active
    memberships grouped by last answered cycle, their tallies (one conditional aggregate,
    the first and latest week with enough pulses packed into integers so no window or
    second pass is needed), and their members' goals."""
    ws = rnd.workspace_id
    scope = and_(Circle.round_id == rnd.id, Circle.workspace_id == ws)
    if only is not None:
        scope = and_(scope, Circle.id == only)
    ids = select(Circle.id).where(scope)

    def per_circle(stmt: Any) -> dict[int, tuple[Any, ...]]:
        return {row[0]: tuple(row[1:]) for row in session.execute(stmt).all()}

    circles = session.execute(select(Circle.id, Circle.number, Circle.name, Circle.kind).where(scope)
                              .order_by(Circle.number)).all()
    posts = per_circle(select(PromptPost.circle_id, func.count(), func.max(PromptPost.cycle))
                       .where(PromptPost.circle_id.in_(ids)).group_by(PromptPost.circle_id))
    members: dict[int, list[tuple[int | None, int]]] = {}
    for cid, last, count in session.execute(
            select(Membership.circle_id, Membership.last_answer_cycle, func.count())
            .where(Membership.workspace_id == ws, Membership.circle_id.in_(ids), Membership.active.is_(True))
            .group_by(Membership.circle_id, Membership.last_answer_cycle)).all():
        members.setdefault(cid, []).append((last, int(count)))
    W = CircleWeek
    shown = W.pulses >= n
    packed = W.cycle * PACK + W.pulse_sum * 1000 + W.pulses
    weeks = per_circle(select(W.circle_id, func.sum(W.answers), func.sum(case((W.checkins > 0, 1), else_=0)),
                              func.sum(case((W.met > 0, 1), else_=0)), func.sum(W.pulses),
                              func.max(W.last_activity_at), func.sum(case((shown, W.pulse_sum), else_=0)),
                              func.sum(case((shown, W.pulses), else_=0)), func.sum(case((shown, 1), else_=0)),
                              func.min(case((shown, packed))), func.max(case((shown, packed))))
                       .where(W.workspace_id == ws, W.circle_id.in_(ids)).group_by(W.circle_id))
    goals = per_circle(select(Membership.circle_id, func.count(Goal.id),
                              func.sum(case((Goal.done.is_(True), 1), else_=0)))
                       .join(Goal, and_(Goal.member_id == Membership.member_id, Goal.workspace_id == ws))
                       .where(Membership.workspace_id == ws, Membership.circle_id.in_(ids),
                              Membership.active.is_(True)).group_by(Membership.circle_id))
    quiet_from = {}
    idle = [cid for cid, *_ in circles if cid in posts and cid not in weeks]
    if idle and rnd.status != "ended":  # circles with prompts and no activity at all: quiet since the first
        quiet_from = per_circle(select(PromptPost.circle_id, func.min(PromptPost.posted_at))
                                .where(PromptPost.workspace_id == ws, PromptPost.circle_id.in_(idle))
                                .group_by(PromptPost.circle_id))
    ended = rnd.status == "ended"
    out = []
    for cid, number, name, kind in circles:
        p, latest_cycle = posts.get(cid, (0, None))
        groups = members.get(cid, [])
        size = sum(count for _, count in groups)
        n_silent = sum(count for last, count in groups if is_silent(last, latest_cycle, p))
        answers, ck_weeks, met_weeks, pulse_count, last, total, count, shown_weeks, lo, hi = weeks.get(
            cid, (0, 0, 0, 0, None, 0, 0, 0, None, None))
        answer_rate = (int(answers or 0) / (size * p)) if size and p else None
        meeting_rate = (int(met_weeks) / int(ck_weeks)) if ck_weeks else None
        pulse_avg = int(total) / int(count) if count else None
        first, latest = _unpack(lo), _unpack(hi)
        trend = latest - first if first is not None and latest is not None and lo != hi else None
        last = _aware(last)
        quiet_since = last or _aware(quiet_from.get(cid, (None,))[0])
        g_set, g_met = goals.get(cid, (0, 0))
        risks = [] if ended else rules.risks(
            members=size, prompts=p, answer_rate=answer_rate, checkin_weeks=int(ck_weeks),
            meeting_rate=meeting_rate, pulse_avg=pulse_avg, pulse_first=first, pulse_last=latest,
            shown_weeks=int(shown_weeks or 0), silent=n_silent, since=quiet_since, now=now,
            cadence_weeks=cadence_weeks)
        out.append(CircleHealth(cid, number, name, kind, size, p, answer_rate, meeting_rate, pulse_avg, trend,
                                last, risks, first, latest, n_silent, int(g_set), int(g_met or 0),
                                bool(pulse_count) and not count))
    return out


def members_to_rematch(session: Session, rnd: Round, limit: int = REMATCH_LISTED) -> list[RematchCandidate]:
    """Members who answered none of their circle's prompts of its last two cycles, by circle
    number then member id: the first ``limit``. Chosen by participation only, never by pulse."""
    ws = rnd.workspace_id
    scope = and_(Circle.round_id == rnd.id, Circle.workspace_id == ws)
    latest = (select(PromptPost.circle_id, func.count().label("posts"), func.max(PromptPost.cycle).label("latest"))
              .join(Circle, Circle.id == PromptPost.circle_id).where(scope)
              .group_by(PromptPost.circle_id).subquery())
    rows = session.execute(
        select(Membership.member_id, Member.display_name, Circle.number)
        .join(latest, latest.c.circle_id == Membership.circle_id)
        .join(Circle, Circle.id == Membership.circle_id).join(Member, Member.id == Membership.member_id)
        .where(scope, Membership.workspace_id == ws, Membership.active.is_(True),
               latest.c.posts >= rules.SILENT_PROMPTS,
               or_(Membership.last_answer_cycle.is_(None),
                   Membership.last_answer_cycle <= latest.c.latest - rules.SILENT_PROMPTS))
        .order_by(Circle.number, Membership.member_id).limit(limit)).all()
    return [RematchCandidate(mid, name, "silent", rules.SILENT_PROMPTS, number) for mid, name, number in rows]


def program_health(session: Session, program: Program, now: dt.datetime,
                   min_respondents: int | None = None) -> ProgramHealth:
    """Health of the program's latest published round. ``min_respondents`` is the pulse
    threshold (see ``privacy.pulse_shown``; default 3, never below 2)."""
    n = threshold(min_respondents)
    cadence_weeks = 2 if program.cadence == "biweekly" else 1
    rnd = latest_round(session, program)
    if rnd is None:
        return ProgramHealth(program.id, program.name, None, [], 0, [], status="", min_respondents=n,
                             cadence_weeks=cadence_weeks)
    circles = circles_health(session, rnd, now, n, cadence_weeks)
    ended = rnd.status == "ended"
    total_silent = 0 if ended else sum(c.silent for c in circles)
    rematch = members_to_rematch(session, rnd) if total_silent else []
    return ProgramHealth(program.id, program.name, rnd.number, circles, len(rnd.waitlist or {}), rematch,
                         status="ended" if ended else "active", rematch_total=total_silent,
                         goals_set=sum(c.goals_set for c in circles), goals_met=sum(c.goals_met for c in circles),
                         min_respondents=n, cadence_weeks=cadence_weeks)
