"""The Slack listeners: one AsyncApp, the same in Socket Mode and HTTP mode.

Every listener acknowledges first and works after, so Slack's 3-second limit never depends
on the database. Replies to a person go back to that person only (response_url, ephemeral
messages, or their DM); anything for a whole circle goes through the outbox instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import to_delivery_error
from adapters.slack.http import SharedHttp
from adapters.slack.identity import IdentityResolver
from adapters.slack.installation_store import DbInstallationStore, SignedStateStore
from adapters.slack.render import (
    ACTION_PREFIX,
    FORM_PREFIX,
    form_metadata,
    form_values,
    home_view,
    message_kwargs,
    modal_view,
    parse_action_id,
    reply_parts,
    unescape,
)
from bot.config import Config
from bot.files import FileReply
from bot.ports import Identity
from bot.replies import Reply, error
from circles.once import first_time

if TYPE_CHECKING:
    from bot.core import CircleBot

log = logging.getLogger(__name__)

BOT_SCOPES = ["commands", "chat:write", "chat:write.public", "channels:join",
              "channels:manage", "groups:write", "groups:read", "groups:history", "channels:history",
              "mpim:history", "mpim:write", "im:write", "im:history", "users:read",
              "files:write"]
MAX_FIELD_ERROR = 300  # an error shown under a modal's field is short by design
OOPS = ("Something went wrong on Circlebot's side, so nothing was changed. Please try "
        "again; if it keeps happening, tell a coordinator.")
NOT_INSTALLED = (":warning: Circlebot isn't installed in this Slack workspace any more (it was "
                 "removed, or its token was revoked). A workspace admin needs to reinstall it.")
FOREIGN = ("This Circlebot is installed for a different Slack workspace, so it can't act "
           "on this one. Ask an admin here to install Circlebot.")

FILE_SENT = "Sent *{name}* to your direct messages with Circlebot; only you can see it."
FILE_FAILED = "I couldn't send you the file, so nothing was shared. Please try again later."

Respond = Callable[..., Awaitable[Any]]


def make_app(config: Config, *, client: AsyncWebClient | None = None,
             installations: DbInstallationStore | None = None) -> AsyncApp:
    """Token mode with a bot token; OAuth (multi-workspace) mode with a client id."""
    sc = config.slack
    base = sc.api_base_url or AsyncWebClient.BASE_URL
    kwargs: dict[str, Any] = {"signing_secret": sc.signing_secret or "socket-mode-unused",
                              "user_facing_authorize_error_message": NOT_INSTALLED,
                              "request_verification_enabled": bool(sc.signing_secret)
                              or sc.mode == "http"}
    if sc.client_id:
        if installations is None:
            raise ValueError("OAuth mode needs an installation store")
        kwargs["oauth_settings"] = AsyncOAuthSettings(
            client_id=sc.client_id, client_secret=sc.client_secret, scopes=BOT_SCOPES,
            installation_store=installations, installation_store_bot_only=True,
            state_store=SignedStateStore(sc.state_secret))
        kwargs["installation_store"] = installations
        client = client or AsyncWebClient(base_url=base, retry_handlers=[])
    else:
        client = client or AsyncWebClient(token=sc.bot_token, base_url=base, retry_handlers=[])
    return AsyncApp(client=client, **kwargs)


class SlackListeners:
    """The bridge between Bolt callbacks and CircleBot; holds no per-request state."""

    def __init__(self, core: CircleBot, config: Config, *,
                 installations: DbInstallationStore | None = None,
                 identities: IdentityResolver | None = None) -> None:
        self.core = core
        self.config = config
        self.installations = installations
        self.busy = 0
        self.handled = 0
        self.identities = identities or IdentityResolver(
            config.slack.identity_cache_seconds)
        self.http: SharedHttp | None = None  # set by register(): one HTTP session per app
        core.forget_hooks.append(lambda who: self.identities.forget_user(who.workspace, who.user))

    def register(self, app: AsyncApp) -> AsyncApp:
        t = self._tracked
        self.http = SharedHttp(app.client)
        app.use(self.http.middleware)
        app.event("user_change")(t(self.on_user_seen))
        app.event("team_join")(t(self.on_user_seen))
        app.command(self.config.slack.command)(t(self.on_command))
        app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(t(self.on_action))
        app.view(re.compile("^" + re.escape(FORM_PREFIX)))(t(self.on_form))
        app.event("message")(t(self.on_message))
        app.event("app_home_opened")(t(self.on_home))
        app.event("app_uninstalled")(t(self.on_uninstalled))
        app.event("tokens_revoked")(t(self.on_tokens_revoked))
        return app

    def _tracked(self, fn: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """Counts listeners still working after their ack, so shutdown (and tests) can
        wait for replies in flight instead of guessing with sleeps."""

        @functools.wraps(fn)
        async def run(**kwargs: Any) -> None:
            self.busy += 1
            try:
                await fn(**kwargs)
            finally:
                self.busy -= 1
                self.handled += 1

        return run

    # -------------------------------------------------------------- identity

    async def _who(self, context: AsyncBoltContext, client: AsyncWebClient,
                   channel: str | None, name: str = "") -> Identity | None:
        """None when the request's team is not the one our token belongs to: a token
        install must never act for a workspace it wasn't installed in."""
        team = context.team_id or ""
        auth = context.authorize_result
        if auth is not None and auth.team_id and team and auth.team_id != team \
                and not context.enterprise_id:
            log.warning("request from team %s refused by install for %s", team, auth.team_id)
            return None
        return await self.identities.resolve(client, team, context.user_id or "", channel,
                                             name)

    async def _run(self, call: Awaitable[Reply | None]) -> Reply | None:
        try:
            return await call
        except Exception:  # the user must hear back; the unit of work already rolled back
            log.exception("core call failed")
            return error(OOPS)

    # -------------------------------------------------------------- once only

    async def _first_time(self, request: AsyncBoltRequest | None, team: str | None) -> bool:
        """False when this exact request was already taken in (here or on another
        replica): a replayed signed body, or an event Slack retries (``X-Slack-Retry-Num``)
        because our first answer was slow. Claimed after the ack, before any work."""
        if request is None:
            return True
        body = request.body if isinstance(request.body, dict) else {}
        event_id = body.get("event_id")
        raw = request.raw_body or ""
        key = (f"event:{event_id}" if event_id
               else "body:" + hashlib.sha256(raw.encode()).hexdigest())

        def claim() -> bool:
            with self.core.sessions() as session:
                return first_time(session, f"slack:{team or ''}", key)

        try:
            return await asyncio.to_thread(claim)
        except Exception:  # the database is down: the work will say so, don't hide it
            log.exception("de-duplication unavailable")
            return True

    # -------------------------------------------------------------- listeners

    async def on_command(self, ack: Callable[..., Awaitable[None]], command: dict[str, Any],
                         context: AsyncBoltContext, client: AsyncWebClient,
                         respond: Respond, request: AsyncBoltRequest | None = None) -> None:
        await ack()
        if not await self._first_time(request, context.team_id):
            return
        who = await self._who(context, client, command.get("channel_id"),
                              command.get("user_name", ""))
        if who is None:
            await respond(text=FOREIGN, response_type="ephemeral")
            return
        reply = await self._run(self.core.handle_command(who, unescape(command.get("text") or "")))
        await self._answer(reply, who, client, respond=respond,
                           trigger_id=command.get("trigger_id"),
                           response_url=command.get("response_url"))

    async def on_action(self, ack: Callable[..., Awaitable[None]], body: dict[str, Any],
                        action: dict[str, Any], context: AsyncBoltContext,
                        client: AsyncWebClient, respond: Respond,
                        request: AsyncBoltRequest | None = None) -> None:
        await ack()
        if not await self._first_time(request, context.team_id):
            return
        channel = (body.get("channel") or {}).get("id") or context.channel_id
        who = await self._who(context, client, channel)
        has_url = bool(body.get("response_url"))
        if who is None:
            await self._tell(client, context.team_id or "", context.user_id or "", channel,
                             Reply(text=FOREIGN), respond if has_url else None)
            return
        name = parse_action_id(action.get("action_id", ""))
        reply = await self._run(self.core.handle_action(who, name, action.get("value") or ""))
        ephemeral_origin = bool((body.get("container") or {}).get("is_ephemeral"))
        await self._answer(reply, who, client, respond=respond if has_url else None,
                           trigger_id=body.get("trigger_id"),
                           response_url=body.get("response_url"),
                           replace_original=ephemeral_origin)
        if body.get("view", {}).get("type") == "home":
            await self.publish_home(who, client)

    async def on_form(self, ack: Callable[..., Awaitable[None]], body: dict[str, Any],
                      view: dict[str, Any], context: AsyncBoltContext,
                      client: AsyncWebClient, request: AsyncBoltRequest | None = None) -> None:
        meta = form_metadata(view)
        form_id = view.get("callback_id", "")[len(FORM_PREFIX):]
        values = form_values(view)
        errors = self.core.check_form(form_id, meta.get("c", ""), values)
        if errors:  # the modal stays open with what was typed, each error under its field
            await ack(response_action="errors",
                      errors={field: message[:MAX_FIELD_ERROR] for field, message in errors.items()})
            return
        await ack()
        if not await self._first_time(request, context.team_id):
            return
        who = await self._who(context, client, meta.get("ch"))
        if who is None:
            return
        reply = await self._run(self.core.handle_form(who, form_id, meta.get("c", ""), values))
        url = meta.get("ru")  # the command's response_url: answer where it was typed
        respond = (self.http.respond(url) if self.http else AsyncRespond(response_url=url)) \
            if url else None
        await self._answer(reply, who, client, respond=respond,
                           trigger_id=body.get("trigger_id"), response_url=url)

    async def on_message(self, event: dict[str, Any], context: AsyncBoltContext,
                         client: AsyncWebClient,
                         request: AsyncBoltRequest | None = None) -> None:
        thread = event.get("thread_ts")
        if (not thread or thread == event.get("ts") or event.get("bot_id")
                or event.get("subtype") not in (None, "thread_broadcast")
                or not event.get("user")):
            return
        if not await self._first_time(request, context.team_id):
            return
        who = await self._who(context, client, event.get("channel"))
        if who is None:
            return
        reply = await self._run(self.core.handle_thread_reply(
            who, event.get("channel", ""), thread, unescape(event.get("text") or "")))
        if reply is not None:
            await self._tell(client, who.workspace, who.user, who.channel, reply, None,
                             thread=thread)

    async def on_home(self, event: dict[str, Any], context: AsyncBoltContext,
                      client: AsyncWebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        who = await self._who(context, client, None)
        if who is not None:
            await self.publish_home(who, client)

    async def publish_home(self, who: Identity, client: AsyncWebClient) -> None:
        """My circles, this week's prompt and my goals; coordinators also see program
        health. The facts come from one use case, not from replaying commands."""
        try:
            replies = await self.core.home(who)
        except Exception:
            log.exception("home tab failed")
            return
        try:
            await client.views_publish(user_id=who.user, view=home_view(replies))
        except SlackApiError as exc:
            log.warning("views.publish for %s failed: %s", who.user, to_delivery_error(exc))

    async def on_user_seen(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """user_change / team_join carry the whole user: the identity cache learns it, so a
        rename or a new admin shows on the person's next command with no users.info call."""
        user = event.get("user")
        if isinstance(user, dict):
            self.identities.learn(context.team_id or user.get("team_id") or "", user)

    async def close(self) -> None:
        """Close the shared HTTP session (at shutdown)."""
        if self.http is not None:
            await self.http.close()

    async def on_uninstalled(self, context: AsyncBoltContext) -> None:
        await self._removed(context)

    async def on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        if (event.get("tokens") or {}).get("bot"):
            await self._removed(context)

    async def _removed(self, context: AsyncBoltContext) -> None:
        team = context.team_id or ""
        if self.installations is not None:
            await self.installations.async_delete_all(enterprise_id=context.enterprise_id,
                                                      team_id=team)
        self.identities.forget_team(team)
        await self.core.workspace_removed("slack", team)

    # -------------------------------------------------------------- replying

    async def _answer(self, reply: Reply | None, who: Identity, client: AsyncWebClient, *,
                      respond: Respond | None, trigger_id: str | None,
                      response_url: str | None, replace_original: bool = False) -> None:
        if reply is None:
            return
        if isinstance(reply, FileReply):
            reply = await self._send_file(reply, who, client)
        if reply.form is not None:
            meta = {"c": reply.form.context, "ch": who.channel, "ru": response_url}
            try:
                await client.views_open(trigger_id=trigger_id,
                                        view=modal_view(reply.form, meta))
            except SlackApiError as exc:
                why = str(to_delivery_error(exc))
                reply = dataclasses.replace(reply, form=None, tone="error",
                                text=f"I couldn't open the form. {why}\n{reply.text}".strip())
            else:  # the modal is open; the text (if any) stays as a way back to it
                if not reply.text:
                    return
                reply = dataclasses.replace(reply, form=None)
        for i, part in enumerate(reply_parts(reply)):  # each part one message that fits
            await self._tell(client, who.workspace, who.user, who.channel, part, respond,
                             replace_original=replace_original and i == 0)

    async def _send_file(self, reply: FileReply, who: Identity, client: AsyncWebClient) -> Reply:
        """A file reply (export-me) goes to the person's DM with the app through Slack's
        current upload (files.getUploadURLExternal, the bytes, files.completeUploadExternal:
        what ``files_upload_v2`` does); the answer where they asked says where it went."""
        try:
            opened = await client.conversations_open(users=who.user)
            channel = opened["channel"]["id"]
            await client.files_upload_v2(channel=channel, file=reply.file_bytes,
                                         filename=reply.safe_name,
                                         title=reply.title or reply.safe_name,
                                         initial_comment=reply.text)
        except SlackApiError as exc:
            why = to_delivery_error(exc)
            log.warning("file upload to %s failed: %s", who.user, why)
            return Reply(text=f"{FILE_FAILED} ({why})", tone="error")
        return Reply(text=FILE_SENT.format(name=reply.safe_name), title=reply.title, tone="success")

    async def _tell(self, client: AsyncWebClient, team: str, user: str, channel: str | None,
                    reply: Reply, respond: Respond | None, *, replace_original: bool = False,
                    thread: str | None = None) -> None:
        """response_url first (works even in channels the bot isn't in), then an
        ephemeral message, then the user's DM: the person must hear back somehow."""
        kw = message_kwargs(reply)
        if respond is not None:
            try:
                resp = await respond(response_type=reply.visibility,
                                     replace_original=replace_original,
                                     **kw)
                if getattr(resp, "status_code", 200) < 400:
                    return
                log.warning("response_url answered %s", getattr(resp, "status_code", "?"))
            except Exception as exc:  # an expired response_url must not swallow the reply
                log.warning("respond failed: %s", exc)
        if channel and reply.visibility == "ephemeral":
            try:
                await client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread,
                                                **kw)
                return
            except SlackApiError as exc:
                log.info("ephemeral to %s in %s failed: %s", user, channel, exc)
        elif channel:
            try:
                await client.chat_postMessage(channel=channel, thread_ts=thread, **kw)
                return
            except SlackApiError as exc:
                log.info("post to %s failed: %s", channel, exc)
        try:
            await client.chat_postMessage(channel=user, **kw)
        except SlackApiError as exc:
            log.warning("could not reach %s in team %s at all: %s", user, team,
                        to_delivery_error(exc))


def build_app(core: CircleBot, config: Config, *, client: AsyncWebClient | None = None,
              installations: DbInstallationStore | None = None,
              identities: IdentityResolver | None = None) -> tuple[AsyncApp, SlackListeners]:
    app = make_app(config, client=client, installations=installations)
    listeners = SlackListeners(core, config, installations=installations,
                               identities=identities)
    return listeners.register(app), listeners
