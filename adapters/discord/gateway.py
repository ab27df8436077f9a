"""DiscordGateway: the delivery worker's way to reach people on Discord.

A circle's space is a *private thread* in a hub channel: threads don't count against a
guild's 500-channel limit, and archiving + locking one at the end of a round keeps the
history readable but closed. Every Discord error is classified once, here, into a
DeliveryError with the core's neutral FailureKind:

* workspace gone: 401, Missing Access (50001), Unknown Guild (10004);
* permanent: Missing Permissions (50013), 404 Unknown Channel (10003) / User (10013),
  400 Invalid Form Body (50035), DMs closed (50007), thread locked/archived (50083), no hub
  channel;
* transient: 429 (``retry_after`` seconds), 5xx, network errors.

429s: discord.py sleeps and retries a rate-limited REST call itself when Discord asks for a
wait of at most ``max_ratelimit_timeout`` (DiscordConfig, at least 30 s); a longer wait
raises ``discord.RateLimited``, surfaced as a transient DeliveryError with that
``retry_after``, so the outbox row waits instead of holding a worker.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import aiohttp
import discord
from discord.http import handle_message_parameters

from adapters.discord.render import render
from adapters.discord.respond import message_kwargs
from bot.ports import Delivery, DeliveryError, FailureKind, Sent
from bot.replies import Reply

log = logging.getLogger(__name__)

PRIVATE_THREAD = 12
THREAD_NAME_MAX = 100
AUTO_ARCHIVE_MINUTES = 10080  # a week without messages; posting unarchives it again

NONCE_MAX = 25  # Discord's limit on a message nonce

PERMANENT, GONE = FailureKind.PERMANENT, FailureKind.WORKSPACE_GONE
# Discord JSON error code -> (our code, kind); "gone": the bot lost the guild, so telling its
# coordinators would fail too
ERROR_CODES: dict[int, tuple[str, FailureKind]] = {
    10003: ("unknown_channel", PERMANENT),
    10004: ("unknown_guild", GONE),
    10008: ("unknown_message", PERMANENT),
    10013: ("unknown_user", PERMANENT),
    50001: ("missing_access", GONE),
    50007: ("cannot_dm_user", PERMANENT),
    50013: ("missing_permissions", PERMANENT),
    50035: ("invalid_form_body", PERMANENT),
    50083: ("thread_archived", PERMANENT),
    160005: ("thread_locked", PERMANENT),
}


def nonce_for(key: str) -> str:
    """A stand-in for an idempotency key that fits Discord's nonce (at most 25 characters)."""
    return hashlib.sha256(key.encode()).hexdigest()[:NONCE_MAX]


def classify(exc: Exception) -> DeliveryError:
    """One Discord failure -> DeliveryError, keeping Discord's own message for the log."""
    if isinstance(exc, discord.RateLimited):
        return DeliveryError(
            "rate_limited", f"Discord asked to wait {exc.retry_after:.0f}s",
            kind=FailureKind.TRANSIENT, retry_after=exc.retry_after,
        )
    if isinstance(exc, discord.HTTPException):
        known = ERROR_CODES.get(exc.code)
        text = f"{exc.status} {exc.text or exc.args[0]} (code {exc.code})"
        if known:
            return DeliveryError(known[0], text, kind=known[1])
        if exc.status == 429:
            return DeliveryError("rate_limited", text, kind=FailureKind.TRANSIENT)
        if exc.status >= 500:
            return DeliveryError("server_error", text, kind=FailureKind.TRANSIENT)
        if exc.status == 401:
            return DeliveryError("invalid_auth", text, kind=GONE)
        if exc.status == 403:
            return DeliveryError("forbidden", text, kind=PERMANENT)
        if exc.status == 404:
            return DeliveryError("not_found", text, kind=PERMANENT)
        return DeliveryError(f"http_{exc.status}", text,
                             kind=PERMANENT if exc.status < 500 else FailureKind.TRANSIENT)
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return DeliveryError("network_error", str(exc) or type(exc).__name__, kind=FailureKind.TRANSIENT)
    raise exc


class DiscordGateway:
    """ChatGateway over a logged-in discord.py client (it only needs ``client.http``)."""

    platform = "discord"

    def __init__(self, client: discord.Client, hub_channel: str = "circles") -> None:
        self.client = client
        self.hub_channel = hub_channel

    @property
    def http(self) -> Any:
        return self.client.http

    async def create_space(
        self, workspace: str, name: str, member_users: list[str], hub: str | None = None,
        *, delivery: Delivery | None = None,
    ) -> Sent:
        try:
            hub_id = await self._hub_id(workspace, hub or self.hub_channel)
            if delivery is not None and delivery.attempt > 1:
                # an earlier claim may have created the thread before its worker died (or
                # before a transient error sent the job to another replica): adopt it
                found = await self._created_thread(workspace, hub_id, name)
                if found is not None:
                    for user in member_users:
                        await self.http.add_user_to_thread(found, user)
                    return Sent(found)
            thread = await self.http.start_thread_without_message(
                hub_id,
                name=(name or "circle")[:THREAD_NAME_MAX],
                auto_archive_duration=AUTO_ARCHIVE_MINUTES,
                type=PRIVATE_THREAD,
                invitable=False,
                reason="Circlebot: a new circle",
            )
            thread_id = str(thread["id"])
            for user in member_users:
                await self.http.add_user_to_thread(thread_id, user)
        except Exception as exc:
            raise classify(exc) from exc
        return Sent(thread_id)

    async def _created_thread(self, workspace: str, hub_id: str, name: str) -> str | None:
        """The circle thread this bot already started under the hub with this name, if any."""
        wanted = (name or "circle")[:THREAD_NAME_MAX]
        me = str(self.client.user.id) if self.client.user is not None else None
        active = await self.http.get_active_threads(workspace)
        for thread in active.get("threads", []):
            if (str(thread.get("parent_id")) == str(hub_id) and thread.get("name") == wanted
                    and (me is None or str(thread.get("owner_id")) == me)):
                return str(thread["id"])
        return None

    async def invite(self, workspace: str, space: str, users: list[str]) -> None:
        try:
            for user in users:
                await self.http.add_user_to_thread(space, user)
        except Exception as exc:
            raise classify(exc) from exc

    async def post(
        self, workspace: str, space: str, message: Reply, thread: str | None = None,
        *, delivery: Delivery | None = None,
    ) -> Sent:
        return await self._send(space, message, workspace, reply_to=thread, in_dm=False,
                                delivery=delivery)

    async def dm(
        self, workspace: str, user: str, message: Reply, *, delivery: Delivery | None = None
    ) -> Sent:
        try:
            channel = await self.http.start_private_message(user)
        except Exception as exc:
            raise classify(exc) from exc
        return await self._send(str(channel["id"]), message, workspace, reply_to=None, in_dm=True,
                                delivery=delivery)

    async def archive_space(self, workspace: str, space: str) -> None:
        try:
            await self.http.edit_channel(
                space, archived=True, locked=True, reason="Circlebot: the round ended"
            )
        except discord.NotFound as exc:
            if exc.code == 10003:  # already deleted: nothing left to archive
                return
            raise classify(exc) from exc
        except Exception as exc:
            raise classify(exc) from exc

    # ------------------------------------------------------------------------------------
    async def _hub_id(self, workspace: str, hub: str) -> str:
        if hub.isdigit():
            return hub
        name = hub.lstrip("#").lower()
        guild = self.client.get_guild(int(workspace)) if workspace.isdigit() else None
        if guild is not None and guild.text_channels:
            channels = [{"id": c.id, "name": c.name, "type": 0} for c in guild.text_channels]
        else:
            channels = await self.http.get_all_guild_channels(workspace)
        for ch in channels:
            if ch.get("type") == 0 and str(ch.get("name", "")).lower() == name:
                return str(ch["id"])
        raise DeliveryError(
            "hub_not_found",
            f"No text channel #{name} in this server: create it, or set discord.hub_channel "
            "(or the program's hub) to an existing channel.",
            kind=PERMANENT,
        )

    async def _send(
        self, channel_id: str, message: Reply, workspace: str, *, reply_to: str | None, in_dm: bool,
        delivery: Delivery | None,
    ) -> Sent:
        """Send every part of the rendered Reply; the first message's id is the reference
        (it carries the title, and prompts' answers are matched to it)."""
        key = delivery.key if delivery is not None else None
        first: str | None = None
        for i, part in enumerate(render(message)):
            kwargs = message_kwargs(part, guild=workspace if in_dm else None)
            ref = None
            if reply_to and i == 0 and reply_to.isdigit():
                ref = discord.MessageReference(
                    message_id=int(reply_to), channel_id=int(channel_id), fail_if_not_exists=False
                )
            params = handle_message_parameters(
                content=kwargs["content"],
                embeds=kwargs["embeds"],
                view=kwargs.get("view", discord.utils.MISSING),
                allowed_mentions=kwargs["allowed_mentions"],
                message_reference=ref.to_message_reference_dict() if ref else discord.utils.MISSING,
                nonce=nonce_for(f"{key}:{i}") if key else None,
            )
            if key and params.payload is not None:
                # Discord drops a repeat of the same nonce (sent within minutes): a send retried
                # after a crash between "accepted" and "marked sent" is not duplicated.
                params.payload["enforce_nonce"] = True
            try:
                with params:
                    data = await self.http.send_message(channel_id, params=params)
            except Exception as exc:
                raise classify(exc) from exc
            if first is None:
                first = str(data["id"])
        assert first is not None
        return Sent(first)
