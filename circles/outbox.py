"""The outbox: the only way the engine causes something to be sent, and the bookkeeping the
delivery worker does on it.

Rows are added in the caller's transaction, so a message exists if and only if the state
change that caused it was committed. The idempotency key makes a re-run of the same step
(a retried job, a restarted scheduler) a no-op instead of a duplicate.

The worker claims due rows with a lease (status "sending", ``not_before`` = lease end): if
it dies mid-send, any replica re-claims the row once the lease expires. A row becomes "sent"
only after the platform accepted it. Every function here works in the caller's session (a
unit of work); none of them commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from circles import clock
from circles.bulk import insert_rows
from circles.model import AuditEvent, Circle, OutboxMessage, PromptPost, Workspace
from circles.usecases.coordinators import coordinators

QUEUED = ("pending", "sending")


def enqueue(
    session: Session,
    workspace_id: int,
    key: str,
    action: str,
    target: str,
    payload: dict[str, Any],
    not_before: dt.datetime | None = None,
) -> OutboxMessage | None:
    """Add a message unless one with this key exists; returns the new row or None."""
    existing = session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.workspace_id == workspace_id, OutboxMessage.key == key
        )
    )
    if existing is not None:
        return None
    msg = OutboxMessage(
        workspace_id=workspace_id,
        key=key,
        action=action,
        target=target,
        payload=payload,
        not_before=not_before or clock.at(session),
        created_at=clock.at(session),
    )
    session.add(msg)
    return msg


def enqueue_for_coordinators(session: Session, workspace_id: int, key: str,
                             payload: dict[str, Any]) -> int:
    """A DM to each coordinator of the workspace (keys ``{key}:m{member id}``), carrying
    ``payload`` plus the recipient's ``user``; returns how many rows were new."""
    added = 0
    for m in coordinators(session, workspace_id):
        if enqueue(session, workspace_id, f"{key}:m{m.id}", "dm", f"member:{m.id}",
                   {**payload, "user": m.external_id}):
            added += 1
    return added


@dataclass(frozen=True)
class OutboxItem:
    """A claimed row, detached from the session: what the worker needs to send it."""

    id: int
    workspace_id: int
    workspace: str  # the platform's workspace id
    platform: str
    active: bool  # False: the bot was removed or uninstalled; nothing may be sent
    key: str
    action: str  # post|dm|create_space|invite|archive_space
    payload: dict[str, Any]
    attempts: int  # including this claim

    @property
    def circle_id(self) -> int | None:
        value = self.payload.get("circle_id")
        return int(value) if value is not None else None


@dataclass(frozen=True)
class SpaceLookup:
    """Where a circle's message goes: its space, or None with ``pending`` saying whether the
    space's creation is still queued (wait) or not (it will never come)."""

    space: str | None
    pending: bool = False


def claim_due(session: Session, now: dt.datetime, *, platforms: Collection[str], limit: int,
              lease_until: dt.datetime) -> list[OutboxItem]:
    """Lease up to ``limit`` due rows for platforms this worker can reach (and rows of
    inactive workspaces, to cancel them). On PostgreSQL rows another worker holds are
    skipped (FOR UPDATE SKIP LOCKED), so parallel workers never claim the same row."""
    query = (
        select(OutboxMessage, Workspace)
        .join(Workspace, Workspace.id == OutboxMessage.workspace_id)
        .where(
            OutboxMessage.status.in_(QUEUED),
            OutboxMessage.not_before <= now,
            or_(Workspace.platform.in_(list(platforms)), Workspace.active.is_(False)),
        )
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    items = []
    for msg, ws in session.execute(query).all():
        msg.status = "sending"
        msg.not_before = lease_until
        msg.attempts += 1
        items.append(OutboxItem(msg.id, ws.id, ws.external_id, ws.platform, ws.active, msg.key,
                                msg.action, dict(msg.payload), msg.attempts))
    return items


def space_for(session: Session, item: OutboxItem) -> SpaceLookup:
    """The space a circle's post/invite/archive goes to."""
    circle_id = item.circle_id
    if circle_id is None:
        return SpaceLookup(item.payload.get("space"))
    circle = session.scalar(
        select(Circle).where(Circle.workspace_id == item.workspace_id, Circle.id == circle_id)
    )
    if circle is None:
        return SpaceLookup(None)
    if circle.space_id:
        return SpaceLookup(circle.space_id)
    pending = session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.workspace_id == item.workspace_id,
            OutboxMessage.action == "create_space",
            OutboxMessage.target.in_((str(circle_id), f"circle:{circle_id}")),
            OutboxMessage.status.in_(QUEUED),
        )
    )
    if pending is None and item.payload.get("space"):
        return SpaceLookup(item.payload["space"])
    return SpaceLookup(None, pending=pending is not None)


def reschedule(session: Session, item_id: int, *, not_before: dt.datetime, attempts: int,
               note: str) -> None:
    """Put a claimed row back to pending until ``not_before`` (unless someone else already
    finished it)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item_id, OutboxMessage.status == "sending")
        .values(status="pending", attempts=attempts, last_error=note, not_before=not_before)
    )


def cancel(session: Session, item_id: int, note: str) -> None:
    """Drop a claimed row that must not be sent (its workspace is inactive)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item_id, OutboxMessage.status == "sending")
        .values(status="cancelled", last_error=note)
    )


def mark_sent(session: Session, item: OutboxItem, ref: str | None, now: dt.datetime) -> None:
    """The platform accepted the send: mark the row and record what it created (the circle's
    space id, the prompt's message reference, the archived flag)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item.id)
        .values(status="sent", sent_at=now, result_ref=ref, last_error="")
    )
    circle_id = item.circle_id
    if item.action == "create_space" and circle_id is not None:
        session.execute(update(Circle).where(
            Circle.workspace_id == item.workspace_id, Circle.id == circle_id).values(space_id=ref))
    elif item.action == "archive_space" and circle_id is not None:
        session.execute(update(Circle).where(
            Circle.workspace_id == item.workspace_id, Circle.id == circle_id).values(archived=True))
    elif item.action == "post" and item.payload.get("prompt_post_id"):
        session.execute(update(PromptPost).where(
            PromptPost.workspace_id == item.workspace_id,
            PromptPost.id == item.payload["prompt_post_id"]).values(message_ref=ref))


def mark_failed(session: Session, item: OutboxItem, error: str) -> None:
    """Give up on a row, leaving an audit record a coordinator can act on."""
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id == item.id)
        .values(status="failed", last_error=error)
    )
    session.add(AuditEvent(
        workspace_id=item.workspace_id, kind="delivery_failed",
        detail={"outbox_id": item.id, "key": item.key, "action": item.action, "error": error},
        created_at=clock.at(session),
    ))


def existing_keys(session: Session, workspace_id: int, keys: Collection[str]) -> set[str]:
    """Which of ``keys`` already have an outbox row (one query per 1,000 keys)."""
    found: set[str] = set()
    wanted = list(keys)
    for i in range(0, len(wanted), 1000):
        found.update(session.scalars(select(OutboxMessage.key).where(
            OutboxMessage.workspace_id == workspace_id, OutboxMessage.key.in_(wanted[i : i + 1000]))))
    return found


def enqueue_many(session: Session, workspace_id: int,
                 rows: list[tuple[str, str, str, dict[str, Any]]]) -> int:
    """`enqueue` for many (key, action, target, payload) rows as one batched INSERT: rows whose
    key already exists are left out, as `enqueue` would. Returns how many were added."""
    seen = existing_keys(session, workspace_id, [key for key, *_ in rows])
    now = clock.at(session)
    new = [dict(workspace_id=workspace_id, key=key, action=action, target=target, payload=payload,
                not_before=now, status="pending", attempts=0, last_error="", created_at=now)
           for key, action, target, payload in rows if key not in seen]
    insert_rows(session, OutboxMessage, new)
    return len(new)
