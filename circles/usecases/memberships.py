"""A member's circles: read through the member's own memberships, so the cost grows with
their circles, not with the round."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import DomainError
from circles.model import Circle, Member, Membership, Round


def active_memberships(session: Session, m: Member) -> list[tuple[Circle, Membership]]:
    rows = session.execute(
        select(Circle, Membership)
        .join(Membership, Membership.circle_id == Circle.id)
        .join(Round, Round.id == Circle.round_id)
        .where(
            Membership.workspace_id == m.workspace_id,
            Membership.member_id == m.id,
            Membership.active.is_(True),
            Round.status == "active",
        )
        .order_by(Circle.id)
    ).all()
    return [(c, ms) for c, ms in rows]


def circle_members(session: Session, circle: Circle) -> list[tuple[Member, Membership]]:
    """One circle's active members, by id."""
    rows = session.execute(
        select(Member, Membership)
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.workspace_id == circle.workspace_id, Membership.circle_id == circle.id,
               Membership.active.is_(True))
        .order_by(Member.id)
    ).all()
    return [(m, ms) for m, ms in rows]


def require_circle_member(session: Session, m: Member, circle_id: int) -> Circle:
    for circle, _ in active_memberships(session, m):
        if circle.id == circle_id:
            return circle
    raise DomainError("not_in_that_circle")


def only_circle(session: Session, m: Member) -> Circle:
    circles = active_memberships(session, m)
    if not circles:
        raise DomainError("no_active_circle")
    return circles[0][0]
