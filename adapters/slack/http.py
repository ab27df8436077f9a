"""One HTTP session for everything the Slack listeners send.

slack_sdk opens (and closes) a fresh aiohttp session, hence a fresh TCP and TLS connection,
for every Web API call and every response_url post unless it is handed one. Under load that
handshake is most of a reply's latency, so the app's client, Bolt's per-request clients and
our response_url posts all share this session and its keep-alive connection pool. It is
created on first use inside the running event loop (aiohttp sessions belong to one loop).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient, WebhookResponse

CONNECTIONS = 100  # per process: enough for 50 people at once with room for the worker


class SharedHttp:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connections_opened = 0  # new TCP connections: stays small when reuse works

    def session(self) -> aiohttp.ClientSession:
        """The live session for this loop (made again if closed or on another loop)."""
        loop = asyncio.get_running_loop()
        current = self.client.session
        if current is None or current.closed or self._loop is not loop:
            trace = aiohttp.TraceConfig()
            trace.on_connection_create_end.append(self._opened)
            self.client.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=CONNECTIONS, keepalive_timeout=60),
                trace_configs=[trace])
            self._loop = loop
        return self.client.session

    async def _opened(self, *_: Any) -> None:
        self.connections_opened += 1

    async def middleware(self, context: AsyncBoltContext,
                         next: Any) -> Any:  # noqa: A002 - Bolt's argument name
        """Bolt middleware: this request's client and ``respond`` use the shared session."""
        session = self.session()
        if context.get("client") is not None:
            context.client.session = session
        if context.response_url:
            context["respond"] = self.respond(context.response_url)
        return await next()

    def respond(self, url: str) -> Respond:
        return Respond(url, self.session())

    async def close(self) -> None:
        if self.client.session is not None and not self.client.session.closed:
            await self.client.session.close()


class Respond:
    """Bolt's ``respond`` (same arguments, same message), posting through the shared session."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.response_url = url
        self.hook = AsyncWebhookClient(url, session=session)

    async def __call__(self, text: str | dict[str, Any] = "", **kw: Any) -> WebhookResponse:
        message = _build_message(**text) if isinstance(text, dict) \
            else _build_message(text=text, **kw)
        return await self.hook.send_dict(message)
