"""An uninstalled workspace: its tokens go at once, its data after a grace period.

Uninstalling the app (or removing the bot from a server) deletes the
workspace's credentials in the same transaction that marks it inactive and sets
``purge_after``. Reinstalling before then clears the mark and everything is as it was. Once
the date has passed, the scheduler deletes every row of the workspace with one set-based
DELETE per table (children before parents, from the mapped metadata, so a table added later
is covered without touching this module), then its claims and the workspace row itself.

A purge is safe to run twice or on two replicas at once: each workspace is purged in one
transaction that first claims its row with a conditional UPDATE (still inactive, still due)
and a second runner finds it gone or reinstalled and does nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from circles import credentials
from circles.db import unit_of_work
from circles.model import Base, ProcessedRequest, Workspace
from circles.usecases.context import audit, find_workspace

DEFAULT_GRACE_DAYS = 30


def mark_removed(session: Session, platform: str, external_id: str, now: dt.datetime,
                 grace_days: int = DEFAULT_GRACE_DAYS) -> dt.datetime | None:
    """The app was uninstalled: forget its tokens now, purge the data after the grace period.
    A second uninstall event (a platform may send two) keeps the first
    date. Returns the purge date, or None for a workspace we never saw."""
    credentials.forget(session, platform, external_id)
    ws = find_workspace(session, platform, external_id)
    if ws is None:
        return None
    ws.active = False
    if ws.purge_after is None:
        ws.purge_after = now + dt.timedelta(days=max(0, grace_days))
        audit(session, ws.id, None, "workspace.deactivated", {"platform": platform})
    return ws.purge_after


def restore(session: Session, platform: str, external_id: str) -> bool:
    """Reinstalled within the grace period: active again, purge cancelled."""
    ws = find_workspace(session, platform, external_id)
    if ws is None:
        return False
    was = not ws.active or ws.purge_after is not None
    ws.active, ws.purge_after = True, None
    if was:
        audit(session, ws.id, None, "workspace.restored", {"platform": platform})
    return was


def aware(t: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def due(session: Session, now: dt.datetime) -> list[int]:
    return list(session.scalars(select(Workspace.id).where(
        Workspace.active.is_(False), Workspace.purge_after.is_not(None),
        Workspace.purge_after <= now).order_by(Workspace.id)))


def purge_due(sessions: sessionmaker[Session], now: dt.datetime) -> int:
    """Purge every workspace whose grace period is over; returns how many were purged."""
    with unit_of_work(sessions) as session:
        ids = due(session, now)
    done = 0
    for ws_id in ids:
        with unit_of_work(sessions) as session:
            done += purge_one(session, ws_id, now)
    return done


def purge_one(session: Session, ws_id: int, now: dt.datetime) -> int:
    """Purge one workspace if it is still due; 1 when this call purged it, else 0.

    The claim is a conditional UPDATE of the workspace row: it takes the row lock on
    PostgreSQL (a racing purge waits, then re-checks the condition and finds the row gone or
    reinstalled) and the write lock on SQLite, so the check and the deletes are one atomic
    step however many schedulers run."""
    claimed = session.execute(
        update(Workspace)
        .where(Workspace.id == ws_id, Workspace.active.is_(False),
               Workspace.purge_after.is_not(None), Workspace.purge_after <= now)
        .values(purge_after=Workspace.purge_after))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return 0
    ws = session.get(Workspace, ws_id)
    assert ws is not None
    for table in reversed(Base.metadata.sorted_tables):
        if table.name != Workspace.__tablename__ and "workspace_id" in table.c:
            session.execute(delete(table).where(table.c.workspace_id == ws_id))
    credentials.forget(session, ws.platform, ws.external_id)
    session.execute(delete(ProcessedRequest).where(
        ProcessedRequest.scope == f"{ws.platform}:{ws.external_id}"[:100]))
    session.execute(delete(Workspace).where(Workspace.id == ws_id))
    return 1
