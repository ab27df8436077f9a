"""Running the Slack app: Socket Mode (no public URL) or HTTP mode (behind a load balancer).

Both modes serve the one AsyncApp the composition root (``bot/bootstrap.py``) built, with the
installation store and gateway it built; this module only checks the settings and runs the
transport it is handed.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from adapters.slack.app import warm_up
from bot.config import Config, ConfigError, SlackConfig

log = logging.getLogger(__name__)


def check_config(config: Config) -> None:
    """Fail at start with the variable to set, not at the first request."""
    sc = config.slack
    if sc.mode not in ("socket", "http"):
        raise ConfigError(f"[slack] mode must be 'socket' or 'http', not {sc.mode!r}")
    if sc.client_id and not (sc.client_secret and sc.state_secret):
        raise ConfigError("Slack OAuth needs SLACK_CLIENT_SECRET and SLACK_STATE_SECRET too")
    if not sc.client_id and not sc.bot_token:
        raise ConfigError("Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID, "
                          "SLACK_CLIENT_SECRET and SLACK_STATE_SECRET (OAuth install)")
    if sc.mode == "socket" and not sc.app_token:
        raise ConfigError("Socket Mode needs SLACK_APP_TOKEN (xapp-...)")
    if sc.mode == "http" and not sc.signing_secret:
        raise ConfigError("HTTP mode needs SLACK_SIGNING_SECRET")


def http_app(app: AsyncApp, path: str = "/slack/events") -> web.Application:
    """The events endpoint plus, in OAuth mode, the install and redirect pages."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post(path, events)
    flow = app.oauth_flow
    if flow is not None:
        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request)))

        async def callback(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request)))

        web_app.router.add_get(flow.install_path, install)
        web_app.router.add_get(flow.redirect_uri_path, callback)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app.router.add_get("/healthz", healthz)
    return web_app


async def run_slack(app: AsyncApp, sc: SlackConfig) -> None:
    """Serves ``app`` in the configured mode until cancelled."""
    await warm_up(app)
    if sc.mode == "socket":
        handler = AsyncSocketModeHandler(app, app_token=sc.app_token)
        try:
            await handler.connect_async()
            log.info("Slack Socket Mode connected")
            await asyncio.Event().wait()
        finally:
            await handler.close_async()
        return
    runner = web.AppRunner(http_app(app, sc.path))
    await runner.setup()
    site = web.TCPSite(runner, host=sc.host, port=sc.port)
    await site.start()
    log.info("Slack HTTP mode listening on :%s%s", sc.port, sc.path)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
