"""Writing to the outbox: the only way the engine causes something to be sent.

Rows are added in the caller's transaction, so a message exists if and only if the state
change that caused it was committed. The idempotency key makes a re-run of the same step
(a retried job, a restarted scheduler) a no-op instead of a duplicate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.model import OutboxMessage, utcnow


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
        not_before=not_before or utcnow(),
    )
    session.add(msg)
    return msg
