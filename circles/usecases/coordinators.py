"""Who coordinates a workspace. One list, in one order (by name), for replies, digests and
failure notices alike."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import DomainError
from circles.model import Member
from circles.usecases.context import Actor, audit, find_member


def coordinators(session: Session, workspace_id: int) -> list[Member]:
    return list(session.scalars(
        select(Member)
        .where(Member.workspace_id == workspace_id, Member.is_coordinator.is_(True))
        .order_by(Member.display_name, Member.id)
    ))


def coordinator_names(actor: Actor) -> list[str]:
    return [m.display_name for m in coordinators(actor.session, actor.workspace.id)]


def add_coordinator(actor: Actor, external_id: str | None, name: str | None) -> str:
    """Make someone a coordinator; returns their display name."""
    m = find_member(actor.session, actor.workspace, external_id, name)
    if m.is_coordinator:
        raise DomainError("already_coordinator", name=m.display_name)
    m.is_coordinator = True
    audit(actor.session, actor.workspace.id, actor.member.id, "coordinator.added", {"member": m.id})
    return m.display_name


def remove_coordinator(actor: Actor, external_id: str | None, name: str | None) -> str:
    """Stop someone coordinating; returns their display name. The last coordinator stays,
    so a workspace is never left with nobody able to run it."""
    m = find_member(actor.session, actor.workspace, external_id, name)
    if not m.is_coordinator:
        raise DomainError("not_a_coordinator", name=m.display_name)
    if len(coordinators(actor.session, actor.workspace.id)) <= 1:
        raise DomainError("last_coordinator", name=m.display_name)
    m.is_coordinator = False
    audit(actor.session, actor.workspace.id, actor.member.id, "coordinator.removed", {"member": m.id})
    return m.display_name
