"""A fake Slack on loopback: Web API, response_url hooks and a Socket Mode websocket.

It answers the way Slack does (HTTP 200 with ``{"ok": false, "error": ...}`` for API errors,
HTTP 429 with ``Retry-After`` when rate limited, real-looking conversation objects and ``ts``
strings), keeps just enough state (teams, users, channels, messages) for the adapter's
behaviour to be observable, records every call, and checks each call's required arguments
against Slack's OpenAPI description and every message against Block Kit's limits. Anything
that would make real Slack reject a request lands in ``violations``; tests assert it is empty.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

SPEC = Path("/work/shared/specs/slack/web_api_openapi_v2.json")
NAME_RE = re.compile(r"^[a-z0-9_-]{1,80}$")
PING_RE = re.compile(r"<(!channel|!here|!everyone|@[UW][A-Z0-9]+)(\|[^>]*)?>")
JSON_ARGS = ("blocks", "view", "attachments")


@cache
def required_args() -> dict[str, set[str]]:
    """Required non-token arguments per Web API method, from the published spec."""
    try:
        spec = json.loads(SPEC.read_text())
    except OSError:
        return {}
    out: dict[str, set[str]] = {}
    for path, ops in spec["paths"].items():
        for op in ops.values():
            out[path.lstrip("/")] = {p["name"] for p in op.get("parameters", [])
                                     if p.get("required") and p["name"] != "token"}
    return out


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


class FakeSlack:
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
        self.hooks_expired = False  # response_url hooks answer 404, as after 30 minutes
        self.gates: dict[str, asyncio.Event] = {}  # method -> held until the event is set
        self.app_token = "xapp-1-test"
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._ws: web.WebSocketResponse | None = None
        self._ws_ready = asyncio.Event()
        app = web.Application()
        app.router.add_get("/link", self._socket)
        app.router.add_post("/hooks/{tail:.*}", self._hook)
        app.router.add_route("*", "/api/{method}", self._api)
        self.server = TestServer(app, host="127.0.0.1")

    # -------------------------------------------------------------- set-up

    async def start(self) -> FakeSlack:
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        await self.server.close()

    @property
    def api_base(self) -> str:
        return str(self.server.make_url("/api/"))

    def response_url(self, name: str = "r") -> str:
        return str(self.server.make_url(f"/hooks/{name}"))

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
                    cid: str | None = None) -> str:
        cid = cid or self._new_id("G" if private else "C")
        self.channels[cid] = self._conversation(cid, team, name, private)
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

    # ------------------------------------------------------------ socket

    async def push(self, envelope: dict[str, Any]) -> None:
        await asyncio.wait_for(self._ws_ready.wait(), 5)
        assert self._ws is not None
        await self._ws.send_str(json.dumps(envelope))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "connection_info": {"app_id": "A1"}}))
        self._ws_ready.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
        return ws

    # ------------------------------------------------------------ HTTP

    async def _hook(self, request: web.Request) -> web.Response:
        if self.hooks_expired:
            return web.Response(status=404, text="expired_url")
        body = await request.json()
        self._check_message(f"response_url {request.path}", body)
        body["_hook"] = request.match_info["tail"]
        self.responses.append(body)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() or str(params.pop("token", ""))
        self.calls.append(Call(method, params, token))
        if method in self.gates:
            await self.gates[method].wait()
        missing = required_args().get(method, set()) - set(params)
        if missing:
            self.violations.append(f"{method}: missing required {sorted(missing)}")
            return self._error("invalid_arguments")
        rule = self._rule(method, params)
        if rule is not None:
            if rule.status == 429:
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(rule.retry_after or 1)})
            return web.json_response({"ok": False, "error": rule.error, **rule.extra},
                                     status=rule.status)
        if method == "apps.connections.open":
            if token != self.app_token:
                return self._error("invalid_auth")
            return web.json_response({"ok": True, "url": str(self.server.make_url("/link"))
                                      .replace("http://", "ws://")})
        if method == "oauth.v2.access":
            return self._oauth(params)
        team = next((t for t in self.teams.values() if t.bot_token == token), None)
        if team is None:
            return self._error("not_authed" if not token else "invalid_auth")
        if team.revoked:
            return self._error("token_revoked")
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error("unknown_method")
        return await handler(team, params)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw = await request.text()
        if request.content_type == "application/json":
            params = json.loads(raw or "{}")
        else:
            params = {k: v[0] for k, v in parse_qs(raw).items()}
        params.update({k: v for k, v in request.query.items()})
        for key in JSON_ARGS:
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    self.violations.append(f"{key} is not JSON")
        return params

    def _rule(self, method: str, params: dict[str, Any]) -> Rule | None:
        for rule in self.rules:
            if rule.method == method and rule.channel in (None, params.get("channel")) \
                    and (rule.times is None or rule.times > 0):
                if rule.times is not None:
                    rule.times -= 1
                return rule
        return None

    @staticmethod
    def _error(code: str, **extra: Any) -> web.Response:
        return web.json_response({"ok": False, "error": code, **extra})

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

    # ------------------------------------------------------------ Block Kit limits

    def _check_message(self, where: str, body: dict[str, Any], max_blocks: int = 50) -> bool:
        problems: list[str] = []
        text = body.get("text") or ""
        if len(text) > 40000:
            problems.append("text longer than 40000")
        blocks = body.get("blocks") or []
        if len(blocks) > max_blocks:
            problems.append(f"{len(blocks)} blocks > {max_blocks}")
        seen: set[str] = set()
        for b in blocks:
            t = b.get("type")
            if t == "section":
                if len((b.get("text") or {}).get("text", "")) > 3000:
                    problems.append("section text > 3000")
                flds = b.get("fields") or []
                if len(flds) > 10 or any(len(f["text"]) > 2000 for f in flds):
                    problems.append("section fields over limit")
                if not b.get("text") and not flds:
                    problems.append("empty section")
            elif t == "header":
                if len(b["text"]["text"]) > 150 or b["text"]["type"] != "plain_text":
                    problems.append("header text > 150 or not plain_text")
            elif t == "actions":
                if len(b["elements"]) > 25:
                    problems.append("actions > 25 elements")
                for el in b["elements"]:
                    if len(el["text"]["text"]) > 75:
                        problems.append("button text > 75")
                    if len(el.get("value", "")) > 2000 or len(el["action_id"]) > 255:
                        problems.append("button value/action_id too long")
                    if el["action_id"] in seen:
                        problems.append(f"duplicate action_id {el['action_id']}")
                    seen.add(el["action_id"])
            elif t == "input":
                if len(b["label"]["text"]) > 2000:
                    problems.append("input label > 2000")
                ph = (b["element"].get("placeholder") or {}).get("text", "")
                if len(ph) > 150:
                    problems.append("placeholder > 150")
            elif t not in ("context", "divider"):
                problems.append(f"unexpected block {t}")
        for p in problems:
            self.violations.append(f"{where}: {p}")
        return not problems

    def _check_view(self, where: str, view: dict[str, Any]) -> bool:
        ok = self._check_message(where, {"blocks": view.get("blocks")}, 100)
        if view.get("type") == "modal":
            for key in ("title", "submit", "close"):
                if len((view.get(key) or {}).get("text", "")) > 24:
                    self.violations.append(f"{where}: modal {key} > 24")
                    ok = False
            if len(view.get("private_metadata", "")) > 3000:
                self.violations.append(f"{where}: private_metadata > 3000")
                ok = False
        return ok

    # ------------------------------------------------------------ methods

    def _channel(self, team: Team, cid: str) -> tuple[dict[str, Any] | None, str | None]:
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

    async def _m_auth_test(self, team: Team, p: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True, "url": f"https://{team.id.lower()}.slack.com/",
                                  "team": team.name, "user": "circlebot", "team_id": team.id,
                                  "user_id": team.bot_user, "bot_id": team.bot_id,
                                  "is_enterprise_install": False})

    async def _m_users_info(self, team: Team, p: dict[str, Any]) -> web.Response:
        user = self.users.get(p.get("user", ""))
        if user is None:
            return self._error("user_not_found")
        return web.json_response({"ok": True, "user": user})

    async def _m_conversations_create(self, team: Team, p: dict[str, Any]) -> web.Response:
        name = str(p.get("name", ""))
        if not name:
            return self._error("invalid_name_required")
        if len(name) > 80:
            return self._error("invalid_name_maxlength")
        if not NAME_RE.match(name):
            return self._error("invalid_name_specials")
        if any(c["name"] == name and c["context_team_id"] == team.id
               for c in self.channels.values()):
            return self._error("name_taken")
        private = str(p.get("is_private", "")).lower() in ("true", "1")
        cid = self.add_channel(team.id, name, private=private)
        return web.json_response({"ok": True, "channel": self.channels[cid]})

    async def _m_conversations_invite(self, team: Team, p: dict[str, Any]) -> web.Response:
        ch, err = self._channel(team, p["channel"])
        if err:
            return self._error(err)
        assert ch is not None
        if ch.get("is_mpim") or ch.get("is_im"):
            return self._error("method_not_supported_for_channel_type")
        users = [u for u in str(p.get("users", "")).split(",") if u]
        for u in users:
            if u not in self.users or self.users[u]["team_id"] != team.id:
                return self._error("user_not_found")
        if all(u in self.members[ch["id"]] for u in users):
            return self._error("already_in_channel")
        self.members[ch["id"]].update(users)
        return web.json_response({"ok": True, "channel": ch})

    async def _m_conversations_archive(self, team: Team, p: dict[str, Any]) -> web.Response:
        ch = self.channels.get(p["channel"])
        if ch is not None and ch.get("is_mpim"):
            return self._error("method_not_supported_for_channel_type")
        ch, err = self._channel(team, p["channel"])
        if err == "is_archived":
            return self._error("already_archived")
        if err:
            return self._error(err)
        assert ch is not None
        ch["is_archived"] = True
        return web.json_response({"ok": True})

    async def _m_conversations_join(self, team: Team, p: dict[str, Any]) -> web.Response:
        ch = self.channels.get(p["channel"])
        if ch is None or ch["context_team_id"] != team.id:
            return self._error("channel_not_found")
        if ch["is_private"]:
            return self._error("method_not_supported_for_channel_type")
        if ch["is_archived"]:
            return self._error("is_archived")
        self.members[ch["id"]].add(team.bot_user)
        return web.json_response({"ok": True, "channel": ch})

    async def _m_conversations_open(self, team: Team, p: dict[str, Any]) -> web.Response:
        users = sorted(u for u in str(p.get("users", "")).split(",") if u)
        if not users:
            return self._error("users_list_not_supplied")
        if len(users) > 8:
            return self._error("too_many_users")
        if any(u not in self.users for u in users):
            return self._error("user_not_found")
        members = set(users) | {team.bot_user}
        for cid, ch in self.channels.items():
            if (ch.get("is_im") or ch.get("is_mpim")) and self.members[cid] == members:
                return web.json_response({"ok": True, "channel": {"id": cid}})
        mpim = len(users) > 1
        cid = self._new_id("G" if mpim else "D")
        conv = self._conversation(cid, team.id, "mpdm-" + "--".join(users) if mpim else "", mpim)
        conv.update(is_im=not mpim, is_mpim=mpim, is_channel=False, is_group=False)
        self.channels[cid] = conv
        self.members[cid] = members
        return web.json_response({"ok": True, "channel": {"id": cid}})

    async def _m_conversations_close(self, team: Team, p: dict[str, Any]) -> web.Response:
        if p["channel"] not in self.channels:
            return self._error("channel_not_found")
        self.channels[p["channel"]]["closed"] = True
        return web.json_response({"ok": True})

    async def _post(self, team: Team, p: dict[str, Any], ephemeral: bool) -> web.Response:
        cid = str(p["channel"])
        if cid in self.users:  # posting to a user id lands in the app's DM with them
            opened = await self._m_conversations_open(team, {"users": cid})
            cid = json.loads(opened.text or "{}")["channel"]["id"]
        ch, err = self._channel(team, cid)
        if err:
            return self._error(err)
        if not p.get("text") and not p.get("blocks"):
            return self._error("no_text")
        if not self._check_message(f"chat.post {cid}", p):
            return self._error("invalid_blocks")
        if ephemeral and p["user"] not in self.members.get(cid, set()):
            return self._error("user_not_in_channel")
        ts = self._new_ts()
        metadata = p.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        self.messages.append({"channel": cid, "ts": ts, "thread_ts": p.get("thread_ts"),
                              "text": p.get("text"), "blocks": p.get("blocks") or [],
                              "ephemeral_to": p.get("user") if ephemeral else None,
                              "metadata": metadata})
        if ephemeral:
            return web.json_response({"ok": True, "message_ts": ts})
        return web.json_response({"ok": True, "channel": cid, "ts": ts,
                                  "message": {"type": "message", "subtype": "bot_message",
                                              "text": p.get("text"), "ts": ts,
                                              "bot_id": team.bot_id,
                                              "blocks": p.get("blocks") or []}})

    def _history(self, team: Team, p: dict[str, Any], thread: str | None) -> web.Response:
        """conversations.history / .replies: newest first; metadata only when asked for,
        as Slack does with include_all_metadata."""
        _, err = self._channel(team, str(p["channel"]))
        if err:
            return self._error(err)
        want_meta = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [m for m in self.messages if m["channel"] == p["channel"] and not m["ephemeral_to"]
                 and (thread is None or m["ts"] == thread or m["thread_ts"] == thread)]
        out = []
        for m in reversed(found[-int(p.get("limit") or 100):]):
            item = {"type": "message", "ts": m["ts"], "text": m["text"]}
            if want_meta and m.get("metadata"):
                item["metadata"] = m["metadata"]
            out.append(item)
        return web.json_response({"ok": True, "messages": out, "has_more": False})

    async def _m_conversations_history(self, team: Team, p: dict[str, Any]) -> web.Response:
        self.history_calls += 1
        return self._history(team, p, None)

    async def _m_conversations_replies(self, team: Team, p: dict[str, Any]) -> web.Response:
        self.history_calls += 1
        return self._history(team, p, str(p["ts"]))

    async def _m_chat_postMessage(self, team: Team, p: dict[str, Any]) -> web.Response:
        return await self._post(team, p, ephemeral=False)

    async def _m_chat_postEphemeral(self, team: Team, p: dict[str, Any]) -> web.Response:
        return await self._post(team, p, ephemeral=True)

    async def _m_views_open(self, team: Team, p: dict[str, Any]) -> web.Response:
        if not self._check_view("views.open", p["view"]):
            return self._error("invalid_arguments")
        return web.json_response({"ok": True, "view": {"id": self._new_id("V"), **p["view"]}})

    async def _m_views_publish(self, team: Team, p: dict[str, Any]) -> web.Response:
        if not self._check_view("views.publish", p["view"]):
            return self._error("invalid_arguments")
        return web.json_response({"ok": True, "view": {"id": self._new_id("V"), **p["view"]}})

    def _oauth(self, p: dict[str, Any]) -> web.Response:
        code = str(p.get("code", ""))
        if not code.startswith("good-"):
            return self._error("invalid_code")
        team_id = code.removeprefix("good-")
        team = self.teams.get(team_id) or self.add_team(team_id)
        return web.json_response({
            "ok": True, "app_id": "A1", "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write,groups:write", "token_type": "bot",
            "access_token": team.bot_token, "bot_user_id": team.bot_user,
            "team": {"id": team.id, "name": team.name}, "enterprise": None,
            "is_enterprise_install": False})


def pings(text: str) -> list[str]:
    """Mentions Slack would turn into notifications in a mrkdwn string."""
    return [m.group(1) for m in PING_RE.finditer(text or "")]


def all_mrkdwn(payload: Any) -> list[str]:
    """Every string Slack parses as mrkdwn in a message payload (top text included)."""
    out: list[str] = []
    if isinstance(payload, dict):
        if isinstance(payload.get("text"), str) and payload.get("type") != "plain_text":
            out.append(payload["text"])
        for v in payload.values():
            if isinstance(v, dict | list):
                out += all_mrkdwn(v)
    elif isinstance(payload, list):
        for v in payload:
            out += all_mrkdwn(v)
    return out


# ---------------------------------------------------------------- Slack's side of a request


class SlackSim:
    """What Slack sends to the app: signed HTTP requests, built like Slack's payloads."""

    def __init__(self, fake: FakeSlack, signing_secret: str = "test-signing-secret") -> None:
        self.fake = fake
        self.secret = signing_secret
        self._n = itertools.count(1)

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        from slack_sdk.signature import SignatureVerifier

        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        return {"x-slack-signature": sig, "x-slack-request-timestamp": ts}

    def form_body(self, payload: dict[str, Any]) -> str:
        from urllib.parse import urlencode

        return urlencode(payload)

    def interactive_body(self, payload: dict[str, Any]) -> str:
        from urllib.parse import urlencode

        return urlencode({"payload": json.dumps(payload)})

    def slash(self, text: str, *, team: str = "T1", user: str = "U1",
              channel: str = "C_GENERAL", command: str = "/circle") -> dict[str, Any]:
        n = next(self._n)
        return {"token": "legacy", "team_id": team, "team_domain": team.lower(),
                "channel_id": channel, "channel_name": "general", "user_id": user,
                "user_name": self.fake.users.get(user, {}).get("name", user.lower()),
                "command": command, "text": text, "api_app_id": "A1",
                "is_enterprise_install": "false",
                "response_url": self.fake.response_url(f"cmd-{n}"),
                "trigger_id": f"{n}.{n}.trigger"}

    def block_action(self, action_id: str, value: str, *, team: str = "T1", user: str = "U1",
                     channel: str | None = "C_GENERAL", ephemeral: bool = False,
                     home: bool = False) -> dict[str, Any]:
        n = next(self._n)
        payload: dict[str, Any] = {
            "type": "block_actions", "api_app_id": "A1", "token": "legacy",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "trigger_id": f"{n}.{n}.trigger",
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b1",
                         "value": value, "text": {"type": "plain_text", "text": "x"},
                         "action_ts": f"{int(time.time())}.000{n}"}]}
        if home:
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "blocks": []}
        else:
            payload["container"] = {"type": "message", "message_ts": "1.000001",
                                    "channel_id": channel, "is_ephemeral": ephemeral}
            payload["channel"] = {"id": channel, "name": "general"}
            payload["response_url"] = self.fake.response_url(f"act-{n}")
            payload["message"] = {"type": "message", "ts": "1.000001", "text": "x"}
        return payload

    def view_submission(self, view: dict[str, Any], values: dict[str, Any], *,
                        team: str = "T1", user: str = "U1") -> dict[str, Any]:
        """``values``: block_id -> str | list[str]; shaped as each element type reports it."""
        state: dict[str, Any] = {}
        for block in view["blocks"]:
            el = block["element"]
            v = values.get(block["block_id"])
            kind = el["type"]
            if kind == "static_select":
                opt = next((o for o in el["options"] if o["value"] == v), None)
                state[block["block_id"]] = {el["action_id"]: {"type": kind,
                                                              "selected_option": opt}}
            elif kind == "multi_static_select":
                opts = [o for o in el["options"] if o["value"] in (v or [])]
                state[block["block_id"]] = {el["action_id"]: {"type": kind,
                                                              "selected_options": opts}}
            else:
                state[block["block_id"]] = {el["action_id"]: {"type": kind, "value": v}}
        n = next(self._n)
        return {"type": "view_submission", "team": {"id": team, "domain": team.lower()},
                "user": {"id": user, "username": user.lower(), "team_id": team},
                "api_app_id": "A1", "token": "legacy", "trigger_id": f"{n}.{n}.trigger",
                "view": {**view, "id": f"V{n}", "team_id": team, "state": {"values": state},
                         "hash": "h", "app_id": "A1", "bot_id": "B1"}}

    def event(self, event: dict[str, Any], *, team: str = "T1") -> dict[str, Any]:
        n = next(self._n)
        return {"token": "legacy", "team_id": team, "api_app_id": "A1", "event": event,
                "type": "event_callback", "event_id": f"Ev{n:08d}",
                "event_time": int(time.time()), "authorizations": [
                    {"team_id": team, "user_id": "UBOT1", "is_bot": True,
                     "is_enterprise_install": False}]}

    def thread_reply(self, channel: str, thread_ts: str, text: str, *, user: str = "U1",
                     team: str = "T1") -> dict[str, Any]:
        ts = self.fake._new_ts()
        return self.event({"type": "message", "channel": channel, "user": user, "text": text,
                           "ts": ts, "thread_ts": thread_ts, "channel_type": "group",
                           "event_ts": ts, "team": team}, team=team)

    def last_modal(self) -> dict[str, Any]:
        calls = self.fake.calls_to("views.open")
        assert calls, "no modal was opened"
        return calls[-1].params["view"]


# ---------------------------------------------------------------- the app under test


async def wait_for(pred: Any, timeout: float = 5.0, what: str = "condition") -> None:
    """Poll an async condition (replies are sent after the ack, in the background)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


class SlackHarness:
    """The real Bolt app and CircleBot, wired to the fake: send what Slack would send,
    then look at what the app did to Slack."""

    def __init__(self, fake: FakeSlack, core: Any, config: Any, app: Any, listeners: Any,
                 gateway: Any, installations: Any = None) -> None:
        self.fake = fake
        self.sim = SlackSim(fake, config.slack.signing_secret)
        self.core = core
        self.config = config
        self.app = app
        self.listeners = listeners
        self.gateway = gateway
        self.installations = installations

    async def send(self, body: str, *, content_type: str = "application/x-www-form-urlencoded",
                   headers: dict[str, str] | None = None, sign: bool = True,
                   expect_listener: bool = True) -> Any:
        from slack_bolt.async_app import AsyncBoltRequest

        hdrs = {"content-type": content_type, **(self.sim.sign(body) if sign else {}),
                **(headers or {})}
        before = self.listeners.handled
        resp = await self.app.async_dispatch(AsyncBoltRequest(
            body=body, headers={k: [v] for k, v in hdrs.items()}))
        if resp.status == 200 and expect_listener:  # events are acked before it even starts
            await wait_for(lambda: self.listeners.handled > before and self.listeners.busy == 0,
                           what="the listener to finish")
        return resp

    async def command(self, text: str, **kw: Any) -> dict[str, Any]:
        """Runs `/circle text`; returns the response_url reply (or {} if none)."""
        payload = self.sim.slash(text, **kw)
        resp = await self.send(self.sim.form_body(payload))
        assert resp.status == 200, resp.body
        return self.reply_to(payload["response_url"])

    async def press(self, action_id: str, value: str, **kw: Any) -> dict[str, Any]:
        payload = self.sim.block_action(action_id, value, **kw)
        resp = await self.send(self.sim.interactive_body(payload))
        assert resp.status == 200, resp.body
        return self.reply_to(payload.get("response_url", ""))

    async def submit(self, view: dict[str, Any], values: dict[str, Any], **kw: Any) -> Any:
        resp = await self.send(self.sim.interactive_body(self.sim.view_submission(view, values,
                                                                                    **kw)))
        assert resp.status == 200, resp.body
        return resp

    async def event(self, payload: dict[str, Any]) -> Any:
        resp = await self.send(json.dumps(payload), content_type="application/json")
        assert resp.status == 200, resp.body
        return resp

    def reply_to(self, url: str) -> dict[str, Any]:
        tail = url.rsplit("/hooks/", 1)[-1]
        got = [r for r in self.fake.responses if r["_hook"] == tail]
        return got[-1] if got else {}

    async def deliver(self, skip_ahead: int = 5) -> int:
        """Runs the real outbox worker with this gateway until nothing is due; rows the
        worker deferred (a post waiting for its circle's channel) become due by moving the
        worker's clock ahead, at most ``skip_ahead`` times (0: only what is due now)."""
        import datetime as dt

        from bot.delivery import DeliveryWorker
        from circles.model import OutboxMessage, utcnow

        ahead = [0.0]
        worker = DeliveryWorker(self.core.sessions, {"slack": self.gateway},
                                self.config.scheduling,
                                clock=lambda: utcnow() + dt.timedelta(seconds=ahead[0]))
        total = 0
        skips = 0
        while True:
            n = await worker.run_once()
            total += n
            if n:
                continue
            with self.core.sessions() as s:
                pending = s.query(OutboxMessage).filter(OutboxMessage.status == "pending").count()
            if not pending or skips >= skip_ahead:
                return total
            skips += 1
            ahead[0] += 600


def text_of(message: dict[str, Any]) -> str:
    """All mrkdwn and plain text of a message or view, for asserting on what people see."""
    parts: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            if isinstance(x.get("text"), str):
                parts.append(x["text"])
            for k, v in x.items():
                if k != "text" or not isinstance(v, str):
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(message)
    return "\n".join(parts)


async def slack_harness(sessions: Any, *, oauth: bool = False, **slack: Any) -> SlackHarness:
    """A started fake with team T1 (admin U_ADMIN, members U1..U6) and the app in HTTP mode:
    token mode by default, OAuth mode (installations in our DB) with ``oauth=True``."""
    from adapters.slack.app import build_app
    from adapters.slack.gateway import SlackGateway
    from adapters.slack.installation_store import DbInstallationStore
    from bot.config import Config
    from bot.core import CircleBot

    fake = await FakeSlack().start()
    team = fake.add_team("T1", "Acme")
    fake.add_user("T1", "U_ADMIN", "ada", admin=True, tz="America/New_York")
    for i, name in enumerate(["bo", "cy", "di", "ed", "flo", "gus"], start=1):
        fake.add_user("T1", f"U{i}", name, tz="Europe/Berlin")
    fake.add_channel("T1", "general", cid="C_GENERAL",
                     members=["U_ADMIN", "U1", "U2", "U3", "U4", "U5", "U6"])
    config = Config()
    config.slack.mode = "http"
    config.slack.signing_secret = "test-signing-secret"
    config.slack.api_base_url = fake.api_base
    for key, value in slack.items():
        setattr(config.slack, key, value)
    installations = None
    if oauth:
        config.slack.client_id = "111.222"
        config.slack.client_secret = "client-secret"
        config.slack.state_secret = "state-secret"
        installations = DbInstallationStore(sessions)
    else:
        config.slack.bot_token = team.bot_token
    core = CircleBot(sessions, config)
    app, listeners = build_app(core, config, installations=installations)
    gateway = SlackGateway(token=config.slack.bot_token, installations=installations,
                           base_url=fake.api_base)
    return SlackHarness(fake, core, config, app, listeners, gateway, installations)
