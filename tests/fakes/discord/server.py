"""A fake Discord REST API on loopback.

Real discord.py talks to it (``discord.http.Route.BASE`` is pointed here), so every request
our adapter makes goes through the library's own routing, rate limiting and error mapping.
It is stateful enough to follow a circle's life and enforces Discord's limits (``limits``).
``in_flight`` counts the requests being handled right now, for the test harness.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes.discord.limits import (
    ApiError,
    check_message,
    check_modal,
    error_body,
    form_error,
    jresp,
)
from tests.fakes.discord.payloads import (
    APP,
    APP_ID,
    BOT_USER,
    EPHEMERAL,
    TIMESTAMP,
    text_channel,
    user,
)
from tests.fakes.settle import Requests


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
        self.in_flight = Requests()
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
        with self.in_flight.handling():
            return await self._answer(request)

    async def _answer(self, request: web.Request) -> web.Response:
        body: Any = None
        if request.content_type == "multipart/form-data":  # a message with attachments
            form = await request.post()
            body = json.loads(str(form["payload_json"]))
            (body.get("data") if "data" in body and "type" in body else body)["_files"] = [
                {"filename": f.filename, "data": f.file.read()}
                for key, f in form.items() if key.startswith("files[")]
        elif request.can_read_body:
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
        except ApiError as exc:
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
                raise ApiError(404, error_body(10004, "Unknown Guild"))
            # as Discord: GET /guilds/{id}/channels never lists threads
            return jresp([self.channels[c] for c in guild.channels
                          if "thread_metadata" not in self.channels[c]])
        if parts[0] == "guilds" and parts[2:] == ["threads", "active"] and method == "GET":
            guild = self.guilds.get(parts[1])
            if guild is None:
                raise ApiError(404, error_body(10004, "Unknown Guild"))
            active = [self.channels[c] for c in guild.channels
                      if not self.channels[c].get("thread_metadata", {"archived": True})["archived"]]
            return jresp({"threads": active, "members": []})
        if parts[0] == "channels":
            return self._channels(method, parts, body)
        raise ApiError(404, error_body(0, f"404: Not Found ({method} {path})"))

    def _channels(self, method: str, parts: list[str], body: Any) -> web.Response:
        channel_id = parts[1]
        channel = self.channels.get(channel_id)
        if channel is None:
            raise ApiError(404, error_body(10003, "Unknown Channel"))
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
                raise ApiError(400, error_body(50083, "Thread is archived"))
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
                raise ApiError(403, error_body(50083, "Thread is locked"))
            msg = self._message(channel_id, body)
            # kept as sent, so tests can see whom it was allowed to ping
            self.messages.setdefault(channel_id, []).append(
                {**msg, "allowed_mentions": body.get("allowed_mentions")}
            )
            return jresp(msg)
        raise ApiError(404, error_body(0, "404: Not Found"))

    def _interaction_callback(self, interaction_id: str, body: dict[str, Any]) -> web.Response:
        data = body.get("data") or {}
        if body.get("type") == 9:
            check_modal(data)
        elif body.get("type") in (4, 7):
            check_message(data)
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
            raise ApiError(400, error_body(50024, "Cannot execute action on this channel type"))
        name = body.get("name", "")
        if not 1 <= len(name) <= 100:
            raise ApiError(400, form_error("name", "Must be between 1 and 100 in length."))
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
        check_message(body)
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
