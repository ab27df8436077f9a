"""Who is speaking: a Slack user as an Identity, with admin flag and time zone.

Workspace admins and owners count as coordinators, and the profile form is prefilled with the
user's Slack time zone; both come from users.info. The answer is cached per workspace, so a
person's commands after their first cost no API call at all; Slack's ``user_change`` and
``team_join`` events keep the cache fresh (a rename or a new admin shows on the next command),
and the expiry is only a backstop for a missed event. Concurrent look-ups of one person share
a single call, and only the few fields used are kept, so a big workspace stays small in memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import Identity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    """The part of a Slack user object Circlebot uses."""

    name: str
    is_admin: bool
    timezone: str | None

    @classmethod
    def of(cls, info: dict[str, Any]) -> Person:
        profile = info.get("profile") or {}
        return cls(name=profile.get("display_name") or profile.get("real_name")
                   or info.get("name") or "",
                   is_admin=bool(info.get("is_admin") or info.get("is_owner")
                                 or info.get("is_primary_owner")),
                   timezone=info.get("tz") or None)


UNKNOWN = Person("", False, None)


class IdentityResolver:
    def __init__(self, ttl_seconds: float = 300.0, per_workspace: int = 200_000) -> None:
        self.ttl = ttl_seconds
        self.per_workspace = per_workspace
        self._teams: dict[str, dict[str, tuple[float, Person]]] = {}
        self._asking: dict[tuple[str, str], asyncio.Task[Person | None]] = {}

    async def resolve(self, client: AsyncWebClient, team: str, user: str,
                      channel: str | None = None, fallback_name: str = "") -> Identity:
        who = await self._person(client, team, user)
        return Identity(platform="slack", workspace=team, user=user,
                        display_name=who.name or fallback_name or user,
                        is_admin=who.is_admin, timezone=who.timezone, channel=channel)

    def cached(self, team: str, user: str) -> Person | None:
        hit = self._teams.get(team, {}).get(user)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    async def _person(self, client: AsyncWebClient, team: str, user: str) -> Person:
        hit = self.cached(team, user)
        if hit is not None:
            return hit
        key = (team, user)
        task = self._asking.get(key)
        if task is None:  # the first asker calls Slack; the others wait for its answer
            task = asyncio.ensure_future(self._ask(client, team, user))
            self._asking[key] = task
            task.add_done_callback(lambda _: self._asking.pop(key, None))
        found = await asyncio.shield(task)
        return found or UNKNOWN

    async def _ask(self, client: AsyncWebClient, team: str, user: str) -> Person | None:
        try:
            resp = await client.users_info(user=user)
            info = dict(resp.get("user") or {})
        except SlackApiError as exc:
            # Not fatal: the user is simply treated as a non-admin without a known zone.
            log.warning("users.info %s/%s failed: %s", team, user, exc.response.get("error"))
            return None
        if info.get("team_id") and info["team_id"] != team and not info.get("enterprise_user"):
            log.warning("users.info for %s answered with team %s", team, info["team_id"])
        return self._keep(team, user, Person.of(info))

    def learn(self, team: str, info: dict[str, Any]) -> None:
        """A user object from a ``user_change`` or ``team_join`` event: the freshest we get."""
        user = info.get("id")
        if team and user:
            self._keep(team, user, Person.of(info))

    def _keep(self, team: str, user: str, person: Person) -> Person:
        people = self._teams.setdefault(team, {})
        people.pop(user, None)
        while len(people) >= self.per_workspace:  # drop the longest-unrefreshed first
            del people[next(iter(people))]
        people[user] = (time.monotonic() + self.ttl, person)
        return person

    def forget_team(self, team: str) -> None:
        self._teams.pop(team, None)

    def forget_user(self, team: str, user: str) -> None:
        """After forget-me: nothing about the person stays in memory either."""
        self._teams.get(team, {}).pop(user, None)
