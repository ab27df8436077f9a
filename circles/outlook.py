"""What the scheduler will do next and what is waiting to be sent, as facts: the bot's
``circlebot status`` words them, so an operator can tell "nothing is due" from "the bot is
stuck" without reading logs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.cycle import latest_digest_time, load_round, schedule
from circles.model import OutboxMessage, Round, Workspace
from circles.outbox import QUEUED

STATUSES = ("pending", "sending", "failed", "sent", "cancelled")


class ScheduleSettings(Protocol):
    """The scheduling settings the outlook needs (the bot's SchedulingConfig has them)."""

    member_local_default_timezone: str
    checkin_lead_hours: float
    digest_timezone: str
    digest_day: str
    digest_time: str


@dataclass(frozen=True)
class NextDue:
    at: dt.datetime
    circles: int  # how many circles it falls on at that moment


@dataclass(frozen=True)
class RoundOutlook:
    workspace_name: str
    platform: str
    workspace: str  # the platform's workspace id
    program: str
    round_number: int
    next_prompt: NextDue | None
    next_checkin: NextDue | None
    round_ends: dt.datetime | None


@dataclass(frozen=True)
class FailedSend:
    workspace: str  # the platform's workspace id
    key: str
    error: str


@dataclass(frozen=True)
class OutboxFacts:
    counts: dict[str, int]  # every status in STATUSES, 0 when absent
    due_now: int
    oldest_queued: dt.datetime | None
    recent_failures: list[FailedSend]  # newest first, at most five

    @property
    def backlog(self) -> int:
        return self.counts["pending"] + self.counts["sending"]


@dataclass(frozen=True)
class StatusFacts:
    rounds: list[RoundOutlook]
    next_digest: dt.datetime | None  # None when no round is active
    outbox: OutboxFacts


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _first(times: list[dt.datetime]) -> NextDue | None:
    if not times:
        return None
    first = min(times)
    return NextDue(first, sum(1 for t in times if t == first))


def round_outlooks(session: Session, now: dt.datetime, settings: ScheduleSettings) -> list[RoundOutlook]:
    rounds = session.execute(
        select(Round.id, Round.workspace_id, Workspace.name, Workspace.platform, Workspace.external_id)
        .join(Workspace, Workspace.id == Round.workspace_id)
        .where(Workspace.active.is_(True), Round.status == "active")
        .order_by(Workspace.id, Round.id)
    ).all()
    out = []
    for round_id, ws_id, ws_name, platform, external in rounds:
        rnd, program, infos, _ = load_round(session, ws_id, round_id, settings)
        prompts: list[dt.datetime] = []
        checkins: list[dt.datetime] = []
        end = None
        for info in infos:
            sched = schedule(program, rnd, info.tz, settings)  # type: ignore[arg-type]
            k = sched.latest_cycle(now)
            if k < len(sched.prompts):
                prompts.append(sched.prompts[k])
            j = sched.latest_checkin(now)
            if j < len(sched.prompts):
                checkins.append(sched.checkin_at(j + 1))
            end = max(end, sched.round_end) if end else sched.round_end
        out.append(RoundOutlook(ws_name or "", platform, external, program.name, rnd.number,
                                _first(prompts), _first(checkins), end))
    return out


def outbox_facts(session: Session, now: dt.datetime) -> OutboxFacts:
    found = dict(session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    due = session.scalar(select(func.count()).where(
        OutboxMessage.status.in_(QUEUED), OutboxMessage.not_before <= now)) or 0
    oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(
        OutboxMessage.status.in_(QUEUED)))
    failed = session.execute(
        select(OutboxMessage.key, OutboxMessage.last_error, Workspace.external_id)
        .join(Workspace, Workspace.id == OutboxMessage.workspace_id)
        .where(OutboxMessage.status == "failed").order_by(OutboxMessage.id.desc()).limit(5)
    ).all()
    return OutboxFacts({s: int(found.get(s, 0)) for s in STATUSES}, int(due),
                       _aware(oldest) if oldest is not None else None,
                       [FailedSend(ws, key, error) for key, error, ws in failed])


def status_facts(session: Session, now: dt.datetime, settings: ScheduleSettings) -> StatusFacts:
    rounds = round_outlooks(session, now, settings)
    digest = latest_digest_time(now, settings) + dt.timedelta(days=7) if rounds else None  # type: ignore[arg-type]
    return StatusFacts(rounds, digest, outbox_facts(session, now))
