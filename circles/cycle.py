"""What is due at a given moment: prompts, nudges, check-ins, digests and round ends.

This module never looks at the wall clock: the scheduler passes ``now``. Every occurrence is
guarded by a ``job_runs`` row (unique per workspace and key) written in the same transaction
as the outbox rows it causes, so a restarted or second scheduler can never run it twice.
Only the *latest* missed occurrence of each kind is considered, which is what makes catching
up after downtime coalesce into one run instead of replaying every missed week.

Everything the cycle wants said is a typed notice (`circles.notices`); the bot words it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import String, and_, cast, exists, insert, literal, select
from sqlalchemy.orm import Session, sessionmaker

from circles import clock, notices, rules
from circles.evaluation.privacy_threshold import min_respondents
from circles.evaluation.series import ProgramSeries, program_series
from circles.health import ProgramHealth, program_health
from circles.model import (
    Circle,
    JobRun,
    Member,
    Membership,
    OutboxMessage,
    Profile,
    Program,
    PromptPost,
    Response,
    Round,
    Workspace,
)
from circles.occurrences import CHUNK, claim, done_keys, once, set_based
from circles.outbox import enqueue_for_coordinators, enqueue_many
from circles.timing import Timing, round_timing
from circles.usecases import rounds, weekly

MEMBER_LOCAL = "member-local"
UTC = dt.UTC


class CycleSettings(Protocol):
    """What the cycle needs from the scheduling configuration. ``bot.config.SchedulingConfig``
    satisfies it as it is; the engine only names the attributes it reads."""

    nudge_after_hours: int
    quiet_hours_start: int
    quiet_hours_end: int
    prompt_grace_hours: int
    checkin_lead_hours: int
    member_local_default_timezone: str
    digest_day: str
    digest_time: str
    digest_timezone: str


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """A bad timezone in a profile must not stop the whole sweep: fall back to the default."""
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def majority_timezone(timezones: Iterable[str | None], default: str = "UTC") -> str:
    """The timezone most members share; ties go to the alphabetically first so the choice
    is stable between sweeps."""
    counts = Counter(tz for tz in timezones if tz)
    if not counts:
        return default
    best = max(counts.values())
    return min(tz for tz, n in counts.items() if n == best)


def _local_time(t: Timing) -> dt.time:
    return rules.parse_hhmm(t.time or "10:00")


@dataclass(frozen=True)
class Schedule:
    """The moments of one circle's round, all in UTC."""

    prompts: tuple[dt.datetime, ...]  # prompts[k - 1] is cycle k's prompt time
    round_end: dt.datetime
    checkin_lead: dt.timedelta

    def cycle_end(self, k: int) -> dt.datetime:
        return self.prompts[k] if k < len(self.prompts) else self.round_end

    def checkin_at(self, k: int) -> dt.datetime:
        start, end = self.prompts[k - 1], self.cycle_end(k)
        return end - min(self.checkin_lead, (end - start) / 2)

    def latest_cycle(self, now: dt.datetime) -> int:
        """The cycle whose prompt time has most recently passed (0 = none yet)."""
        return sum(1 for t in self.prompts if t <= now)

    def latest_checkin(self, now: dt.datetime) -> int:
        return max((k for k in range(1, len(self.prompts) + 1) if self.checkin_at(k) <= now), default=0)


def schedule(program: Program, rnd: Round, tz: ZoneInfo, cfg: CycleSettings) -> Schedule:
    """Cycle k's prompt is on the program's weekday at its local time, k-1 periods after the
    first such day on or after the round start. Local wall-clock arithmetic keeps 10:00 at
    10:00 across a DST change. The timing is the round's own (kept at publish)."""
    t = round_timing(program, rnd)
    period = 14 if t.cadence == "biweekly" else 7
    at = _local_time(t)
    wd = rules.weekday_index(t.day)
    first = rnd.starts_on + dt.timedelta(days=(wd - rnd.starts_on.weekday()) % 7)
    prompts: list[dt.datetime] = []
    day = first
    while day < rnd.ends_on:
        prompts.append(dt.datetime.combine(day, at, tzinfo=tz).astimezone(UTC))
        day += dt.timedelta(days=period)
    end = dt.datetime.combine(rnd.ends_on, at, tzinfo=tz).astimezone(UTC)
    return Schedule(tuple(prompts), end, dt.timedelta(hours=cfg.checkin_lead_hours))


# --- coordinators --------------------------------------------------------------------


def notify_coordinators(session: Session, workspace_id: int, key: str, notice: Any) -> int:
    """Tell every coordinator (in `coordinators` order: by name, then id) once per key."""
    return enqueue_for_coordinators(session, workspace_id, key, notices.to_payload(notice))


def end_round(session: Session, rnd: Round, program: Program, now: dt.datetime) -> None:
    """The engine archives spaces and asks for final goal check-ins; the scheduler adds the
    coordinators' cue that the next round can be formed."""
    rounds.end_round(session, rnd, now)
    notify_coordinators(session, rnd.workspace_id, f"round-ended:r{rnd.id}",
                        notices.RoundEnded(program.name, rnd.number, rnd.ends_on.isoformat()))


# --- the sweep ---------------------------------------------------------------------------


@dataclass
class _CircleInfo:
    circle: Circle
    tz: ZoneInfo
    members: list[tuple[Member, str]]  # (member, timezone name)


def _paused(member: Member, tz: ZoneInfo, now: dt.datetime) -> bool:
    return rules.is_paused(member.paused_until, now.astimezone(tz).date())


def _quiet(cfg: CycleSettings, tz: ZoneInfo, now: dt.datetime) -> bool:
    hour = now.astimezone(tz).hour
    return not (cfg.quiet_hours_end <= hour < cfg.quiet_hours_start)


def run_due(sessions: sessionmaker[Session], now: dt.datetime, cfg: CycleSettings) -> Counter[str]:
    """Do everything due at ``now`` for all active rounds of all active workspaces; returns
    counts by kind (prompt, prompt_skipped, nudge, checkin, round_end, digest)."""
    done: Counter[str] = Counter()
    with sessions(info=clock.info(now)) as session:
        rounds = session.execute(
            select(Round.id, Round.workspace_id)
            .join(Workspace, Workspace.id == Round.workspace_id)
            .where(Workspace.active.is_(True), Round.status == "active")
            .order_by(Round.id)
        ).all()
        workspaces = session.scalars(select(Workspace.id).where(Workspace.active.is_(True))).all()
    for round_id, workspace_id in rounds:
        _run_round(sessions, workspace_id, round_id, now, cfg, done)
    for workspace_id in workspaces:
        _run_digest(sessions, workspace_id, now, cfg, done)
    return done


def load_round(session: Session, workspace_id: int, round_id: int, cfg: CycleSettings):  # type: ignore[no-untyped-def]
    """A round with its program, its circles (with their timezones and active members) and
    the occurrence keys already done: everything a sweep or a status report needs."""
    rnd = session.scalar(select(Round).where(Round.workspace_id == workspace_id, Round.id == round_id))
    assert rnd is not None
    program = session.scalar(
        select(Program).where(Program.workspace_id == workspace_id, Program.id == rnd.program_id)
    )
    assert program is not None
    circles = session.scalars(
        select(Circle).where(Circle.workspace_id == workspace_id, Circle.round_id == round_id)
        .order_by(Circle.number)
    ).all()
    rows = session.execute(
        select(Membership.circle_id, Member, Profile.timezone)
        .join(Member, Member.id == Membership.member_id)
        .outerjoin(Profile, Profile.member_id == Member.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Membership.workspace_id == workspace_id, Circle.round_id == round_id,
               Membership.active.is_(True))
    ).all()
    by_circle: dict[int, list[tuple[Member, str]]] = {}
    for circle_id, member, tz in rows:
        by_circle.setdefault(circle_id, []).append((member, tz or cfg.member_local_default_timezone))
    infos = []
    timezone = round_timing(program, rnd).timezone
    for circle in circles:
        members = by_circle.get(circle.id, [])
        if timezone == MEMBER_LOCAL:
            name = majority_timezone((tz for _, tz in members), cfg.member_local_default_timezone)
        else:
            name = timezone
        infos.append(_CircleInfo(circle, zone(name), members))
    keys = set(session.scalars(
        select(JobRun.key).where(JobRun.workspace_id == workspace_id, JobRun.key.like(f"r{round_id}:%"))
    ))
    return rnd, program, infos, keys


_load_round = load_round  # the old private name, still imported by bot/status.py


@dataclass(frozen=True)
class _SweepCircle:
    id: int
    archived: bool
    tz_name: str


def _sweep_circles(session: Session, workspace_id: int, round_id: int, timezone: str,
                   cfg: CycleSettings) -> list[_SweepCircle]:
    """The round's circles with the timezone their schedule runs in, as plain columns: a
    sweep needs no member objects (member-local programs read only the members' timezones)."""
    circles = session.execute(
        select(Circle.id, Circle.archived).where(Circle.workspace_id == workspace_id, Circle.round_id == round_id)
        .order_by(Circle.number)
    ).all()
    if timezone != MEMBER_LOCAL:
        return [_SweepCircle(cid, archived, timezone) for cid, archived in circles]
    zones: dict[int, list[str]] = {}
    for cid, tz in session.execute(
        select(Membership.circle_id, Profile.timezone)
        .join(Circle, Circle.id == Membership.circle_id)
        .outerjoin(Profile, Profile.member_id == Membership.member_id)
        .where(Membership.workspace_id == workspace_id, Circle.round_id == round_id, Membership.active.is_(True))
    ):
        zones.setdefault(cid, []).append(tz or cfg.member_local_default_timezone)
    default = cfg.member_local_default_timezone
    return [_SweepCircle(cid, archived, majority_timezone(zones.get(cid, []), default))
            for cid, archived in circles]


def _run_round(sessions: sessionmaker[Session], workspace_id: int, round_id: int,
               now: dt.datetime, cfg: CycleSettings, done: Counter[str]) -> None:
    with sessions(info=clock.info(now)) as session:
        rnd = session.scalar(select(Round).where(Round.workspace_id == workspace_id, Round.id == round_id))
        assert rnd is not None
        program = session.scalar(
            select(Program).where(Program.workspace_id == workspace_id, Program.id == rnd.program_id))
        assert program is not None
        circles = _sweep_circles(session, workspace_id, round_id,
                                 round_timing(program, rnd).timezone, cfg)
        session.expunge_all()
    by_zone: dict[str, Schedule] = {}
    for c in circles:
        if c.tz_name not in by_zone:
            by_zone[c.tz_name] = schedule(program, rnd, zone(c.tz_name), cfg)
    schedules = {c.id: by_zone[c.tz_name] for c in circles}
    grace = dt.timedelta(hours=cfg.prompt_grace_hours)
    prompt_due: dict[int, list[tuple[str, int]]] = {}  # cycle -> (key, circle id)
    checkin_due: dict[int, list[tuple[str, int]]] = {}
    # circles share a handful of schedules (one per timezone): work out each one's moment once
    latest = {tz: (sched.latest_cycle(now), sched.latest_checkin(now)) for tz, sched in by_zone.items()}
    for c in circles:
        sched = schedules[c.id]
        if c.archived:
            continue
        k, j = latest[c.tz_name]
        if k and now < sched.round_end:
            prompt_due.setdefault(k, []).append((f"r{round_id}:prompt:c{c.id}:k{k}", c.id))
        if j and now - sched.checkin_at(j) <= grace:
            checkin_due.setdefault(j, []).append((f"r{round_id}:checkin:c{c.id}:k{j}", c.id))
    with sessions(info=clock.info(now)) as session:
        claimed = done_keys(session, workspace_id, [key for due in (prompt_due, checkin_due)
                                                     for pairs in due.values() for key, _ in pairs])

    late: dict[int, list[int]] = {}  # cycle -> circle ids whose prompt is too late
    for k, pairs in sorted(prompt_due.items()):
        todo: list[tuple[str, int]] = []
        for key, cid in pairs:
            if key in claimed:
                continue
            if now - schedules[cid].prompts[k - 1] > grace:
                late.setdefault(k, []).append(cid)
            else:
                todo.append((key, cid))
        done["prompt"] += set_based(
            sessions, todo, workspace_id, now,
            lambda s, ids, k=k: weekly.post_prompts(s, workspace_id, program.id, ids, k, now),
            lambda s, cid, k=k: weekly.post_prompts(s, workspace_id, program.id, [cid], k, now))
    for j, pairs in sorted(checkin_due.items()):
        todo = [(key, cid) for key, cid in pairs if key not in claimed]
        done["checkin"] += set_based(
            sessions, todo, workspace_id, now,
            lambda s, ids, j=j: weekly.request_checkins(s, workspace_id, ids, j),
            lambda s, cid, j=j: weekly.request_checkins(s, workspace_id, [cid], j))
    for k, circle_ids in sorted(late.items()):
        done["prompt_skipped"] += _skip_late(sessions, workspace_id, rnd, program, k, circle_ids, now)

    done["nudge"] += _nudge(sessions, workspace_id, rnd, circles, schedules, now, cfg)

    # member-local circles end at their own local time: the round ends when the last has
    round_end = max(
        (s.round_end for s in schedules.values()),
        default=dt.datetime.combine(rnd.ends_on, _local_time(round_timing(program, rnd)), UTC),
    )
    if rnd.status == "active" and now >= round_end:

        def finish(s: Session) -> None:
            claim(s, workspace_id, f"r{round_id}:end", now=now)
            r = s.scalar(select(Round).where(Round.workspace_id == workspace_id, Round.id == round_id))
            assert r is not None
            end_round(s, r, s.merge(program, load=False), now)

        if once(sessions, finish, now):
            done["round_end"] += 1


def _skip_late(sessions: sessionmaker[Session], workspace_id: int, rnd: Round, program: Program,
               k: int, circle_ids: list[int], now: dt.datetime) -> int:
    """Too late to be useful: mark the occurrences skipped and tell coordinators once."""
    note = f"skipped: more than the grace period late at {now.isoformat(timespec='minutes')}"

    def work(s: Session) -> None:
        s.execute(insert(JobRun), [dict(workspace_id=workspace_id, key=f"r{rnd.id}:prompt:c{cid}:k{k}",
                                        status="skipped", note=note, ran_at=now) for cid in circle_ids])
        notify_coordinators(s, workspace_id, f"late-prompt:r{rnd.id}:k{k}:{min(circle_ids)}",
                            notices.PromptsSkipped(program.name, rnd.number, k, len(circle_ids)))

    return len(circle_ids) if once(sessions, work, now) else 0


def _nudge_key(round_id: int):  # type: ignore[no-untyped-def]
    """The nudge's outbox key as a SQL expression, so "already nudged" is an indexed lookup."""
    def text(col):  # type: ignore[no-untyped-def]
        return cast(col, String)
    return (literal(f"nudge:r{round_id}:c") + text(PromptPost.circle_id) + literal(":k")
            + text(PromptPost.cycle) + literal(":m") + text(Member.id))


def _nudge(sessions: sessionmaker[Session], workspace_id: int, rnd: Round, circles: list[_SweepCircle],
           schedules: dict[int, Schedule], now: dt.datetime, cfg: CycleSettings) -> int:
    """One private reminder per member who has not answered the current prompt, after the
    delay, inside the member's daytime, and never while paused. Members in their quiet hours
    are simply reconsidered on a later sweep. One query finds the unanswered, not-yet-nudged
    members of the current prompts; one batched insert queues the reminders."""
    delay = dt.timedelta(hours=cfg.nudge_after_hours)
    current: dict[int, int] = {}  # circle id -> cycle whose nudge window is open
    for c in circles:
        k = schedules[c.id].latest_cycle(now)
        if k and not c.archived and now < schedules[c.id].checkin_at(k):
            current[c.id] = k
    if not current:
        return 0
    rank = {c.id: i for i, c in enumerate(circles)}
    with sessions(info=clock.info(now)) as session:
        rows = session.execute(
            select(PromptPost.circle_id, PromptPost.id, PromptPost.cycle, PromptPost.text, PromptPost.posted_at,
                   Member.id, Member.external_id, Member.paused_until, Profile.timezone)
            .join(Circle, Circle.id == PromptPost.circle_id)
            .join(Membership, and_(Membership.circle_id == PromptPost.circle_id, Membership.active.is_(True)))
            .join(Member, Member.id == Membership.member_id)
            .outerjoin(Profile, Profile.member_id == Member.id)
            .where(PromptPost.workspace_id == workspace_id, Circle.round_id == rnd.id,
                   Circle.archived.is_(False), PromptPost.cycle.in_(set(current.values())),
                   PromptPost.posted_at <= (now - delay).astimezone(UTC),
                   ~exists().where(Response.prompt_post_id == PromptPost.id, Response.member_id == Member.id),
                   ~exists().where(OutboxMessage.workspace_id == workspace_id,
                                   OutboxMessage.key == _nudge_key(rnd.id)))
        ).all()
    todo: list[tuple[int, int, tuple[str, str, str, dict[str, Any]]]] = []
    for cid, post_id, k, text, posted_at, mid, external_id, paused_until, tz_name in rows:
        if current.get(cid) != k:
            continue
        posted = posted_at if posted_at.tzinfo else posted_at.replace(tzinfo=UTC)
        tz = zone(tz_name or cfg.member_local_default_timezone)
        if now < posted + delay or rules.is_paused(paused_until, now.astimezone(tz).date()) or _quiet(cfg, tz, now):
            continue
        todo.append((rank[cid], mid, (f"nudge:r{rnd.id}:c{cid}:k{k}:m{mid}", "dm", f"member:{mid}",
                                      {"user": external_id, **notices.to_payload(notices.Nudge(post_id, k, text))})))
    todo.sort(key=lambda t: (t[0], t[1]))
    sent = 0

    def queue(rows: list[tuple[str, str, str, dict[str, Any]]]) -> bool:
        nonlocal sent
        added: list[int] = []
        if once(sessions, lambda s: added.append(enqueue_many(s, workspace_id, rows)), now):
            sent += sum(added)
            return True
        return False

    for i in range(0, len(todo), CHUNK):
        chunk = [row for _, _, row in todo[i : i + CHUNK]]
        if not queue(chunk):  # someone queued some of them meanwhile: one by one
            for row in chunk:
                queue([row])
    return sent


# --- coordinator digest ------------------------------------------------------------------


def latest_digest_time(now: dt.datetime, cfg: CycleSettings) -> dt.datetime:
    tz = zone(cfg.digest_timezone)
    local = now.astimezone(tz)
    wd = rules.weekday_index(cfg.digest_day)
    day = local.date() - dt.timedelta(days=(local.weekday() - wd) % 7)
    at = dt.datetime.combine(day, rules.parse_hhmm(cfg.digest_time), tzinfo=tz)
    if at > local:
        at = dt.datetime.combine(day - dt.timedelta(days=7), at.timetz())
    return at.astimezone(UTC)


def _run_digest(sessions: sessionmaker[Session], workspace_id: int, now: dt.datetime,
                cfg: CycleSettings, done: Counter[str]) -> None:
    when = latest_digest_time(now, cfg)
    if now - when > dt.timedelta(hours=cfg.prompt_grace_hours):
        return  # a digest that is days old is noise; the next one will be on time
    key = f"digest:{when.date().isoformat()}"
    with sessions(info=clock.info(now)) as session:
        if session.scalar(select(JobRun.id).where(JobRun.workspace_id == workspace_id, JobRun.key == key)):
            return
        if not session.scalar(select(Round.id).where(Round.workspace_id == workspace_id,
                                                     Round.status == "active").limit(1)):
            return

    def work(s: Session) -> None:
        claim(s, workspace_id, key, now=now)
        notify_coordinators(s, workspace_id, key, weekly_digest(
            s, workspace_id, now, getattr(cfg, "pulse_min_respondents", None)))

    if once(sessions, work, now):
        done["digest"] += 1


def _program_digest(health: ProgramHealth, series: ProgramSeries | None = None) -> notices.ProgramDigest:
    risky = health.at_risk
    return notices.ProgramDigest(
        program_name=health.program_name, round_number=health.round_number, circles=health.circle_count,
        answer_rate=health.overall("answer_rate"), meeting_rate=health.overall("meeting_rate"),
        pulse_avg=health.overall("pulse_avg"), pulse_trend=health.overall("pulse_trend"),
        at_risk_total=health.at_risk_total,
        at_risk=[notices.AtRiskCircle(c.name, list(c.risks)) for c in risky[: notices.DIGEST_AT_RISK]],
        weeks=list(series.weeks) if series is not None else [],
        min_respondents=series.min_respondents if series is not None else min_respondents(),
    )


def weekly_digest(session: Session, workspace_id: int, now: dt.datetime,
                  threshold: int | None = None) -> notices.WeeklyDigest:
    """At-risk circles, answer and meeting rates and the pulse trend per program with an
    active round, by program name, with each round's weekly series (the digest's chart is
    drawn from it at send time, so a replayed row draws the same picture)."""
    programs = session.scalars(
        select(Program)
        .where(Program.workspace_id == workspace_id, Program.id.in_(
            select(Round.program_id).where(Round.workspace_id == workspace_id, Round.status == "active")))
        .order_by(Program.name)
    ).all()
    return notices.WeeklyDigest([_program_digest(program_health(session, p, now), program_series(session, p, threshold))
                                 for p in programs])
