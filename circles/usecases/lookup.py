"""Suggestions while someone types an option (programs, members), within their workspace."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.model import Member, Program
from circles.usecases.context import find_workspace

LIMIT = 25


def suggest(session: Session, platform: str, workspace: str, kind: str,
            prefix: str) -> list[tuple[str, str]]:
    """(value, label) pairs whose label contains ``prefix``; nothing for an unknown workspace."""
    ws = find_workspace(session, platform, workspace)
    if ws is None:
        return []
    low = prefix.lower()
    if kind == "program":
        rows = session.execute(select(Program.name, Program.name).where(
            Program.workspace_id == ws.id, func.lower(Program.name).contains(low, autoescape=True))
            .order_by(Program.id).limit(LIMIT)).all()
    elif kind == "member":
        rows = session.execute(select(Member.external_id, Member.display_name).where(
            Member.workspace_id == ws.id, func.lower(Member.display_name).contains(low, autoescape=True))
            .order_by(Member.display_name).limit(LIMIT)).all()
    else:
        return []
    return [(a, b) for a, b in rows]


def undelivered(session: Session) -> int:
    """How many outbox messages are still waiting to be sent."""
    from circles.model import OutboxMessage
    return int(session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status == "pending")) or 0)
