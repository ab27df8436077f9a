"""Slack OAuth installations and OAuth state, kept where the rest of our data lives.

One engine credential per Slack team (platform ``slack``, kind ``bot``; bot-only: Circlebot
never acts as a user), so every replica behind a load balancer sees the same tokens. This
store owns the mapping between slack_sdk's Installation/Bot objects and those neutral rows;
the engine never looks inside them. The OAuth ``state`` is signed rather than stored: any
replica can verify a callback started on another, with no table.
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
from sqlalchemy.orm import Session, sessionmaker

from circles import credentials, purge
from circles.db import unit_of_work

PLATFORM = "slack"
KIND = "bot"
KEPT = ("app_id", "enterprise_id", "enterprise_name", "team_id", "team_name", "bot_token",
        "bot_id", "bot_user_id", "user_id", "is_enterprise_install", "token_type")


def _team_key(enterprise_id: str | None, team_id: str | None) -> str:
    """Org-wide (Enterprise Grid) installs have no team; key them by the enterprise."""
    return team_id or f"E:{enterprise_id}"


def to_data(inst: Installation) -> dict[str, Any]:
    """What we keep of an installation: the bot's side only, as JSON-safe values."""
    data: dict[str, Any] = {k: getattr(inst, k, None) for k in KEPT}
    data["bot_scopes"] = ",".join(inst.bot_scopes or [])
    data["installed_at"] = inst.installed_at
    return data


def from_data(data: dict[str, Any], team_id: str | None) -> Installation | None:
    """The installation a stored credential describes, or None when it holds no token."""
    if not data.get("bot_token"):
        return None
    fields = {k: data.get(k) for k in (*KEPT, "bot_scopes", "installed_at") if k in data}
    fields.update(team_id=data.get("team_id") or team_id, user_id=data.get("user_id") or "",
                  bot_id=data.get("bot_id") or "", bot_user_id=data.get("bot_user_id") or "")
    return Installation(**fields)


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
        with unit_of_work(self.sessions) as s:
            key = _team_key(inst.enterprise_id, inst.team_id)
            credentials.save(s, PLATFORM, key, KIND, to_data(inst))
            purge.restore(s, PLATFORM, key)  # a reinstall within the grace period keeps the data

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False
                                      ) -> Installation | None:
        return await asyncio.to_thread(self._load, enterprise_id, team_id)

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        inst = await self.async_find_installation(enterprise_id=enterprise_id, team_id=team_id)
        return inst.to_bot() if inst and inst.bot_token else None

    def _load(self, enterprise_id: str | None, team_id: str | None) -> Installation | None:
        """The team's own install first, then its enterprise's org-wide one."""
        keys = [k for k in (team_id, f"E:{enterprise_id}" if enterprise_id else None) if k]
        with unit_of_work(self.sessions) as s:
            for key in keys:
                data = credentials.find(s, PLATFORM, key, KIND)
                inst = from_data(data, team_id) if data is not None else None
                if inst is not None:
                    return inst
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
            credentials.forget(s, PLATFORM, _team_key(enterprise_id, team_id))

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
