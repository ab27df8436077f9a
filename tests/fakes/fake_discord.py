"""A fake Discord REST API on loopback, plus the gateway payload builders the tests feed
to discord.py.

Real discord.py talks to it (``discord.http.Route.BASE`` is pointed here), so every request
our adapter makes goes through the library's own routing, rate limiting and error mapping.
Objects are shaped per Discord's OpenAPI description (shared/specs/discord/openapi.json);
the fake also enforces the message and embed limits Discord enforces, answering 50035
like the real service, so a rendering bug shows up as a failed request in a test.

The payload builders at the bottom feed discord.py's *private* gateway parsers
(``ConnectionState.parse_interaction_create`` and friends). That is the pinned private API
use (discord.py 2.7): keep every payload shape here, in one place.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

APP_ID = "2000"
BOT_USER: dict[str, Any] = {
    "id": "1000",
    "username": "circlebot",
    "discriminator": "0",
    "avatar": None,
    "global_name": "Circlebot",
    "bot": True,
}
APP: dict[str, Any] = {
    "id": APP_ID,
    "name": "circlebot",
    "description": "",
    "icon": None,
    "bot_public": False,
    "bot_require_code_grant": False,
    "owner": {**BOT_USER, "id": "3000", "bot": False, "username": "owner"},
    "verify_key": "00",
    "flags": 0,
}
TIMESTAMP = "2026-01-01T00:00:00+00:00"
MANAGE_GUILD = 1 << 5
EPHEMERAL = 64


def jresp(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py's json_or_text() needs content-type exactly ``application/json``."""
    return web.Response(
        body=json.dumps(obj).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_body(code: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return body


@dataclass
class Call:
    method: str
    path: str
    body: Any
    query: dict[str, str]


@dataclass
class Scripted:
    """An injected answer for the next ``times`` requests matching method + path regex."""

    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class FakeGuild:
    id: str
    name: str
    channels: list[str] = field(default_factory=list)


class FakeDiscord:
    """Stateful enough to follow a circle's life: guild channels, private threads with
    members, messages, DM channels, archived/locked threads, synced commands."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.guilds: dict[str, FakeGuild] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.thread_members: dict[str, set[str]] = {}
        self.dm_channels: dict[str, str] = {}
        self.reactions: dict[str, list[str]] = {}  # message id -> emoji
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> commands
        self._scripted: list[Scripted] = []
        self._ids = itertools.count(900_000_000_000_000_001)
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self.server = TestServer(app)

    # -- test controls -------------------------------------------------------------------
    @property
    def base(self) -> str:
        return str(self.server.make_url("/api/v10"))

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_guild(self, guild_id: str, name: str = "Guild", hub: str = "circles") -> str:
        """A guild with a text channel named ``hub``; returns the hub channel's id."""
        guild = FakeGuild(guild_id, name)
        self.guilds[guild_id] = guild
        hub_id = self.new_id()
        self.channels[hub_id] = text_channel(hub_id, guild_id, hub)
        guild.channels.append(hub_id)
        return hub_id

    def fail(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        self._scripted.append(
            Scripted(method, re.compile(path_regex), status, body, headers or {}, times)
        )

    def rate_limit(self, method: str, path_regex: str, retry_after: float, times: int = 1) -> None:
        """Answer 429 like Discord: JSON body plus Retry-After / X-RateLimit headers. The
        ``Via`` header is what tells discord.py this is Discord, not a Cloudflare ban."""
        self.fail(
            method,
            path_regex,
            429,
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
            headers={
                "Retry-After": str(retry_after),
                "X-RateLimit-Scope": "user",
                "X-RateLimit-Reset-After": str(retry_after),
                "Via": "1.1 google",
            },
            times=times,
        )

    def requests(self, method: str, path_regex: str) -> list[Call]:
        rx = re.compile(path_regex)
        return [c for c in self.calls if c.method == method and rx.fullmatch(c.path)]

    def callbacks(self) -> list[Call]:
        return self.requests("POST", r"/interactions/\d+/[^/]+/callback")

    def followups(self) -> list[Call]:
        return self.requests("POST", rf"/webhooks/{APP_ID}/[^/]+")

    def posted(self, channel_id: str) -> list[dict[str, Any]]:
        return self.messages.get(channel_id, [])

    # -- the server ----------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        path = "/" + request.path.split("/api/v10/", 1)[1]
        self.calls.append(Call(request.method, path, body, dict(request.query)))
        for s in self._scripted:
            if s.times > 0 and s.method == request.method and s.pattern.fullmatch(path):
                s.times -= 1
                return jresp(s.body, s.status, s.headers)
        try:
            return self._route(request.method, path, body)
        except _ApiError as exc:
            return jresp(exc.body, exc.status)

    def _route(self, method: str, path: str, body: Any) -> web.Response:
        parts = path.strip("/").split("/")
        if path == "/users/@me" and method == "GET":
            return jresp(BOT_USER)
        if path == "/oauth2/applications/@me":
            return jresp(APP)
        if path == "/users/@me/channels" and method == "POST":
            return jresp(self._dm_channel(str(body["recipient_id"])))
        if parts[0] == "applications" and method == "PUT":
            scope = parts[3] if parts[2] == "guilds" else "global"
            synced = [{**c, "id": self.new_id(), "application_id": APP_ID, "version": "1"} for c in body]
            self.commands[scope] = synced
            return jresp(synced)
        if parts[0] == "interactions" and parts[-1] == "callback":
            return self._interaction_callback(parts[1], body)
        if parts[0] == "webhooks":
            if method == "POST":
                return jresp(self._message("5000", body, flags=body.get("flags", 0)))
            if method == "PATCH":
                return jresp(self._message("5000", body))
            return web.Response(status=204)
        if parts[0] == "guilds" and parts[-1] == "channels" and method == "GET":
            guild = self.guilds.get(parts[1])
            if guild is None:
                raise _ApiError(404, error_body(10004, "Unknown Guild"))
            return jresp([self.channels[c] for c in guild.channels])
        if parts[0] == "channels":
            return self._channels(method, parts, body)
        raise _ApiError(404, error_body(0, f"404: Not Found ({method} {path})"))

    def _channels(self, method: str, parts: list[str], body: Any) -> web.Response:
        channel_id = parts[1]
        channel = self.channels.get(channel_id)
        if channel is None:
            raise _ApiError(404, error_body(10003, "Unknown Channel"))
        if len(parts) == 2 and method == "GET":
            return jresp(channel)
        if len(parts) == 2 and method == "PATCH":
            meta = channel.get("thread_metadata")
            if meta is not None:
                for key in ("archived", "locked"):
                    if key in body:
                        meta[key] = body[key]
            if "name" in body:
                channel["name"] = body["name"]
            return jresp(channel)
        if parts[2] == "threads" and method == "POST":
            return jresp(self._thread(channel, body), 201)
        if parts[2] == "thread-members" and method == "PUT":
            if channel.get("thread_metadata", {}).get("archived"):
                raise _ApiError(400, error_body(50083, "Thread is archived"))
            self.thread_members.setdefault(channel_id, set()).add(parts[3])
            return web.Response(status=204)
        if parts[2] == "messages" and method == "GET" and len(parts) == 3:
            history = [{k: v for k, v in m.items() if k != "allowed_mentions"}
                       for m in reversed(self.messages.get(channel_id, []))]  # newest first
            return jresp(history)
        if parts[2] == "messages" and len(parts) >= 6 and parts[4] == "reactions" and method == "PUT":
            self.reactions.setdefault(parts[3], []).append(parts[5])
            return web.Response(status=204)
        if parts[2] == "messages" and method == "POST":
            if channel.get("thread_metadata", {}).get("locked"):
                raise _ApiError(403, error_body(50083, "Thread is locked"))
            msg = self._message(channel_id, body)
            # kept as sent, so tests can see whom it was allowed to ping
            self.messages.setdefault(channel_id, []).append(
                {**msg, "allowed_mentions": body.get("allowed_mentions")}
            )
            return jresp(msg)
        raise _ApiError(404, error_body(0, "404: Not Found"))

    def _interaction_callback(self, interaction_id: str, body: dict[str, Any]) -> web.Response:
        data = body.get("data") or {}
        if body.get("type") == 9:
            _check_modal(data)
        elif body.get("type") in (4, 7):
            _check_message(data)
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": body.get("type") == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
            }
        }
        if body.get("type") in (4, 7):
            answer["resource"] = {"type": body["type"], "message": self._message("5000", data)}
        return jresp(answer)

    def _dm_channel(self, user_id: str) -> dict[str, Any]:
        if user_id not in self.dm_channels:
            cid = self.new_id()
            self.dm_channels[user_id] = cid
            self.channels[cid] = {
                "id": cid,
                "type": 1,
                "flags": 0,
                "last_message_id": None,
                "recipients": [user(user_id)],
            }
        return self.channels[self.dm_channels[user_id]]

    def _thread(self, parent: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        if parent.get("type") != 0:
            raise _ApiError(400, error_body(50024, "Cannot execute action on this channel type"))
        name = body.get("name", "")
        if not 1 <= len(name) <= 100:
            raise _ApiError(400, _form_error("name", "Must be between 1 and 100 in length."))
        tid = self.new_id()
        thread = {
            "id": tid,
            "type": body.get("type", 11),
            "flags": 0,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "name": name,
            "owner_id": BOT_USER["id"],
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "thread_metadata": {
                "archived": False,
                "archive_timestamp": TIMESTAMP,
                "auto_archive_duration": body.get("auto_archive_duration", 10080),
                "locked": False,
                "invitable": body.get("invitable", True),
            },
        }
        self.channels[tid] = thread
        self.guilds[parent["guild_id"]].channels.append(tid)
        self.thread_members[tid] = {BOT_USER["id"]}
        return thread

    def _message(self, channel_id: str, body: dict[str, Any], flags: int = 0) -> dict[str, Any]:
        _check_message(body)
        return {
            "id": self.new_id(),
            "channel_id": channel_id,
            "type": 0,
            "content": body.get("content") or "",
            "author": BOT_USER,
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": False,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "flags": flags,
            "components": body.get("components") or [],
            **({"message_reference": body["message_reference"]} if body.get("message_reference") else {}),
        }


class _ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


def _form_error(where: str, message: str) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    node = errors
    for part in where.split("."):
        node = node.setdefault(part, {})
    node["_errors"] = [{"code": "BASE_TYPE_MAX_LENGTH", "message": message}]
    return error_body(50035, "Invalid Form Body", errors)


def _check_message(body: dict[str, Any]) -> None:
    """Discord's own limits (message 2,000; embeds 6,000 in total, title 256, description
    4,096, 25 fields, field name 256 and value 1,024; 10 embeds; custom ids 100)."""
    if len(body.get("content") or "") > 2000:
        raise _ApiError(400, _form_error("content", "Must be 2000 or fewer in length."))
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise _ApiError(400, _form_error("embeds", "Must be 10 or fewer in length."))
    total = 0
    for i, e in enumerate(embeds):
        title, desc = e.get("title") or "", e.get("description") or ""
        if len(title) > 256:
            raise _ApiError(400, _form_error(f"embeds.{i}.title", "Must be 256 or fewer in length."))
        if len(desc) > 4096:
            raise _ApiError(
                400, _form_error(f"embeds.{i}.description", "Must be 4096 or fewer in length.")
            )
        fields = e.get("fields") or []
        if len(fields) > 25:
            raise _ApiError(400, _form_error(f"embeds.{i}.fields", "Must be 25 or fewer in length."))
        total += len(title) + len(desc) + len((e.get("footer") or {}).get("text", ""))
        for j, f in enumerate(fields):
            if not f.get("name") or not f.get("value"):
                raise _ApiError(400, _form_error(f"embeds.{i}.fields.{j}", "This field is required"))
            if len(f["name"]) > 256 or len(f["value"]) > 1024:
                raise _ApiError(400, _form_error(f"embeds.{i}.fields.{j}.value", "Too long."))
            total += len(f["name"]) + len(f["value"])
    if total > 6000:
        raise _ApiError(400, _form_error("embeds", "Embed size exceeds maximum size of 6000"))
    for row in body.get("components") or []:
        for comp in row.get("components", []):
            if len(comp.get("custom_id", "")) > 100:
                raise _ApiError(400, _form_error("components", "custom_id too long"))


def _check_modal(data: dict[str, Any]) -> None:
    if not data.get("title") or len(data["title"]) > 45:
        raise _ApiError(400, _form_error("data.title", "Must be between 1 and 45 in length."))
    comps = data.get("components") or []
    if not 1 <= len(comps) <= 5:
        raise _ApiError(400, _form_error("data.components", "Must be between 1 and 5 in length."))
    for c in comps:
        if c.get("type") == 18 and len(c.get("label", "")) > 45:
            raise _ApiError(400, _form_error("data.components.label", "Too long."))


# -- gateway payload builders (discord.py private API: keep them all here) -------------------

_interaction_ids = itertools.count(7_000_000_000_000_000_001)


def user(user_id: str, name: str | None = None) -> dict[str, Any]:
    name = name or f"user{user_id}"
    return {"id": user_id, "username": name, "discriminator": "0", "avatar": None, "global_name": name.title()}


def member(
    user_id: str, name: str | None = None, *, permissions: int = 0, roles: list[str] | None = None
) -> dict[str, Any]:
    return {
        "user": user(user_id, name),
        "roles": roles or [],
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": str(permissions),
    }


def text_channel(channel_id: str, guild_id: str, name: str) -> dict[str, Any]:
    return {
        "id": channel_id,
        "type": 0,
        "flags": 0,
        "guild_id": guild_id,
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "topic": None,
    }


def guild_create(
    guild_id: str,
    name: str = "Guild",
    *,
    channels: list[dict[str, Any]] | None = None,
    roles: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A GUILD_CREATE dispatch (for ``state.parse_guild_create``)."""
    everyone = {
        "id": guild_id,
        "name": "@everyone",
        "permissions": "0",
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    return {
        "id": guild_id,
        "name": name,
        "icon": None,
        "owner_id": "3000",
        "roles": [everyone, *(roles or [])],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": 2,
        "large": False,
        "unavailable": False,
        "members": [member(BOT_USER["id"], BOT_USER["username"])],
        "channels": channels or [],
        "threads": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "system_channel_flags": 0,
        "afk_timeout": 300,
        "joined_at": TIMESTAMP,
    }


def guild_delete(guild_id: str) -> dict[str, Any]:
    """GUILD_DELETE without ``unavailable``: the bot was removed (kicked, or guild deleted)."""
    return {"id": guild_id}


def role(role_id: str, name: str) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "permissions": "0",
        "position": 1,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


def _base_interaction(
    kind: int,
    data: dict[str, Any],
    *,
    guild_id: str | None,
    channel_id: str,
    user_id: str,
    permissions: int,
    roles: list[str] | None,
    message: dict[str, Any] | None = None,
    channel_type: int = 0,
) -> dict[str, Any]:
    iid = str(next(_interaction_ids))
    payload: dict[str, Any] = {
        "id": iid,
        "application_id": APP_ID,
        "type": kind,
        "token": f"tok{iid}",
        "version": 1,
        "channel_id": channel_id,
        "data": data,
        "locale": "en-US",
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {},
        "attachment_size_limit": 8388608,
    }
    if guild_id is not None:
        payload["guild_id"] = guild_id
        payload["member"] = member(user_id, permissions=permissions, roles=roles)
        payload["context"] = 0
        payload["channel"] = {
            **text_channel(channel_id, guild_id, "general"),
            "type": channel_type,
        }
        if channel_type in (11, 12):
            payload["channel"]["thread_metadata"] = {
                "archived": False,
                "archive_timestamp": TIMESTAMP,
                "auto_archive_duration": 10080,
                "locked": False,
            }
            payload["channel"].update(owner_id=BOT_USER["id"], parent_id="5000", message_count=0,
                                      member_count=1, total_message_sent=0)
    else:
        payload["user"] = user(user_id)
        payload["context"] = 1
        payload["channel"] = {"id": channel_id, "type": 1, "flags": 0, "recipients": [user(user_id)]}
    if message is not None:
        payload["message"] = message
    return payload


def slash(
    path: tuple[str, ...] | list[str],
    options: dict[str, Any] | None = None,
    *,
    guild_id: str = "4000",
    channel_id: str = "5000",
    user_id: str = "6000",
    permissions: int = 0,
    roles: list[str] | None = None,
    command: str = "circle",
    focused: str | None = None,
) -> dict[str, Any]:
    """An APPLICATION_COMMAND (type 2) for ``/circle <path...> opt:value``; with
    ``focused`` set it is an APPLICATION_COMMAND_AUTOCOMPLETE (type 4) instead."""
    opts = [
        {"type": _option_type(v), "name": k, "value": v, **({"focused": True} if k == focused else {})}
        for k, v in (options or {}).items()
    ]
    nested: list[dict[str, Any]] = opts
    for depth, name in reversed(list(enumerate(path))):
        kind = 1 if depth == len(path) - 1 else 2
        nested = [{"type": kind, "name": name, "options": nested}]
    data = {"id": "8000", "name": command, "type": 1, "options": nested}
    return _base_interaction(
        4 if focused else 2,
        data,
        guild_id=guild_id,
        channel_id=channel_id,
        user_id=user_id,
        permissions=permissions,
        roles=roles,
    )


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


def button_press(
    custom_id: str,
    *,
    guild_id: str | None = "4000",
    channel_id: str = "5000",
    user_id: str = "6000",
    permissions: int = 0,
    message_id: str = "9100",
    message_components: list[dict[str, Any]] | None = None,
    channel_type: int = 0,
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT (type 3) interaction: a button pressed on one of our messages."""
    message = {
        "id": message_id,
        "channel_id": channel_id,
        "type": 0,
        "content": "",
        "author": BOT_USER,
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "flags": 0,
        "components": message_components
        or [{"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": custom_id}]}],
    }
    return _base_interaction(
        3,
        {"custom_id": custom_id, "component_type": 2},
        guild_id=guild_id,
        channel_id=channel_id,
        user_id=user_id,
        permissions=permissions,
        roles=None,
        message=message,
        channel_type=channel_type,
    )


def modal_submit(
    custom_id: str,
    values: dict[str, str | list[str]],
    *,
    guild_id: str | None = "4000",
    channel_id: str = "5000",
    user_id: str = "6000",
    message: dict[str, Any] | None = None,
    channel_type: int = 0,
) -> dict[str, Any]:
    """A MODAL_SUBMIT (type 5): text inputs and selects, each wrapped in a Label (type 18)
    as Discord sends them for modals built from labels."""
    comps = []
    for i, (name, value) in enumerate(values.items(), start=1):
        inner = (
            {"type": 3, "id": i * 2, "custom_id": name, "values": value}
            if isinstance(value, list)
            else {"type": 4, "id": i * 2, "custom_id": name, "value": value}
        )
        comps.append({"type": 18, "id": i * 2 - 1, "component": inner})
    return _base_interaction(
        5,
        {"custom_id": custom_id, "components": comps},
        guild_id=guild_id,
        channel_id=channel_id,
        user_id=user_id,
        permissions=0,
        roles=None,
        message=message,
        channel_type=channel_type,
    )


def message_create(
    channel_id: str,
    content: str,
    *,
    guild_id: str = "4000",
    user_id: str = "6000",
    reference: str | None = None,
) -> dict[str, Any]:
    """A MESSAGE_CREATE dispatch: someone typed in a channel or thread."""
    msg: dict[str, Any] = {
        "id": str(next(_interaction_ids)),
        "channel_id": channel_id,
        "guild_id": guild_id,
        "type": 19 if reference else 0,
        "content": content,
        "author": user(user_id),
        "member": {k: v for k, v in member(user_id).items() if k != "user"},
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "flags": 0,
        "components": [],
    }
    if reference:
        msg["message_reference"] = {"message_id": reference, "channel_id": channel_id, "guild_id": guild_id}
    return msg


# -- harness: a real CircleClient logged in against the fake ----------------------------------


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    """Poll an async condition (discord.py dispatches interactions as tasks)."""
    import asyncio

    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def who_can_be_pinged(msg: dict[str, Any]) -> set[str]:
    """Whom Discord would notify for this message, per its ``allowed_mentions`` (no
    ``allowed_mentions`` at all would mean: anyone mentioned, @everyone included)."""
    allowed = msg.get("allowed_mentions")
    if allowed is None:
        return {"<anyone>"}
    out: set[str] = set()
    parse = allowed.get("parse", [])
    if "everyone" in parse:
        out.add("@everyone")
    if "roles" in parse or allowed.get("roles"):
        out.add("<roles>")
    if "users" in parse:
        out.add("<any user>")
    out.update(str(u) for u in allowed.get("users", []))
    return out


@dataclass
class Answer:
    """How our bot answered one interaction: the callback, plus any follow-ups."""

    callback: dict[str, Any]
    followups: list[dict[str, Any]]

    @property
    def type(self) -> int:
        return int(self.callback["type"])

    @property
    def messages(self) -> list[dict[str, Any]]:
        first = [self.callback.get("data") or {}] if self.type in (4, 7) else []
        return first + self.followups

    @property
    def text(self) -> str:
        """Every visible word of the answer's messages (content, embed titles, text, fields)."""
        parts: list[str] = []
        for m in self.messages:
            parts.append(m.get("content") or "")
            for e in m.get("embeds") or []:
                parts += [e.get("title") or "", e.get("description") or ""]
                parts += [f"{f['name']}: {f['value']}" for f in e.get("fields") or []]
        return "\n".join(p for p in parts if p)

    @property
    def ephemeral(self) -> bool:
        return bool(self.messages and (self.messages[0].get("flags", 0) & EPHEMERAL))

    @property
    def is_error(self) -> bool:
        return any(e.get("color") == 0xED4245 for m in self.messages for e in m.get("embeds") or [])

    @property
    def buttons(self) -> dict[str, str]:
        """label -> custom id, over every message of the answer."""
        out = {}
        for m in self.messages:
            for row in m.get("components") or []:
                for comp in row.get("components", []):
                    if comp.get("type") == 2:
                        out[comp["label"]] = comp["custom_id"]
        return out

    @property
    def modal(self) -> dict[str, Any]:
        assert self.type == 9, f"expected a modal, got callback type {self.type}: {self.callback}"
        return self.callback["data"]

    @property
    def modal_fields(self) -> list[str]:
        return [c["component"]["custom_id"] for c in self.modal["components"]]


class Harness:
    """Feeds gateway payloads to a logged-in client and collects what it sent back."""

    def __init__(self, client: Any, fake: FakeDiscord) -> None:
        self.client = client
        self.fake = fake

    async def interact(self, payload: dict[str, Any], followups: int = 0) -> Answer:
        iid, token = payload["id"], payload["token"]
        self.client._connection.parse_interaction_create(payload)
        path = f"/interactions/{iid}/{token}/callback"

        def mine() -> list[Call]:
            return [c for c in self.fake.calls if c.path == path]

        def ups() -> list[Call]:
            return self.fake.requests("POST", rf"/webhooks/{APP_ID}/{token}")

        await wait_for(lambda: bool(mine()))
        callback = mine()[0].body
        if callback["type"] == 5:  # deferred: the answer comes as follow-up(s)
            followups = max(followups, 1)
        await wait_for(lambda: len(ups()) >= followups)
        return Answer(callback, [c.body for c in ups()])

    async def slash(self, path: str, options: dict[str, Any] | None = None, **kw: Any) -> Answer:
        return await self.interact(slash(tuple(path.split()), options, **kw))

    async def press(self, custom_id: str, **kw: Any) -> Answer:
        return await self.interact(button_press(custom_id, **kw))

    async def submit(self, modal: dict[str, Any], values: dict[str, str | list[str]], **kw: Any) -> Answer:
        return await self.interact(modal_submit(modal["custom_id"], values, **kw))

    async def autocomplete(self, path: str, options: dict[str, Any], focused: str, **kw: Any) -> list[dict[str, Any]]:
        answer = await self.interact(slash(tuple(path.split()), options, focused=focused, **kw))
        assert answer.type == 8
        return list(answer.callback["data"]["choices"])


@asynccontextmanager
async def fake_discord_api(monkeypatch: Any) -> AsyncIterator[FakeDiscord]:
    """A started fake with discord.py's REST base pointed at it."""
    import discord.http

    fake = FakeDiscord()
    await fake.server.start_server()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.base)
    try:
        yield fake
    finally:
        await fake.server.close()


@asynccontextmanager
async def logged_in(client: Any) -> AsyncIterator[Any]:
    """``login`` is the real one: GET /users/@me, /oauth2/applications/@me, setup_hook."""
    await client.login("fake-token")
    try:
        yield client
    finally:
        await client.close()
