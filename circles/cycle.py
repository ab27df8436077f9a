"""What is due at a given moment: prompts, nudges, check-ins, digests and round ends.

This module never looks at the wall clock: the scheduler passes ``now``. Every occurrence is
guarded by a ``job_runs`` row (unique per workspace and key) written in the same transaction
as the outbox rows it causes, so a restarted or second scheduler can never run it twice.
Only the *latest* missed occurrence of each kind is considered, which is what makes catching
up after downtime coalesce into one run instead of replaying every missed week.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import SchedulingConfig
from bot.replies import Button, Reply, Section
from circles import service
from circles.db import unit_of_work
from circles.health import program_health
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
from circles.outbox import enqueue

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
MEMBER_LOCAL = "member-local"
UTC = dt.UTC


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


def _local_time(program: Program) -> dt.time:
    hh, _, mm = (program.time or "10:00").partition(":")
    return dt.time(int(hh), int(mm or 0))


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


def schedule(program: Program, rnd: Round, tz: ZoneInfo, cfg: SchedulingConfig) -> Schedule:
    """Cycle k's prompt is on the program's weekday at its local time, k-1 periods after the
    first such day on or after the round start. Local wall-clock arithmetic keeps 10:00 at
    10:00 across a DST change."""
    period = 14 if program.cadence == "biweekly" else 7
    at = _local_time(program)
    wd = WEEKDAYS.get((program.day or "mon")[:3].lower(), 0)
    first = rnd.starts_on + dt.timedelta(days=(wd - rnd.starts_on.weekday()) % 7)
    prompts: list[dt.datetime] = []
    day = first
    while day < rnd.ends_on:
        prompts.append(dt.datetime.combine(day, at, tzinfo=tz).astimezone(UTC))
        day += dt.timedelta(days=period)
    end = dt.datetime.combine(rnd.ends_on, at, tzinfo=tz).astimezone(UTC)
    return Schedule(tuple(prompts), end, dt.timedelta(hours=cfg.checkin_lead_hours))


# --- coordinators --------------------------------------------------------------------


def coordinators(session: Session, workspace_id: int) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .where(Member.workspace_id == workspace_id, Member.is_coordinator.is_(True))
            .order_by(Member.id)
        )
    )


def notify_coordinators(session: Session, workspace_id: int, key: str, reply: Reply) -> int:
    sent = 0
    for member in coordinators(session, workspace_id):
        payload = {"user": member.external_id, "reply": reply.to_dict()}
        if enqueue(session, workspace_id, f"{key}:m{member.id}", "dm", f"member:{member.id}", payload):
            sent += 1
    return sent


def end_round(session: Session, rnd: Round, program: Program, now: dt.datetime) -> None:
    """The engine archives spaces and asks for final goal check-ins; the scheduler adds the
    coordinators' cue that the next round can be formed."""
    service.end_round(session, rnd, now)
    notify_coordinators(
        session, rnd.workspace_id, f"round-ended:r{rnd.id}",
        Reply(
            title="Round ended",
            text=(
                f"Round {rnd.number} of **{program.name}** ended on {rnd.ends_on.isoformat()}: "
                "its circle spaces are being archived and members asked about their goals. "
                "You can form the next round now (`/circle round preview`)."
            ),
            tone="success",
        ),
    )


# --- the sweep ---------------------------------------------------------------------------


def _claim(session: Session, workspace_id: int, key: str, status: str = "done", note: str = "",
           now: dt.datetime | None = None) -> None:
    """Insert the occurrence marker first: a concurrent scheduler fails here, before doing
    anything, and its transaction rolls back."""
    session.add(JobRun(workspace_id=workspace_id, key=key, status=status, note=note,
                       ran_at=now or dt.datetime.now(UTC)))
    session.flush()


def _once(sessions: sessionmaker[Session], work) -> bool:  # type: ignore[no-untyped-def]
    try:
        with unit_of_work(sessions) as session:
            work(session)
        return True
    except IntegrityError:
        return False  # another scheduler did it first


BATCH = 200


def _batched(sessions: sessionmaker[Session], works: list, kind: str, done: Counter[str]) -> None:  # type: ignore[type-arg]
    """Many occurrences per transaction (10,000 circles in seconds, not minutes); if any of
    them was already done by someone else, redo that batch one by one."""
    for i in range(0, len(works), BATCH):
        chunk = works[i : i + BATCH]

        def all_of(s: Session, chunk: list = chunk) -> None:  # type: ignore[type-arg]
            for work in chunk:
                work(s)

        if _once(sessions, all_of):
            done[kind] += len(chunk)
        else:
            done[kind] += sum(1 for work in chunk if _once(sessions, work))


@dataclass
class _CircleInfo:
    circle: Circle
    tz: ZoneInfo
    members: list[tuple[Member, str]]  # (member, timezone name)


def _paused(member: Member, tz: ZoneInfo, now: dt.datetime) -> bool:
    return member.paused_until is not None and member.paused_until >= now.astimezone(tz).date()


def _quiet(cfg: SchedulingConfig, tz: ZoneInfo, now: dt.datetime) -> bool:
    hour = now.astimezone(tz).hour
    return not (cfg.quiet_hours_end <= hour < cfg.quiet_hours_start)


def run_due(sessions: sessionmaker[Session], now: dt.datetime, cfg: SchedulingConfig) -> Counter[str]:
    """Do everything due at ``now`` for all active rounds of all active workspaces; returns
    counts by kind (prompt, prompt_skipped, nudge, checkin, round_end, digest)."""
    done: Counter[str] = Counter()
    with sessions() as session:
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


def _load_round(session: Session, workspace_id: int, round_id: int, cfg: SchedulingConfig):  # type: ignore[no-untyped-def]
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
    for circle in circles:
        members = by_circle.get(circle.id, [])
        if program.timezone == MEMBER_LOCAL:
            name = majority_timezone((tz for _, tz in members), cfg.member_local_default_timezone)
        else:
            name = program.timezone
        infos.append(_CircleInfo(circle, zone(name), members))
    keys = set(session.scalars(
        select(JobRun.key).where(JobRun.workspace_id == workspace_id, JobRun.key.like(f"r{round_id}:%"))
    ))
    return rnd, program, infos, keys


def _run_round(sessions: sessionmaker[Session], workspace_id: int, round_id: int,
               now: dt.datetime, cfg: SchedulingConfig, done: Counter[str]) -> None:
    with sessions() as session:
        rnd, program, infos, keys = _load_round(session, workspace_id, round_id, cfg)
    schedules = {info.circle.id: schedule(program, rnd, info.tz, cfg) for info in infos}
    grace = dt.timedelta(hours=cfg.prompt_grace_hours)
    late: dict[int, list[int]] = {}  # cycle -> circle ids whose prompt is too late
    prompt_works: list = []  # type: ignore[type-arg]
    checkin_works: list = []  # type: ignore[type-arg]

    for info in infos:
        circle, sched = info.circle, schedules[info.circle.id]
        if circle.archived:
            continue
        k = sched.latest_cycle(now)
        if k and now < sched.round_end and f"r{round_id}:prompt:c{circle.id}:k{k}" not in keys:
            if now - sched.prompts[k - 1] > grace:
                late.setdefault(k, []).append(circle.id)
            else:
                key = f"r{round_id}:prompt:c{circle.id}:k{k}"

                def work(s: Session, key: str = key, c: Circle = circle, k: int = k) -> None:
                    _claim(s, workspace_id, key, now=now)
                    service.post_prompt(s, s.merge(c, load=False), k, now)

                prompt_works.append(work)
        j = sched.latest_checkin(now)
        key = f"r{round_id}:checkin:c{circle.id}:k{j}"
        if j and key not in keys and now - sched.checkin_at(j) <= grace:

            def checkin(s: Session, key: str = key, c: Circle = circle, j: int = j) -> None:
                _claim(s, workspace_id, key, now=now)
                if s.scalar(select(PromptPost.id).where(
                    PromptPost.workspace_id == workspace_id, PromptPost.circle_id == c.id,
                    PromptPost.cycle == j,
                )) is not None:
                    service.request_checkin_and_pulse(s, s.merge(c, load=False), j)

            checkin_works.append(checkin)

    _batched(sessions, prompt_works, "prompt", done)
    _batched(sessions, checkin_works, "checkin", done)
    for k, circle_ids in sorted(late.items()):
        done["prompt_skipped"] += _skip_late(sessions, workspace_id, rnd, program, k, circle_ids, now)

    done["nudge"] += _nudge(sessions, workspace_id, rnd, infos, schedules, now, cfg)

    # member-local circles end at their own local time: the round ends when the last has
    round_end = max(
        (s.round_end for s in schedules.values()),
        default=dt.datetime.combine(rnd.ends_on, _local_time(program), UTC),
    )
    if rnd.status == "active" and now >= round_end:

        def finish(s: Session) -> None:
            _claim(s, workspace_id, f"r{round_id}:end", now=now)
            r = s.scalar(select(Round).where(Round.workspace_id == workspace_id, Round.id == round_id))
            assert r is not None
            end_round(s, r, s.merge(program, load=False), now)

        if _once(sessions, finish):
            done["round_end"] += 1


def _skip_late(sessions: sessionmaker[Session], workspace_id: int, rnd: Round, program: Program,
               k: int, circle_ids: list[int], now: dt.datetime) -> int:
    """Too late to be useful: mark the occurrences skipped and tell coordinators once."""
    note = f"skipped: more than the grace period late at {now.isoformat(timespec='minutes')}"

    def work(s: Session) -> None:
        for cid in circle_ids:
            _claim(s, workspace_id, f"r{rnd.id}:prompt:c{cid}:k{k}", "skipped", note, now)
        notify_coordinators(
            s, workspace_id, f"late-prompt:r{rnd.id}:k{k}:{min(circle_ids)}",
            Reply(
                title="Prompt skipped",
                text=(
                    f"The week {k} prompt of **{program.name}** (round {rnd.number}) was not posted "
                    f"to {len(circle_ids)} circle(s): the bot was unavailable and it is now too late "
                    "to be useful. The next prompt will go out on schedule."
                ),
                tone="warning",
            ),
        )

    return len(circle_ids) if _once(sessions, work) else 0


def _nudge(sessions: sessionmaker[Session], workspace_id: int, rnd: Round, infos: list[_CircleInfo],
           schedules: dict[int, Schedule], now: dt.datetime, cfg: SchedulingConfig) -> int:
    """One private reminder per member who has not answered the current prompt, after the
    delay, inside the member's daytime, and never while paused. Members in their quiet hours
    are simply reconsidered on a later sweep."""
    delay = dt.timedelta(hours=cfg.nudge_after_hours)
    with sessions() as session:
        posts = {
            (p.circle_id, p.cycle): p
            for p in session.scalars(
                select(PromptPost)
                .join(Circle, Circle.id == PromptPost.circle_id)
                .where(PromptPost.workspace_id == workspace_id, Circle.round_id == rnd.id)
            )
        }
        answered = set(session.execute(
            select(PromptPost.circle_id, PromptPost.cycle, Response.member_id)
            .join(Response, Response.prompt_post_id == PromptPost.id)
            .join(Circle, Circle.id == PromptPost.circle_id)
            .where(PromptPost.workspace_id == workspace_id, Circle.round_id == rnd.id)
        ).all())
        queued = set(session.scalars(
            select(OutboxMessage.key).where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.key.like(f"nudge:r{rnd.id}:%"),
            )
        ))
    todo: list[tuple[str, str, int, dict]] = []  # type: ignore[type-arg]
    for info in infos:
        sched = schedules[info.circle.id]
        k = sched.latest_cycle(now)
        post = posts.get((info.circle.id, k))
        if post is None or info.circle.archived:
            continue
        posted = post.posted_at if post.posted_at.tzinfo else post.posted_at.replace(tzinfo=UTC)
        if now < posted + delay or now >= sched.checkin_at(k):
            continue
        for member, tz_name in info.members:
            key = f"nudge:r{rnd.id}:c{info.circle.id}:k{k}:m{member.id}"
            tz = zone(tz_name)
            if key in queued or (info.circle.id, k, member.id) in answered:
                continue
            if _paused(member, tz, now) or _quiet(cfg, tz, now):
                continue
            reply = Reply(
                title="Your circle is waiting for you",
                text=f"Your circle's week {k} prompt is still open:",
                sections=[Section(post.text)],
                buttons=[Button("Answer the prompt", "answer", str(post.id), "primary")],
            )
            todo.append((key, member.external_id, member.id, reply.to_dict()))
    if not todo:
        return 0
    sent = 0
    with unit_of_work(sessions) as session:
        for key, user, member_id, reply in todo:
            if enqueue(session, workspace_id, key, "dm", str(member_id), {"user": user, "reply": reply}):
                sent += 1
    return sent


# --- coordinator digest ------------------------------------------------------------------


def latest_digest_time(now: dt.datetime, cfg: SchedulingConfig) -> dt.datetime:
    tz = zone(cfg.digest_timezone)
    local = now.astimezone(tz)
    wd = WEEKDAYS.get(cfg.digest_day[:3].lower(), 0)
    hh, _, mm = cfg.digest_time.partition(":")
    day = local.date() - dt.timedelta(days=(local.weekday() - wd) % 7)
    at = dt.datetime.combine(day, dt.time(int(hh), int(mm or 0)), tzinfo=tz)
    if at > local:
        at = dt.datetime.combine(day - dt.timedelta(days=7), at.timetz())
    return at.astimezone(UTC)


def _run_digest(sessions: sessionmaker[Session], workspace_id: int, now: dt.datetime,
                cfg: SchedulingConfig, done: Counter[str]) -> None:
    when = latest_digest_time(now, cfg)
    if now - when > dt.timedelta(hours=cfg.prompt_grace_hours):
        return  # a digest that is days old is noise; the next one will be on time
    key = f"digest:{when.date().isoformat()}"
    with sessions() as session:
        if session.scalar(select(JobRun.id).where(JobRun.workspace_id == workspace_id, JobRun.key == key)):
            return
        if not session.scalar(select(Round.id).where(Round.workspace_id == workspace_id,
                                                     Round.status == "active").limit(1)):
            return

    def work(s: Session) -> None:
        _claim(s, workspace_id, key, now=now)
        notify_coordinators(s, workspace_id, key, digest_reply(s, workspace_id, now))

    if _once(sessions, work):
        done["digest"] += 1


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def digest_reply(session: Session, workspace_id: int, now: dt.datetime) -> Reply:
    """At-risk circles, answer and meeting rates and the pulse trend per active round."""
    sections: list[Section] = []
    programs = session.scalars(
        select(Program)
        .where(Program.workspace_id == workspace_id, Program.id.in_(
            select(Round.program_id).where(Round.workspace_id == workspace_id, Round.status == "active")))
        .order_by(Program.name)
    ).all()
    for program in programs:
        health = program_health(session, program, now)
        trends = [c.pulse_trend for c in health.circles if c.pulse_trend is not None]
        trend = "n/a" if not trends else f"{sum(trends) / len(trends):+.1f} vs the week before"
        pulse = health.overall("pulse_avg")
        risky = health.at_risk
        lines = [
            f"• Circles: {len(health.circles)}",
            f"• Answer rate: {_pct(health.overall('answer_rate'))}",
            f"• Meeting rate: {_pct(health.overall('meeting_rate'))}",
            f"• Pulse: {'n/a' if pulse is None else f'{pulse:.1f}/5'}, trend {trend}",
            f"• At risk: {len(risky)}",
        ]
        lines += [f"  • {c.name}: {'; '.join(c.risks)}" for c in risky[:10]]
        if len(risky) > 10:
            lines.append(f"  • … and {len(risky) - 10} more (`/circle health`)")
        sections.append(Section(title=f"{program.name}, round {health.round_number}", text="\n".join(lines)))
    return Reply(title="Weekly circles digest", text="How your circles are doing this week.",
                 sections=sections)


def load_round(session: Session, workspace_id: int, round_id: int, cfg: SchedulingConfig):  # type: ignore[no-untyped-def]
    """A round, its program, its circles (each with the timezone its schedule runs in) and
    the occurrence keys already done: the public face of ``_load_round`` (circles.outlook)."""
    return _load_round(session, workspace_id, round_id, cfg)
