"""When the scheduler should wake up: the weekly clock of each running program.

``circles.cycle.run_due`` decides *what* is due from the database; this only tells the bot's
scheduler at which wall-clock moments a fixed-timezone program's prompts fall, so it can wake
right then instead of waiting for its next sweep. Member-local programs have no single
moment; they rely on the sweep interval.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles import cycle, rules
from circles.cycle import MEMBER_LOCAL, zone
from circles.db import SessionFactory
from circles.model import Program, Round, Workspace
from circles.purge import purge_due
from circles.timing import round_timing


@dataclass(frozen=True)
class ProgramClock:
    """A program's weekly prompt moment: ``weekday`` is a cron day name (mon..sun)."""

    program_id: int
    weekday: str
    hour: int
    minute: int
    timezone: ZoneInfo


def program_clocks(session: Session) -> list[ProgramClock]:
    """Every program with an active round in an active workspace whose round runs on a fixed
    timezone, at the time that round keeps (a `program set` waits for the next round)."""
    rows = session.execute(
        select(Program, Round)
        .join(Workspace, Workspace.id == Program.workspace_id)
        .join(Round, Round.program_id == Program.id)
        .where(Workspace.active.is_(True), Round.status == "active")
        .order_by(Program.id, Round.id)
    ).all()
    out = []
    for p, rnd in rows:
        t = round_timing(p, rnd)
        if t.timezone == MEMBER_LOCAL:
            continue
        at = rules.parse_hhmm(t.time or "10:00")
        day = rules.WEEKDAYS[rules.weekday_index(t.day)]
        out.append(ProgramClock(p.id, day, at.hour, at.minute, zone(t.timezone)))
    return out


def run_due(sessions: SessionFactory, now: dt.datetime, settings: Any) -> Counter[str]:
    """Everything due at ``now``, each occurrence at most once (the cycle engine decides
    what; job_runs keeps a split brain harmless). ``settings`` carries the scheduling
    fields the cycle reads (the bot passes its SchedulingConfig). Counts by kind."""
    counts = cycle.run_due(sessions, now, settings)
    purged = purge_due(sessions, now)  # uninstalled workspaces past their grace period
    if purged:
        counts["purge"] += purged
    return counts
