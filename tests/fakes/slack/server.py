"""A fake Slack on loopback: Web API, response_url hooks and a Socket Mode websocket.

It answers the way Slack does (HTTP 200 with ``{"ok": false, "error": ...}`` for API errors,
HTTP 429 with ``Retry-After`` when rate limited, real-looking conversation objects and ``ts``
strings), keeps just enough state (``state.SlackState``) for the adapter's behaviour to be
observable, records every call, and checks each call's required arguments against Slack's
OpenAPI description and every message against Block Kit's limits. Anything that would make
real Slack reject a request lands in ``violations``; tests assert it is empty.

``in_flight`` counts the requests being handled right now, so the test harness can tell
when nothing is in flight.
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from tests.fakes.settle import SETTLE_SECONDS, Requests
from tests.fakes.slack import files
from tests.fakes.slack.blockkit import TOO_LONG, check_message
from tests.fakes.slack.state import Call, SlackState
from tests.fakes.slack.web_api import METHODS, checked, error, oauth_access

# Required arguments per Web API method, derived from the published OpenAPI description
# (shared/specs/slack/web_api_openapi_v2.json, MIT); kept here so the suite needs nothing
# outside the repository. tests/test_slack_manifest.py re-derives it when shared/ is present.
REQUIRED = Path(__file__).with_name("web_api_required.json")
HOOK_USES = 5  # "up to 5 times within 30 minutes of the user's invocation"
JSON_ARGS = ("blocks", "view", "attachments", "files")
SPEC = Path(__file__).resolve().parents[4] / "shared/specs/slack/web_api_openapi_v2.json"


def required_from_spec(spec: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path, ops in spec["paths"].items():
        for op in ops.values():
            out[path.lstrip("/")] = {p["name"] for p in op.get("parameters", [])
                                     if p.get("required") and p["name"] != "token"}
    return out


@cache
def required_args() -> dict[str, set[str]]:
    """Required non-token arguments per Web API method."""
    methods = json.loads(REQUIRED.read_text())["methods"]
    return {name: set(args) for name, args in methods.items()}


class FakeSlack(SlackState):
    def __init__(self) -> None:
        super().__init__()
        self.hooks_expired = False  # response_url hooks answer 404, as after 30 minutes
        self.hook_uses: dict[str, int] = {}
        self.gates: dict[str, asyncio.Event] = {}  # method -> held until the event is set
        self.app_token = "xapp-1-test"
        self.in_flight = Requests()
        self._ws: web.WebSocketResponse | None = None
        self._ws_ready = asyncio.Event()
        app = web.Application()
        app.router.add_get("/link", self._socket)
        app.router.add_post("/hooks/{tail:.*}", self._hook)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", lambda request: files.receive(self, request))
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

    # ------------------------------------------------------------ socket

    async def push(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Sends an envelope over the Socket Mode link; returns the client's ack for it
        (waits for the ack itself, with a deadline)."""
        await asyncio.wait_for(self._ws_ready.wait(), SETTLE_SECONDS)
        assert self._ws is not None
        await self._ws.send_str(json.dumps(envelope))
        env = envelope.get("envelope_id")
        await self.in_flight.until(lambda: any(a.get("envelope_id") == env for a in self.acks),
                                  what=f"the ack of {env}")
        return next(a for a in self.acks if a.get("envelope_id") == env)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "connection_info": {"app_id": "A1"}}))
        self._ws_ready.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                with self.in_flight.handling():
                    self.acks.append(json.loads(msg.data))
        return ws

    # ------------------------------------------------------------ HTTP

    async def _hook(self, request: web.Request) -> web.Response:
        with self.in_flight.handling():
            if self.hooks_expired:
                return web.Response(status=404, text="expired_url")
            tail = request.match_info["tail"]
            uses = self.hook_uses[tail] = self.hook_uses.get(tail, 0) + 1
            if uses > HOOK_USES:  # Slack: a response_url answers at most 5 times
                return web.Response(status=404, text="used_url")
            body = await request.json()
            problems = check_message(body)
            checked(self, f"response_url {request.path}", problems)
            if any(p.startswith(TOO_LONG) for p in problems):  # Slack drops the whole reply
                return web.Response(status=400, text=TOO_LONG)
            body["_hook"] = request.match_info["tail"]
            self.responses.append(body)
            return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        with self.in_flight.handling():
            return await self._answer(request)

    async def _answer(self, request: web.Request) -> web.Response:
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
            return error("invalid_arguments")
        rule = self.take_rule(method, params)
        if rule is not None:
            if rule.status == 429:
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(rule.retry_after or 1)})
            return web.json_response({"ok": False, "error": rule.error, **rule.extra},
                                     status=rule.status)
        if method == "apps.connections.open":
            if token != self.app_token:
                return error("invalid_auth")
            return web.json_response({"ok": True, "url": str(self.server.make_url("/link"))
                                      .replace("http://", "ws://")})
        if method == "oauth.v2.access":
            return oauth_access(self, params)
        team = next((t for t in self.teams.values() if t.bot_token == token), None)
        if team is None:
            return error("not_authed" if not token else "invalid_auth")
        if team.revoked:
            return error("token_revoked")
        handler = METHODS.get(method)
        if handler is None:
            return error("unknown_method")
        return await handler(self, team, params)

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

