"""Platform credentials: save, find and forget the secrets a platform gave us.

The engine only stores them; what is inside ``data`` belongs to the platform's adapter,
which maps its SDK's objects to and from these rows. Keys are the platform's own
workspace keys (see :class:`circles.model.Credential` for why they are not tenant ids).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from circles.model import Credential


def save(session: Session, platform: str, workspace_key: str, kind: str,
         data: dict[str, Any]) -> None:
    """Insert or replace: installing again (new scopes, a rotated token) overwrites."""
    row = session.scalar(select(Credential).where(
        Credential.platform == platform, Credential.workspace_key == workspace_key,
        Credential.kind == kind))
    if row is None:
        session.add(Credential(platform=platform, workspace_key=workspace_key, kind=kind,
                               data=dict(data)))
        return
    row.data = dict(data)


def find(session: Session, platform: str, workspace_key: str, kind: str) -> dict[str, Any] | None:
    """A copy of the stored data, or None when nothing is stored for that key."""
    data = session.scalar(select(Credential.data).where(
        Credential.platform == platform, Credential.workspace_key == workspace_key,
        Credential.kind == kind))
    return None if data is None else dict(data)


def forget(session: Session, platform: str, workspace_key: str) -> None:
    """Drop every credential of that workspace (the app was removed or its tokens revoked)."""
    session.execute(delete(Credential).where(
        Credential.platform == platform, Credential.workspace_key == workspace_key))
