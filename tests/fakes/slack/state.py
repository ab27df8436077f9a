"""What the fake Slack remembers: teams, users, conversations, members and messages, plus
the records tests read back (calls, response_url bodies, acks, violations).

Kept apart from the HTTP server so the Web API methods (``web_api``) can be plain functions
of this state, and the server only routes and counts requests.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str = ""


@dataclass
class Rule:
    method: str
    error: str
    channel: str | None = None
    times: int | None = 1
    status: int = 200
    retry_after: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Team:
    id: str
    name: str
    bot_token: str
    bot_user: str
    bot_id: str
    revoked: bool = False


class SlackState:
    """The workspace data behind the fake; ``violations`` collects anything real Slack
    would have rejected (tests assert it is empty)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []  # bodies POSTed to response_url hooks
        self.acks: list[dict[str, Any]] = []  # Socket Mode acks from the client
        self.violations: list[str] = []
        self.history_calls = 0  # conversations.history / .replies look-ups
        self.teams: dict[str, Team] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = {}
        self.messages: list[dict[str, Any]] = []
        self.rules: list[Rule] = []
        self.uploads: dict[str, dict[str, Any]] = {}  # file id -> announced upload (files.py)
        self.files: list[dict[str, Any]] = []  # files shared by completeUploadExternal
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)

    # -------------------------------------------------------------- set-up

    def add_team(self, team_id: str, name: str = "", token: str | None = None) -> Team:
        n = len(self.teams) + 1
        team = Team(team_id, name or f"Team {team_id}", token or f"xoxb-{team_id}-bot",
                    f"UBOT{n}", f"BBOT{n}")
        self.teams[team_id] = team
        self.add_user(team_id, team.bot_user, "circlebot", is_bot=True)
        return team

    def add_user(self, team: str, user: str, name: str = "", *, tz: str = "Europe/Berlin",
                 admin: bool = False, owner: bool = False, is_bot: bool = False) -> dict[str, Any]:
        name = name or user.lower()
        obj = {"id": user, "team_id": team, "name": name, "deleted": False, "real_name": name.title(),
               "tz": tz, "tz_label": tz, "tz_offset": 3600, "is_admin": admin or owner,
               "is_owner": owner, "is_primary_owner": owner, "is_restricted": False,
               "is_ultra_restricted": False, "is_bot": is_bot, "is_app_user": False,
               "updated": int(time.time()),
               "profile": {"real_name": name.title(), "display_name": name, "team": team}}
        self.users[user] = obj
        return obj

    def add_channel(self, team: str, name: str, *, private: bool = False,
                    members: list[str] | None = None, bot_member: bool = True,
                    cid: str | None = None, creator: str | None = None) -> str:
        cid = cid or self._new_id("G" if private else "C")
        self.channels[cid] = self._conversation(cid, team, name, private)
        if creator is not None:  # a channel a person made (the bot's own say the bot)
            self.channels[cid]["creator"] = creator
        self.members[cid] = set(members or [])
        if bot_member:
            self.members[cid].add(self.teams[team].bot_user)
        return cid

    def fail(self, method: str, error: str, *, channel: str | None = None,
             times: int | None = 1, status: int = 200, retry_after: int | None = None,
             **extra: Any) -> None:
        """Make the next ``times`` calls of ``method`` (to ``channel``) fail like Slack."""
        self.rules.append(Rule(method, error, channel, times, status, retry_after, extra))

    def delete_channel(self, channel: str) -> None:
        self.channels.pop(channel, None)
        self.members.pop(channel, None)

    def revoke(self, team: str) -> None:
        self.teams[team].revoked = True

    # ----------------------------------------------------------- queries

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.channels.values() if c["name"] == name), None)

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages if channel is None or m["channel"] == channel]

    # ----------------------------------------------------------- helpers for web_api

    def take_rule(self, method: str, params: dict[str, Any]) -> Rule | None:
        """The first armed failure for this call, used up by one."""
        for rule in self.rules:
            if rule.method == method and rule.channel in (None, params.get("channel")) \
                    and (rule.times is None or rule.times > 0):
                if rule.times is not None:
                    rule.times -= 1
                return rule
        return None

    def access(self, team: Team, cid: str) -> tuple[dict[str, Any] | None, str | None]:
        """The conversation as the bot may see it, or Slack's error for why not."""
        ch = self.channels.get(cid)
        if ch is None or ch["context_team_id"] != team.id:
            return None, "channel_not_found"
        member = team.bot_user in self.members.get(cid, set())
        if ch["is_private"] and not member and not ch.get("is_mpim"):
            return None, "channel_not_found"
        if ch["is_archived"]:
            return ch, "is_archived"
        if not member:
            return ch, "not_in_channel"
        return ch, None

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._ids):08d}"

    def _new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _conversation(self, cid: str, team: str, name: str, private: bool) -> dict[str, Any]:
        now = int(time.time())
        return {"id": cid, "name": name, "is_channel": not private, "is_group": private,
                "is_im": False, "is_mpim": False, "is_private": private, "created": now,
                "is_archived": False, "is_general": False, "unlinked": 0,
                "name_normalized": name, "is_shared": False, "is_org_shared": False,
                "is_pending_ext_shared": False, "pending_shared": [], "context_team_id": team,
                "updated": now * 1000, "parent_conversation": None,
                "creator": self.teams[team].bot_user, "is_ext_shared": False,
                "shared_team_ids": [team], "pending_connected_team_ids": [], "is_member": True,
                "last_read": "0000000000.000000",
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
                "previous_names": [], "priority": 0}
