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
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

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


def http_app(app: AsyncApp, path: str = "/slack/events",
             signing_secret: str | None = None) -> web.Application:
    """The events endpoint plus, in OAuth mode, the install and redirect pages.

    The signature is checked on the raw bytes before anything parses the body, so a forged
    request costs a hash and a 401, and a malformed body (from Slack or anyone) is a 400, never
    a 500 with a traceback.
    """
    verifier = SignatureVerifier(signing_secret if signing_secret is not None
                                 else app._signing_secret)

    async def events(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            valid = verifier.is_valid_request(raw, dict(request.headers))
        except Exception:  # bytes that aren't even UTF-8 can't carry a valid signature
            valid = False
        if not valid:
            return web.Response(status=401, text="invalid request signature")
        try:
            body = raw.decode("utf-8")
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string,
                                            headers=dict(request.headers))
        except Exception:  # not UTF-8, not a form, a payload that isn't JSON, ...
            log.info("refused a malformed Slack request body (%d bytes)", len(raw))
            return web.Response(status=400, text="malformed request body")
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    web_app = web.Application()
    web_app.router.add_post(path, events)
    add_oauth_routes(web_app, app)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app.router.add_get("/healthz", healthz)
    return web_app


def add_oauth_routes(web_app: web.Application, app: AsyncApp) -> None:
    """In OAuth mode, the install page and the redirect Slack sends the browser back to."""
    flow = app.oauth_flow
    if flow is None:
        return

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request)))

    async def callback(request: web.Request) -> web.Response:
        return await to_aiohttp_response(
            await flow.handle_callback(await to_bolt_request(request)))

    web_app.router.add_get(flow.install_path, install)
    web_app.router.add_get(flow.redirect_uri_path, callback)


async def check_tokens(app: AsyncApp, sc: SlackConfig) -> None:
    """A token Slack refuses is one clear line at start, not a retry loop or a failure at
    the first command."""
    if sc.bot_token and not sc.client_id:
        try:
            await app.client.auth_test(token=sc.bot_token)
        except SlackApiError as exc:
            raise ConfigError(f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')}): "
                              "copy the Bot User OAuth Token (xoxb-...) from your app's "
                              "OAuth & Permissions page again.") from exc
    if sc.mode == "socket":  # the Socket Mode client would retry a refused token for ever
        try:
            await AsyncWebClient(base_url=app.client.base_url, retry_handlers=[]
                                 ).apps_connections_open(app_token=sc.app_token)
        except SlackApiError as exc:
            raise ConfigError(f"Slack rejected SLACK_APP_TOKEN ({exc.response.get('error')}): "
                              "create an app-level token (xapp-...) with the "
                              "connections:write scope on your app's Basic Information "
                              "page.") from exc


async def run_slack(app: AsyncApp, sc: SlackConfig) -> None:
    """Serves ``app`` in the configured mode until cancelled. In Socket Mode with OAuth, the
    install and redirect pages are still served over HTTP (a browser has to reach them)."""
    await check_tokens(app, sc)
    if sc.mode == "socket":
        handler = AsyncSocketModeHandler(app, app_token=sc.app_token)
        pages: web.AppRunner | None = None
        try:
            await handler.connect_async()
            log.info("Slack Socket Mode connected")
            if app.oauth_flow is not None:
                web_app = web.Application()
                add_oauth_routes(web_app, app)
                pages = web.AppRunner(web_app)
                await pages.setup()
                await web.TCPSite(pages, host=sc.host, port=sc.port).start()
                log.info("Slack install pages on :%s%s", sc.port, app.oauth_flow.install_path)
            await asyncio.Event().wait()
        finally:
            if pages is not None:
                await pages.cleanup()
            await handler.close_async()
        return
    runner = web.AppRunner(http_app(app, sc.path, sc.signing_secret))
    await runner.setup()
    site = web.TCPSite(runner, host=sc.host, port=sc.port)
    await site.start()
    log.info("Slack HTTP mode listening on :%s%s", sc.port, sc.path)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
