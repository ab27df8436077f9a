"""Who is acting, resolved once per unit of work, and the tenant-scoped look-ups every use
case shares. A user of another workspace is simply not found: that is what keeps tenants
apart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles import clock
from circles.errors import DomainError
from circles.model import AuditEvent, Member, Profile, Workspace
from circles.once import insert_once


@dataclass
class Actor:
    """The person a request comes from, inside one unit of work."""

    session: Session
    workspace: Workspace
    member: Member
    platform_admin: bool = False

    @property
    def now(self) -> dt.datetime:
        """The bot's clock for this request: what the rows it writes are stamped with."""
        return clock.at(self.session)

    @property
    def is_coordinator(self) -> bool:
        return self.member.is_coordinator or self.platform_admin


def enter(session: Session, platform: str, workspace: str, user: str, display_name: str = "",
          *, platform_admin: bool = False, configured_coordinator: bool = False) -> Actor:
    """Resolve (creating on first sight) the workspace and member a request comes from.

    Platform admins and configured coordinators are remembered as coordinators, so the
    scheduler's digests and failure notices (which have no request to ask) reach them."""
    ws = get_workspace(session, platform, workspace)
    me = get_member(session, ws, user, display_name)
    if not me.is_coordinator and (platform_admin or configured_coordinator):
        me.is_coordinator = True
    return Actor(session, ws, me, platform_admin)


def get_workspace(session: Session, platform: str, external_id: str, name: str = "") -> Workspace:
    ws = find_workspace(session, platform, external_id)
    if ws is None:
        # two first requests from a new workspace may race: the loser reads the winner's row
        ws, _ = insert_once(session, Workspace(platform=platform, external_id=external_id,
                                               name=name or external_id,
                                               created_at=clock.at(session)),
                            lambda: find_workspace(session, platform, external_id))
        assert ws is not None
    elif not ws.active:
        # A command can only arrive from an installed app: this is a reinstall.
        ws.active = True
        ws.purge_after = None  # ... so the purge is cancelled (privacy12)
    return ws


def find_workspace(session: Session, platform: str, external_id: str) -> Workspace | None:
    return session.scalar(
        select(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
    )


def deactivate_workspace(session: Session, platform: str, external_id: str) -> bool:
    ws = find_workspace(session, platform, external_id)
    if ws is None:
        return False
    ws.active = False
    audit(session, ws.id, None, "workspace.deactivated", {"platform": platform})
    return True


def get_member(session: Session, ws: Workspace, external_id: str, display_name: str = "") -> Member:
    def find() -> Member | None:
        return session.scalar(
            select(Member).where(Member.workspace_id == ws.id, Member.external_id == external_id))

    m = find()
    if m is None:  # a person's first two commands may race: one row, and both go on
        m, _ = insert_once(session, Member(workspace_id=ws.id, external_id=external_id,
                                           display_name=display_name or external_id,
                                           created_at=clock.at(session)), find)
        assert m is not None
    elif display_name and m.display_name != display_name:
        m.display_name = display_name
    return m


def find_member(session: Session, ws: Workspace, external_id: str | None = None,
                name: str | None = None) -> Member:
    """Resolve a mention inside this workspace only."""
    q = select(Member).where(Member.workspace_id == ws.id)
    m = None
    if external_id:
        m = session.scalar(q.where(Member.external_id == external_id))
    if m is None and name:
        m = session.scalar(q.where(func.lower(Member.display_name) == name.lower()))
        if m is None:
            m = session.scalar(q.where(func.lower(Member.external_id) == name.lower()))
    if m is None:
        raise DomainError("member_not_found", external_id=external_id, name=name)
    return m


def audit(session: Session, workspace_id: int, actor: int | None, kind: str,
          detail: dict[str, Any]) -> None:
    session.add(AuditEvent(workspace_id=workspace_id, actor_member_id=actor, kind=kind,
                           detail=detail, created_at=clock.at(session)))


def get_profile(session: Session, m: Member) -> Profile:
    def find() -> Profile | None:
        return session.scalar(select(Profile).where(Profile.member_id == m.id,
                                                    Profile.workspace_id == m.workspace_id))

    p = find()
    if p is None:
        p, _ = insert_once(session, Profile(workspace_id=m.workspace_id, member_id=m.id), find)
        assert p is not None
    return p
