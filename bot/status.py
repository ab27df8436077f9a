"""`circlebot status`: what the scheduler will do next and what is waiting to be sent, so an
operator can tell "nothing is due" from "the bot is stuck" without reading logs. The facts
come from ``circles.outlook``; this module only words them."""

from __future__ import annotations

import datetime as dt

from bot.config import SchedulingConfig
from circles.db import SessionFactory, unit_of_work
from circles.outlook import STATUSES, NextDue, StatusFacts, status_facts


def _when(t: dt.datetime, now: dt.datetime) -> str:
    delta = t - now
    secs = int(abs(delta.total_seconds()))
    span = f"{secs // 86400}d {secs % 86400 // 3600}h" if secs >= 86400 else f"{secs // 3600}h {secs % 3600 // 60}m"
    rel = f"in {span}" if delta.total_seconds() >= 0 else f"{span} ago"
    return f"{t.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC ({rel})"


def render_status(facts: StatusFacts, now: dt.datetime) -> str:
    lines = ["Next due work"]
    for r in facts.rounds:
        lines.append(f"  {r.workspace_name or r.workspace} ({r.platform} {r.workspace}) · "
                     f"{r.program} round {r.round_number}:")
        due: list[tuple[str, NextDue | None]] = [("prompt", r.next_prompt), ("check-in", r.next_checkin)]
        for kind, nxt in due:
            if nxt is not None:
                lines.append(f"    next {kind}: {_when(nxt.at, now)} for {nxt.circles} {'circle' if nxt.circles == 1 else 'circles'}")
        if r.round_ends is not None:
            lines.append(f"    round ends: {_when(r.round_ends, now)}")
    if not facts.rounds:
        lines.append("  no active rounds: nothing is scheduled")
    elif facts.next_digest is not None:
        lines.append(f"  weekly digest: {_when(facts.next_digest, now)}")

    box = facts.outbox
    lines.append("Outbox")
    lines.append("  " + " · ".join(f"{s} {box.counts[s]}" for s in STATUSES))
    if box.backlog:
        oldest = _when(box.oldest_queued, now) if box.oldest_queued else "unknown"
        lines.append(f"  backlog {box.backlog}: {box.due_now} due now, oldest queued {oldest}")
    else:
        lines.append("  backlog empty")
    for f in box.recent_failures:
        lines.append(f"  failed {f.workspace} {f.key}: {f.error}")
    return "\n".join(lines)


def status_report(sessions: SessionFactory, now: dt.datetime,
                  config: SchedulingConfig | None = None) -> str:
    with unit_of_work(sessions) as session:
        facts = status_facts(session, now, config or SchedulingConfig())
    return render_status(facts, now)
