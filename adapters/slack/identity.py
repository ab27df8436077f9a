"""Who is speaking: a Slack user as an Identity, with admin flag and time zone.

Workspace admins and owners count as coordinators, and the profile form is prefilled with the
user's Slack time zone; both come from users.info. It is cached briefly per (team, user) so a
burst of clicks costs one API call, while a demoted admin loses the role within minutes.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import Identity

log = logging.getLogger(__name__)


class IdentityResolver:
    def __init__(self, ttl_seconds: float = 300.0) -> None:
        self.ttl = ttl_seconds
        self._cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}

    async def resolve(self, client: AsyncWebClient, team: str, user: str,
                      channel: str | None = None, fallback_name: str = "") -> Identity:
        info = await self._info(client, team, user)
        profile = info.get("profile") or {}
        name = (profile.get("display_name") or profile.get("real_name") or info.get("name")
                or fallback_name or user)
        return Identity(platform="slack", workspace=team, user=user, display_name=name,
                        is_admin=bool(info.get("is_admin") or info.get("is_owner")
                                      or info.get("is_primary_owner")),
                        timezone=info.get("tz") or None, channel=channel)

    async def _info(self, client: AsyncWebClient, team: str, user: str) -> dict[str, Any]:
        key = (team, user)
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit and hit[0] > now:
            return hit[1]
        try:
            resp = await client.users_info(user=user)
            info = dict(resp.get("user") or {})
        except SlackApiError as exc:
            # Not fatal: the user is simply treated as a non-admin without a known zone.
            log.warning("users.info %s/%s failed: %s", team, user, exc.response.get("error"))
            return {}
        if info.get("team_id") and info["team_id"] != team and not info.get("enterprise_user"):
            log.warning("users.info for %s answered with team %s", team, info["team_id"])
        self._cache[key] = (now + self.ttl, info)
        return info

    def forget_team(self, team: str) -> None:
        for key in [k for k in self._cache if k[0] == team]:
            del self._cache[key]
