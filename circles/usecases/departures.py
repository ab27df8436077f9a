"""When a membership ends (the member left, was rematched or was moved), the circle's space
follows: the member is taken out of the old channel or thread and the circle is told, in the
same transaction as the change, through the outbox (durable, retried, keyed).

Keys carry an episode number, so someone who returns to a circle and leaves it again is
invited and removed again, while a retried or re-run step stays a no-op.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles import notices
from circles.model import Circle, Member, OutboxMessage
from circles.outbox import enqueue


def episode_key(session: Session, workspace_id: int, base: str) -> str:
    """``base`` the first time, then ``base:2``, ``base:3``… for each later episode."""
    seen = session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.workspace_id == workspace_id,
        (OutboxMessage.key == base) | OutboxMessage.key.like(f"{base}:%"))) or 0
    return base if not seen else f"{base}:{seen + 1}"


def membership_ended(session: Session, m: Member, circle: Circle) -> None:
    """Queue the member's removal from the circle's space and a neutral notice to the
    circle. A circle already archived (its round is over) is left as it is."""
    if circle.archived:
        return
    base = f"{circle.id}:{m.id}"
    enqueue(session, m.workspace_id, episode_key(session, m.workspace_id, f"remove:{base}"),
            "remove_member", f"circle:{circle.id}",
            {"circle_id": circle.id, "users": [m.external_id]})
    notices.to_circle(session, m.workspace_id, circle.id,
                      episode_key(session, m.workspace_id, f"departed:{base}"),
                      notices.MemberDeparted(m.display_name))
