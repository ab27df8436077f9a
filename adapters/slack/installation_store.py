"""Slack OAuth installations and OAuth state, kept where the rest of our data lives.

One row per Slack team in ``installations`` (bot-only: Circlebot never acts as a user), so
every replica behind a load balancer sees the same tokens. The OAuth ``state`` is signed
rather than stored: any replica can verify a callback started on another, with no table.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from circles.db import unit_of_work
from circles.model import Installation as InstallationRow

PLATFORM = "slack"
KEPT = ("app_id", "enterprise_id", "enterprise_name", "team_id", "team_name", "bot_token",
        "bot_id", "bot_user_id", "user_id", "is_enterprise_install", "token_type")


def _team_key(enterprise_id: str | None, team_id: str | None) -> str:
    """Org-wide (Enterprise Grid) installs have no team; key them by the enterprise."""
    return team_id or f"E:{enterprise_id}"


class DbInstallationStore(AsyncInstallationStore):
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self._save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        inst = Installation(app_id=bot.app_id, enterprise_id=bot.enterprise_id,
                            team_id=bot.team_id, bot_token=bot.bot_token, bot_id=bot.bot_id,
                            bot_user_id=bot.bot_user_id, bot_scopes=bot.bot_scopes,
                            user_id="", is_enterprise_install=bot.is_enterprise_install)
        await self.async_save(inst)

    def _save(self, inst: Installation) -> None:
        data: dict[str, Any] = {k: getattr(inst, k, None) for k in KEPT}
        data["bot_scopes"] = ",".join(inst.bot_scopes or [])
        data["installed_at"] = inst.installed_at
        key = _team_key(inst.enterprise_id, inst.team_id)
        with unit_of_work(self.sessions) as s:
            row = s.scalar(select(InstallationRow).where(
                InstallationRow.platform == PLATFORM, InstallationRow.team_id == key))
            if row is None:
                row = InstallationRow(platform=PLATFORM, team_id=key)
                s.add(row)
            row.enterprise_id = inst.enterprise_id
            row.bot_token = inst.bot_token or ""
            row.bot_user_id = inst.bot_user_id or ""
            row.bot_id = inst.bot_id or ""
            row.data = data

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False
                                      ) -> Installation | None:
        data = await asyncio.to_thread(self._load, enterprise_id, team_id)
        if data is None:
            return None
        return Installation(**data)

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        inst = await self.async_find_installation(enterprise_id=enterprise_id, team_id=team_id)
        return inst.to_bot() if inst and inst.bot_token else None

    def _load(self, enterprise_id: str | None, team_id: str | None) -> dict[str, Any] | None:
        keys = [k for k in (team_id, f"E:{enterprise_id}" if enterprise_id else None) if k]
        with unit_of_work(self.sessions) as s:
            for key in keys:
                row = s.scalar(select(InstallationRow).where(
                    InstallationRow.platform == PLATFORM, InstallationRow.team_id == key))
                if row is not None and row.bot_token:
                    data = dict(row.data or {})
                    data.update(team_id=data.get("team_id") or team_id,
                                bot_token=row.bot_token, bot_id=row.bot_id,
                                bot_user_id=row.bot_user_id,
                                user_id=data.get("user_id") or "")
                    return data
        return None

    async def async_delete_bot(self, *, enterprise_id: str | None,
                               team_id: str | None) -> None:
        await asyncio.to_thread(self._delete, enterprise_id, team_id)

    async def async_delete_installation(self, *, enterprise_id: str | None,
                                        team_id: str | None,
                                        user_id: str | None = None) -> None:
        await asyncio.to_thread(self._delete, enterprise_id, team_id)

    async def async_delete_all(self, *, enterprise_id: str | None,
                               team_id: str | None) -> None:
        await asyncio.to_thread(self._delete, enterprise_id, team_id)

    def _delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        with unit_of_work(self.sessions) as s:
            s.execute(delete(InstallationRow).where(
                InstallationRow.platform == PLATFORM,
                InstallationRow.team_id == _team_key(enterprise_id, team_id)))

    async def bot_token(self, team_id: str) -> str | None:
        bot = await self.async_find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot else None


class SignedStateStore(AsyncOAuthStateStore):
    """OAuth state as ``nonce.expiry.hmac``: verifiable by any replica, expires on its own.
    Bolt also binds the state to a browser cookie, which is what stops replay from another
    browser; a stored single-use table would add nothing but a write per install."""

    def __init__(self, secret: str, expiration_seconds: int = 600) -> None:
        if not secret:
            raise ValueError("slack.state_secret (SLACK_STATE_SECRET) is needed for OAuth")
        self.secret = secret.encode()
        self.expiration_seconds = expiration_seconds

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self.secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        payload = f"{secrets.token_urlsafe(16)}.{int(time.time()) + self.expiration_seconds}"
        return f"{payload}.{self._sign(payload)}"

    async def async_consume(self, state: str) -> bool:
        payload, _, mac = state.rpartition(".")
        if not payload or not hmac.compare_digest(mac, self._sign(payload)):
            return False
        try:
            expires = int(payload.rsplit(".", 1)[1])
        except (IndexError, ValueError):
            return False
        return time.time() <= expires
