"""Program health from maintained tallies (``circles.health.tallies``) in one grouped
statement: each table of the round is read once, never once per circle, and never the raw
answers, pulses and check-ins (about 1,000,000 rows at 10,000 circles). Times are compared
with the bot's clock (``now``), never the database's, so a console `/clock` jump reads right.
A cycle is the k-th prompt of the round (weekly or biweekly), so "the last two cycles" is
"the last two prompts" for either cadence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, Select, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from circles.health import rules
from circles.health.facts import CircleHealth, HealthSummary, ProgramHealth, RematchCandidate
from circles.health.privacy import threshold
from circles.model import Circle, CircleWeek, Goal, Member, Membership, Program, PromptPost, Round

REMATCH_LISTED = 25  # members to rematch named in the facts; ``rematch_total`` counts them all
CIRCLES_LISTED = 15  # circles a big program's health lists (its first at risk, or one page of all)


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


def _rows(session: Session, rnd: Round, n: int, only: int | None = None) -> Select[Any] | None:
    """One row per circle of ``rnd`` (or circle id ``only``) with the sums behind every measure:
    each measure is one grouped pass over its table (prompt posts; active memberships, with who
    is silent; the tallies, with the first and latest week that had enough pulses packed into
    integers so no window or second pass is needed; goals), joined to the circles. A round's
    circles are created together, so their ids form a narrow range: each pass reads that range
    of its table instead of joining every row to ``circles``. None when there is no circle."""
    ws = rnd.workspace_id
    scope = and_(Circle.round_id == rnd.id, Circle.workspace_id == ws)
    if only is not None:
        scope = and_(scope, Circle.id == only)
    lo_id, hi_id = session.execute(select(func.min(Circle.id), func.max(Circle.id)).where(scope)).one()
    if lo_id is None:
        return None

    def in_range(col: Any) -> Any:
        return col.between(lo_id, hi_id)

    posts = (select(PromptPost.circle_id, func.count().label("posts"), func.max(PromptPost.cycle).label("latest"),
                    func.min(PromptPost.posted_at).label("first_post"))
             .where(PromptPost.workspace_id == ws, in_range(PromptPost.circle_id))
             .group_by(PromptPost.circle_id).cte("posts"))
    silent_case = case((and_(posts.c.posts >= rules.SILENT_PROMPTS,
                             or_(Membership.last_answer_cycle.is_(None),
                                 Membership.last_answer_cycle <= posts.c.latest - rules.SILENT_PROMPTS)), 1),
                       else_=0)
    per_member_goals = (select(Goal.member_id, func.count().label("set"),
                               func.sum(case((Goal.done.is_(True), 1), else_=0)).label("met"))
                        .where(Goal.workspace_id == ws).group_by(Goal.member_id).subquery("pg"))
    members = (select(Membership.circle_id, func.count().label("members"), func.sum(silent_case).label("silent"),
                      func.sum(per_member_goals.c.set).label("goals_set"),
                      func.sum(per_member_goals.c.met).label("goals_met"))
               .outerjoin(posts, posts.c.circle_id == Membership.circle_id)
               .outerjoin(per_member_goals, per_member_goals.c.member_id == Membership.member_id)
               .where(Membership.workspace_id == ws, in_range(Membership.circle_id), Membership.active.is_(True))
               .group_by(Membership.circle_id).subquery("m"))
    W = CircleWeek
    shown = W.pulses >= n
    packed = W.cycle * PACK + W.pulse_sum * 1000 + W.pulses
    weeks = (select(W.circle_id, func.sum(W.answers).label("answers"),
                    func.sum(case((W.checkins > 0, 1), else_=0)).label("ck_weeks"),
                    func.sum(case((W.met > 0, 1), else_=0)).label("met_weeks"),
                    func.sum(W.pulses).label("pulses"), func.max(W.last_activity_at).label("last"),
                    func.sum(case((shown, W.pulse_sum), else_=0)).label("shown_sum"),
                    func.sum(case((shown, W.pulses), else_=0)).label("shown_count"),
                    func.sum(case((shown, 1), else_=0)).label("shown_weeks"),
                    func.min(case((shown, packed))).label("first"), func.max(case((shown, packed))).label("latest"))
             .where(W.workspace_id == ws, in_range(W.circle_id)).group_by(W.circle_id).subquery("w"))
    return (select(Circle.id, Circle.number, Circle.name, Circle.kind, posts.c.posts, posts.c.first_post,
                   members.c.members, members.c.silent, weeks.c.answers, weeks.c.ck_weeks, weeks.c.met_weeks,
                   weeks.c.pulses, weeks.c.last, weeks.c.shown_sum, weeks.c.shown_count, weeks.c.shown_weeks,
                   weeks.c.first, weeks.c.latest, members.c.goals_set, members.c.goals_met)
            .outerjoin(posts, posts.c.circle_id == Circle.id).outerjoin(members, members.c.circle_id == Circle.id)
            .outerjoin(weeks, weeks.c.circle_id == Circle.id).where(scope))


def _health(row: Any, ended: bool, now: dt.datetime, cadence_weeks: int) -> CircleHealth:
    (cid, number, name, kind, p, first_post, size, n_silent, answers, ck_weeks, met_weeks, pulse_count, last,
     total, count, shown_weeks, lo, hi, g_set, g_met) = row
    p, size, n_silent, ck_weeks, count = int(p or 0), int(size or 0), int(n_silent or 0), int(ck_weeks or 0), \
        int(count or 0)
    answer_rate = (int(answers or 0) / (size * p)) if size and p else None
    meeting_rate = (int(met_weeks or 0) / ck_weeks) if ck_weeks else None
    pulse_avg = int(total) / count if count else None
    first, latest = _unpack(lo), _unpack(hi)
    trend = latest - first if first is not None and latest is not None and lo != hi else None
    last = _aware(last)
    risks = [] if ended else rules.risks(
        members=size, prompts=p, answer_rate=answer_rate, checkin_weeks=ck_weeks,
        meeting_rate=meeting_rate, pulse_avg=pulse_avg, pulse_first=first, pulse_last=latest,
        shown_weeks=int(shown_weeks or 0), silent=n_silent, since=last or _aware(first_post), now=now,
        cadence_weeks=cadence_weeks)
    return CircleHealth(cid, number, name, kind, size, p, answer_rate, meeting_rate, pulse_avg, trend,
                        last, risks, first, latest, n_silent, int(g_set or 0), int(g_met or 0),
                        bool(pulse_count) and not count)


def circles_health(session: Session, rnd: Round, now: dt.datetime, n: int, cadence_weeks: int,
                   only: int | None = None) -> list[CircleHealth]:
    """Health of every circle of ``rnd`` (or of circle id ``only``), by number."""
    rows = _rows(session, rnd, n, only)
    if rows is None:
        return []
    ended = rnd.status == "ended"
    return [_health(row, ended, now, cadence_weeks) for row in session.execute(rows.order_by(Circle.number))]


def _measures(pc: Any, now: dt.datetime) -> dict[str, Any]:
    """A circle's measures as SQL over its row of sums (``_rows`` as a subquery), computed as
    ``_health`` computes them in Python: rates, pulse, first and latest shown pulse, trend,
    and whether the rules flag it."""
    c = pc.c

    def num(x: Any) -> Any:
        return func.coalesce(x, 0)

    def real(x: Any) -> Any:
        return cast(x, Float)

    size, p, ck, count = num(c.members), num(c.posts), num(c.ck_weeks), num(c.shown_count)

    def unpack(packed: Any) -> Any:
        rest = packed % PACK
        return real(rest // 1000) / (rest % 1000)

    answer_rate = case((and_(size > 0, p > 0), real(num(c.answers)) / (size * p)))
    meeting_rate = case((ck > 0, real(num(c.met_weeks)) / ck))
    pulse_avg = case((count > 0, real(c.shown_sum) / count))
    first, latest = unpack(c.first), unpack(c.latest)
    has_trend = and_(c.first.is_not(None), c.latest.is_not(None), c.first != c.latest)
    since = func.coalesce(c.last, c.first_post)
    risky = rules.at_risk_clause(
        members=size, prompts=p, answer_rate=answer_rate, checkin_weeks=ck, meeting_rate=meeting_rate,
        pulse_avg=pulse_avg, pulse_first=first, pulse_last=latest, shown_weeks=num(c.shown_weeks),
        silent=num(c.silent), since=since, now=now)
    return {"size": size, "prompts": p, "answer_rate": answer_rate, "meeting_rate": meeting_rate,
            "pulse_avg": pulse_avg, "first": first, "latest": latest, "has_trend": has_trend,
            "trend": case((has_trend, latest - first)), "risky": risky}


def _summary(session: Session, rows: Select[Any], now: dt.datetime, ended: bool) -> HealthSummary:
    """The whole round in one row of aggregates over the per-circle sums: what the summary line
    needs, and how many circles are at risk, without a row per circle leaving the database."""
    pc = rows.subquery("pc")
    m = _measures(pc, now)
    risky = 0 if ended else func.sum(case((m["risky"], 1), else_=0))
    row = session.execute(select(
        func.count(), func.sum(m["size"]), func.sum(m["prompts"]), func.avg(m["answer_rate"]),
        func.avg(m["meeting_rate"]), func.avg(m["pulse_avg"]), func.avg(m["trend"]),
        func.avg(case((m["has_trend"], m["first"]))), func.avg(case((m["has_trend"], m["latest"]))),
        func.count(case((m["has_trend"], 1))), func.max(pc.c.last), func.sum(func.coalesce(pc.c.silent, 0)),
        func.sum(func.coalesce(pc.c.goals_set, 0)), func.sum(func.coalesce(pc.c.goals_met, 0)), risky,
    )).one()
    (circles, members, prompts, answer_rate, meeting_rate, pulse_avg, trend, span_from, span_to, spans, last,
     silent, goals_set, goals_met, at_risk) = row

    def opt(x: Any) -> float | None:
        return None if x is None else float(x)

    return HealthSummary(
        circles=int(circles or 0), members=int(members or 0), prompts=int(prompts or 0),
        overall={"answer_rate": opt(answer_rate), "meeting_rate": opt(meeting_rate), "pulse_avg": opt(pulse_avg),
                 "pulse_trend": opt(trend)},
        pulse_from_to=(float(span_from), float(span_to)) if spans else None,
        last_activity=_aware(_as_datetime(last)), silent=int(silent or 0), goals_set=int(goals_set or 0),
        goals_met=int(goals_met or 0), at_risk=int(at_risk or 0))


def _as_datetime(value: Any) -> dt.datetime | None:
    """SQLite hands back an aggregate of a timestamp as its stored text."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def members_to_rematch(session: Session, rnd: Round, limit: int = REMATCH_LISTED) -> list[RematchCandidate]:
    """Members who answered none of their circle's prompts of its last two cycles, by circle
    number then member id: the first ``limit``. Chosen by participation only, never by
    pulse. One statement over the round's posts and memberships."""
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
                   min_respondents: int | None = None, *, page: int | None = None,
                   per_page: int = CIRCLES_LISTED) -> ProgramHealth:
    """Health of the program's latest published round. ``min_respondents`` is the pulse
    threshold (see ``privacy.pulse_shown``; default 3, never below 2).

    The summary and the count of circles at risk are aggregates in the database. ``circles``
    holds every circle of a program of at most ``per_page`` circles; of a bigger one, the
    first ``per_page`` circles at risk (by number), or with ``page`` that page of all its
    circles by number: the cost follows what is shown, not the size of the program."""
    n = threshold(min_respondents)
    cadence_weeks = 2 if program.cadence == "biweekly" else 1
    rnd = latest_round(session, program)
    if rnd is None:
        return ProgramHealth(program.id, program.name, None, [], 0, [], status="", min_respondents=n,
                             cadence_weeks=cadence_weeks)
    ended = rnd.status == "ended"
    rows = _rows(session, rnd, n)
    summary = _summary(session, rows, now, ended) if rows is not None else HealthSummary()
    circles: list[CircleHealth] = []
    shown_page = None
    if rows is not None:
        if page is not None:
            pages = max(1, -(-summary.circles // per_page))
            shown_page = min(max(page, 1), pages)
            listed = rows.order_by(Circle.number).offset((shown_page - 1) * per_page).limit(per_page)
        elif summary.circles <= per_page:
            listed = rows.order_by(Circle.number)
        elif ended or not summary.at_risk:
            listed = None
        else:
            pc = rows.subquery("pc")
            ids = select(pc.c.id).where(_measures(pc, now)["risky"]).order_by(pc.c.number).limit(per_page)
            listed = rows.where(Circle.id.in_(ids)).order_by(Circle.number)
        if listed is not None:
            circles = [_health(row, ended, now, cadence_weeks) for row in session.execute(listed)]
    total_silent = 0 if ended else summary.silent
    rematch = members_to_rematch(session, rnd) if total_silent else []
    return ProgramHealth(program.id, program.name, rnd.number, circles, len(rnd.waitlist or {}), rematch,
                         status="ended" if ended else "active", rematch_total=total_silent,
                         goals_set=summary.goals_set, goals_met=summary.goals_met,
                         min_respondents=n, cadence_weeks=cadence_weeks, summary=summary, page=shown_page)

