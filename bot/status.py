"""`circlebot status`: what the scheduler will do next and what is waiting to be sent, so an
operator can tell "nothing is due" from "the bot is stuck" without reading logs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import SchedulingConfig
from circles.cycle import _load_round, latest_digest_time, schedule
from circles.model import OutboxMessage, Round, Workspace


def _when(t: dt.datetime, now: dt.datetime) -> str:
    delta = t - now
    secs = int(abs(delta.total_seconds()))
    span = f"{secs // 86400}d {secs % 86400 // 3600}h" if secs >= 86400 else f"{secs // 3600}h {secs % 3600 // 60}m"
    rel = f"in {span}" if delta.total_seconds() >= 0 else f"{span} ago"
    return f"{t.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC ({rel})"


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def status_report(sessions: sessionmaker[Session], now: dt.datetime,
                  config: SchedulingConfig | None = None) -> str:
    cfg = config or SchedulingConfig()
    lines = ["Next due work"]
    with sessions() as session:
        rounds = session.execute(
            select(Round.id, Round.workspace_id, Workspace.name, Workspace.platform, Workspace.external_id)
            .join(Workspace, Workspace.id == Round.workspace_id)
            .where(Workspace.active.is_(True), Round.status == "active")
            .order_by(Workspace.id, Round.id)
        ).all()
        for round_id, ws_id, ws_name, platform, external in rounds:
            rnd, program, infos, _ = _load_round(session, ws_id, round_id, cfg)
            nexts: dict[str, list[dt.datetime]] = {"prompt": [], "check-in": []}
            end = None
            for info in infos:
                sched = schedule(program, rnd, info.tz, cfg)
                k = sched.latest_cycle(now)
                if k < len(sched.prompts):
                    nexts["prompt"].append(sched.prompts[k])
                j = sched.latest_checkin(now)
                if j < len(sched.prompts):
                    nexts["check-in"].append(sched.checkin_at(j + 1))
                end = max(end, sched.round_end) if end else sched.round_end
            lines.append(f"  {ws_name or external} ({platform} {external}) · {program.name} round {rnd.number}:")
            for kind, times in nexts.items():
                if times:
                    first = min(times)
                    count = sum(1 for t in times if t == first)
                    lines.append(f"    next {kind}: {_when(first, now)} for {count} circle(s)")
            if end is not None:
                lines.append(f"    round ends: {_when(end, now)}")
        if not rounds:
            lines.append("  no active rounds: nothing is scheduled")
        else:
            lines.append(f"  weekly digest: {_when(latest_digest_time(now, cfg) + dt.timedelta(days=7), now)}")

        lines.append("Outbox")
        counts = dict(session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
        due = session.scalar(select(func.count()).where(
            OutboxMessage.status.in_(("pending", "sending")), OutboxMessage.not_before <= now))
        oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_(("pending", "sending"))))
        summary = " · ".join(f"{s} {counts.get(s, 0)}" for s in ("pending", "sending", "failed", "sent", "cancelled"))
        lines.append(f"  {summary}")
        backlog = counts.get("pending", 0) + counts.get("sending", 0)
        if backlog:
            lines.append(f"  backlog {backlog}: {due} due now, oldest queued {_when(_aware(oldest), now)}")
        else:
            lines.append("  backlog empty")
        failed = session.execute(
            select(OutboxMessage.key, OutboxMessage.last_error, Workspace.external_id)
            .join(Workspace, Workspace.id == OutboxMessage.workspace_id)
            .where(OutboxMessage.status == "failed").order_by(OutboxMessage.id.desc()).limit(5)
        ).all()
        for key, error, ws in failed:
            lines.append(f"  failed {ws} {key}: {error}")
    return "\n".join(lines)
