"""A Slack-like chat API on loopback that enforces rate limits the way Slack documents them
(1 message per second per channel, a workspace-wide budget, HTTP 429 with Retry-After),
plus the smallest ChatGateway that talks to it. Used by the delivery tests and the fan-out
benchmark; the real Slack and Discord gateways are tested by their adapters.

Like Discord's ``nonce`` with ``enforce_nonce``, a repeated ``client_msg_id`` returns the
message already created instead of creating another: that is the platform-side half of
exactly-once delivery across a worker crash.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.ports import Delivery, DeliveryError, FailureKind, Sent
from bot.replies import Reply

PERMANENT = frozenset(
    {"channel_not_found", "is_archived", "not_in_channel", "missing_scope", "user_not_found"}
)
WORKSPACE_GONE = frozenset({"invalid_auth", "account_inactive", "token_revoked"})


def _kind(code: str) -> FailureKind:
    if code in WORKSPACE_GONE:
        return FailureKind.WORKSPACE_GONE
    return FailureKind.PERMANENT if code in PERMANENT else FailureKind.TRANSIENT


@dataclass
class Accepted:
    channel: str
    text: str
    ts: str
    nonce: str | None
    at: float


@dataclass
class FakeChat:
    per_channel_interval: float = 1.0  # seconds between messages to one channel
    workspace_rate: float = 100.0  # messages per second across the workspace ...
    workspace_burst: float = 100.0  # ... with a bucket this deep
    messages: list[Accepted] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    rejected_429: int = 0
    repeated_nonces: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # channel -> Slack error code
    scripted: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # next responses
    archived: set[str] = field(default_factory=set)
    created: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._last: dict[str, float] = {}
        self._tokens = self.workspace_burst
        self._refill = time.monotonic()
        self._nonces: dict[str, Accepted] = {}
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}/api/"
        return self.base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _limited(self, channel: str, now: float) -> float:
        """Seconds the caller must wait, or 0 if this message may go now."""
        self._tokens = min(
            self.workspace_burst, self._tokens + (now - self._refill) * self.workspace_rate
        )
        self._refill = now
        wait_channel = self._last.get(channel, -math.inf) + self.per_channel_interval - now
        if wait_channel > 0:
            return wait_channel
        if self._tokens < 1:
            return (1 - self._tokens) / self.workspace_rate
        return 0.0

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body: dict[str, Any] = await request.json()
        self.calls[method] += 1
        if self.scripted:
            status, headers = self.scripted.pop(0)
            return web.json_response(
                {"ok": False, "error": "scripted"}, status=status, headers=headers
            )
        channel = str(body.get("channel", ""))
        if channel in self.errors:
            return web.json_response({"ok": False, "error": self.errors[channel]})
        if method == "chat.postMessage":
            nonce = body.get("client_msg_id")
            if nonce and nonce in self._nonces:
                self.repeated_nonces += 1
                prior = self._nonces[nonce]
                return web.json_response({"ok": True, "channel": prior.channel, "ts": prior.ts})
            now = time.monotonic()
            wait = self._limited(channel, now)
            if wait > 0:
                self.rejected_429 += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
            self._tokens -= 1
            self._last[channel] = now
            msg = Accepted(
                channel, body.get("text", ""), f"{len(self.messages) + 1}.000100", nonce, now
            )
            self.messages.append(msg)
            if nonce:
                self._nonces[nonce] = msg
            return web.json_response({"ok": True, "channel": channel, "ts": msg.ts})
        if method == "conversations.create":
            cid = f"C{len(self.created) + 1:08d}"
            self.created.append(cid)
            return web.json_response({"ok": True, "channel": {"id": cid, "name": body.get("name")}})
        if method == "conversations.open":
            return web.json_response({"ok": True, "channel": {"id": f"D{body.get('users', '')}"}})
        if method == "conversations.archive":
            self.archived.add(channel)
            return web.json_response({"ok": True})
        return web.json_response({"ok": True})


class FakeChatGateway:
    """The ChatGateway contract over the fake API, with Slack's error classification."""

    platform = "slack"

    def __init__(self, base: str) -> None:
        self.base = base
        self._http: aiohttp.ClientSession | None = None

    async def _call(self, method: str, **body: Any) -> dict[str, Any]:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        async with self._http.post(
            self.base + method, data=json.dumps(body), headers={"Content-Type": "application/json"}
        ) as resp:
            if resp.status == 429:
                raise DeliveryError(
                    "ratelimited",
                    kind=FailureKind.TRANSIENT,
                    retry_after=float(resp.headers.get("Retry-After", "1")),
                )
            if resp.status >= 500:
                raise DeliveryError(f"http_{resp.status}", kind=FailureKind.TRANSIENT)
            data: dict[str, Any] = await resp.json()
        if not data.get("ok"):
            code = str(data.get("error", "unknown"))
            raise DeliveryError(code, kind=_kind(code))
        return data

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def create_space(
        self, workspace: str, name: str, member_users: list[str], hub: str | None = None,
        *, delivery: Delivery | None = None,
    ) -> Sent:
        data = await self._call("conversations.create", name=name, is_private=True)
        channel = str(data["channel"]["id"])
        await self._call("conversations.invite", channel=channel, users=",".join(member_users))
        return Sent(channel)

    async def post(
        self, workspace: str, space: str, message: Reply, thread: str | None = None,
        *, delivery: Delivery | None = None,
    ) -> Sent:
        data = await self._call(
            "chat.postMessage",
            channel=space,
            text=message.plain_text(),
            thread_ts=thread,
            client_msg_id=delivery.key if delivery is not None else None,
        )
        return Sent(f"{data['channel']}:{data['ts']}")

    async def dm(
        self, workspace: str, user: str, message: Reply, *, delivery: Delivery | None = None
    ) -> Sent:
        data = await self._call("conversations.open", users=user)
        return await self.post(workspace, str(data["channel"]["id"]), message, delivery=delivery)

    async def archive_space(self, workspace: str, space: str) -> None:
        await self._call("conversations.archive", channel=space)

