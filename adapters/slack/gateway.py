"""SlackGateway: how the delivery worker reaches people on Slack.

Every failure leaves as a classified DeliveryError (see errors.py); nothing here sleeps or
retries on its own except the two recoveries Slack documents as safe: a taken channel name
gets a suffix, and `not_in_channel` on a public channel is fixed by joining it once.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import api_error_code, to_delivery_error
from adapters.slack.installation_store import DbInstallationStore
from adapters.slack.render import message_kwargs
from bot.ports import Delivery, DeliveryError, FailureKind, Sent, SentNote
from bot.replies import Reply

log = logging.getLogger(__name__)

MAX_NAME = 80
MAX_GROUP_DM = 8  # conversations.open takes at most 8 users
NO_CHANNELS = {"missing_scope", "restricted_action"}
PER_USER_INVITE_ERRORS = {"already_in_channel", "cant_invite_self", "user_not_found",
                          "user_is_restricted", "user_is_ultra_restricted", "user_disabled",
                          "cant_invite", "ura_max_channels"}


def channel_name(name: str) -> str:
    """Slack channel names: lowercase letters, digits, `-` and `_`, at most 80 chars."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_name.lower()).strip("-_")
    slug = re.sub(r"-{2,}", "-", slug)
    return (slug or "circle")[:MAX_NAME].rstrip("-_") or "circle"


def _suffixed(base: str, n: int) -> str:
    sfx = f"-{n}"
    return base[: MAX_NAME - len(sfx)].rstrip("-_") + sfx


class SlackGateway:
    platform = "slack"

    def __init__(self, *, token: str = "", installations: DbInstallationStore | None = None,
                 base_url: str = "", name_attempts: int = 20) -> None:
        if not token and installations is None:
            raise ValueError("SlackGateway needs a bot token or an installation store")
        self.token = token
        self.installations = installations
        self.base_url = base_url or AsyncWebClient.BASE_URL
        self.name_attempts = name_attempts
        self._created: dict[tuple[str, str], str] = {}  # retried create_space reuses these

    async def client(self, workspace: str) -> AsyncWebClient:
        token = self.token
        if self.installations is not None:
            token = await self.installations.bot_token(workspace) or ""
        if not token:
            raise DeliveryError("not_installed",
                                f"Circlebot is not installed in Slack workspace {workspace}; "
                                "an admin needs to install it again.", kind=FailureKind.PERMANENT)
        return AsyncWebClient(token=token, base_url=self.base_url, retry_handlers=[])

    # ------------------------------------------------------------- spaces

    async def create_space(self, workspace: str, name: str, member_users: list[str],
                           hub: str | None = None, *, delivery: Delivery | None = None) -> Sent:
        client = await self.client(workspace)
        channel = self._created.get((workspace, name))
        if channel is None and delivery is not None and delivery.attempt > 1:
            # an earlier claim may have created the channel before its worker died (or before
            # a transient error sent the job to another replica): adopt it, don't make "-2"
            try:
                channel = await self._created_channel(client, name)
            except SlackApiError as exc:
                raise to_delivery_error(exc) from exc
        if channel is None:
            try:
                channel = await self._create_channel(client, name)
            except SlackApiError as exc:
                if api_error_code(exc) not in NO_CHANNELS:
                    raise to_delivery_error(exc) from exc
                return await self._group_dm(client, member_users, str(to_delivery_error(exc)))
            self._created[(workspace, name)] = channel
        await self._invite(client, channel, member_users)
        return Sent(channel)

    async def _created_channel(self, client: AsyncWebClient, name: str) -> str | None:
        """The open private channel this bot created under this name (or the first suffixed
        name an earlier attempt would have tried), if there is one."""
        base = channel_name(name)
        order = [base] + [_suffixed(base, n + 1) for n in range(1, self.name_attempts)]
        me = (await client.auth_test())["user_id"]
        found: dict[str, str] = {}
        cursor: str | None = None
        while True:
            page = await client.conversations_list(types="private_channel", exclude_archived=True,
                                                   limit=200, cursor=cursor)
            for ch in page.get("channels", []):
                if ch.get("creator") == me and ch.get("name") in order:
                    found.setdefault(ch["name"], ch["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return next((found[n] for n in order if n in found), None)

    async def _create_channel(self, client: AsyncWebClient, name: str) -> str:
        base = channel_name(name)
        for attempt in range(self.name_attempts):
            candidate = base if attempt == 0 else _suffixed(base, attempt + 1)
            try:
                resp = await client.conversations_create(name=candidate, is_private=True)
            except SlackApiError as exc:
                if api_error_code(exc) == "name_taken":
                    continue
                raise
            return str(resp["channel"]["id"])
        raise DeliveryError("name_taken", f"Every channel name like #{base} is taken; "
                            "rename the program or archive old circle channels.", kind=FailureKind.PERMANENT)

    async def invite(self, workspace: str, space: str, users: list[str]) -> None:
        """Add late joiners to a circle's channel. A group-DM circle can't grow on Slack
        (its members are fixed), which is a permanent, explained failure."""
        client = await self.client(workspace)
        try:
            await self._invite(client, space, users)
        except DeliveryError as exc:
            if exc.code != "method_not_supported_for_channel_type":
                raise
            raise DeliveryError("cannot_grow_group_dm", "This circle is a group DM, and Slack can't "
                                "add people to one: add them by hand or re-form the circle.",
                                kind=FailureKind.PERMANENT) from exc

    async def _invite(self, client: AsyncWebClient, channel: str, users: list[str]) -> None:
        if not users:
            return
        try:
            await client.conversations_invite(channel=channel, users=",".join(users))
            return
        except SlackApiError as exc:
            if api_error_code(exc) not in PER_USER_INVITE_ERRORS or len(users) == 1:
                if api_error_code(exc) in PER_USER_INVITE_ERRORS:
                    return
                raise to_delivery_error(exc) from exc
        for user in users:  # one bad user must not keep the others out
            try:
                await client.conversations_invite(channel=channel, users=user)
            except SlackApiError as exc:
                if api_error_code(exc) not in PER_USER_INVITE_ERRORS:
                    raise to_delivery_error(exc) from exc
                log.info("could not invite %s to %s: %s", user, channel, api_error_code(exc))

    async def _group_dm(self, client: AsyncWebClient, users: list[str], why: str) -> Sent:
        """The workspace forbids the app to create channels: the circle gets a group DM, and
        the result says so (the core tells the coordinators)."""
        if not 1 <= len(users) <= MAX_GROUP_DM:
            raise DeliveryError(
                "cannot_create_space",
                f"{why} A group DM instead holds at most {MAX_GROUP_DM} people and this "
                f"circle has {len(users)}; give Circlebot the groups:write scope.",
                kind=FailureKind.PERMANENT)
        try:
            resp = await client.conversations_open(users=",".join(users))
        except SlackApiError as exc:
            raise to_delivery_error(exc) from exc
        return Sent(str(resp["channel"]["id"]), SentNote.GROUP_DM_FALLBACK)

    async def archive_space(self, workspace: str, space: str) -> None:
        client = await self.client(workspace)
        try:
            await self._with_join(client, space, client.conversations_archive, channel=space)
        except SlackApiError as exc:
            code = api_error_code(exc)
            if code == "already_archived":
                return
            if code in ("method_not_supported_for_channel_type", "cant_archive_mpim"):
                try:  # a group-DM fallback cannot be archived, only closed
                    await client.conversations_close(channel=space)
                    return
                except SlackApiError as exc2:
                    raise to_delivery_error(exc2) from exc2
            raise to_delivery_error(exc) from exc

    # ------------------------------------------------------------- messages

    async def post(self, workspace: str, space: str, message: Reply,
                   thread: str | None = None, *, delivery: Delivery | None = None) -> Sent:
        client = await self.client(workspace)
        kwargs = {**message_kwargs(message), **_outbox_metadata(delivery)}
        if thread:
            kwargs["thread_ts"] = thread
        try:
            earlier = await self._already_sent(client, space, thread, delivery)
            if earlier:
                return Sent(earlier)
            resp = await self._with_join(client, space, client.chat_postMessage,
                                         channel=space, **kwargs)
        except SlackApiError as exc:
            raise to_delivery_error(exc) from exc
        return Sent(str(resp["ts"]))

    async def dm(self, workspace: str, user: str, message: Reply, *,
                 delivery: Delivery | None = None) -> Sent:
        client = await self.client(workspace)
        try:
            opened = await client.conversations_open(users=user)
            channel = opened["channel"]["id"]
            earlier = await self._already_sent(client, channel, None, delivery)
            if earlier:
                return Sent(earlier)
            resp = await client.chat_postMessage(channel=channel, **message_kwargs(message),
                                                 **_outbox_metadata(delivery))
        except SlackApiError as exc:
            raise to_delivery_error(exc) from exc
        return Sent(str(resp["ts"]))

    async def _already_sent(self, client: AsyncWebClient, channel: str, thread: str | None,
                            delivery: Delivery | None) -> str | None:
        """Slack has no idempotency key, so a worker that died after Slack accepted a post
        but before the outbox marked it sent would post twice. Each post carries its outbox
        key as message metadata; when the row is being retried, look for that key among the
        channel's recent messages first and reuse the message found."""
        if delivery is None or not delivery.retried:
            return None
        try:
            if thread:
                resp = await client.conversations_replies(channel=channel, ts=thread, limit=100,
                                                          include_all_metadata=True)
            else:
                resp = await client.conversations_history(channel=channel, limit=100,
                                                          include_all_metadata=True)
        except SlackApiError as exc:
            if api_error_code(exc) in ("ratelimited", "invalid_auth", "token_revoked"):
                raise
            return None  # can't look (e.g. no history scope): sending again is the lesser evil
        for msg in resp.get("messages") or []:
            payload = (msg.get("metadata") or {}).get("event_payload") or {}
            if payload.get("circlebot_key") == delivery.key:
                return str(msg["ts"])
        return None

    async def _with_join(self, client: AsyncWebClient, target: str, call, **kwargs):  # type: ignore[no-untyped-def]
        """`not_in_channel`: join once (public channels only) and try again; a private
        channel the bot was removed from stays a permanent not_in_channel."""
        try:
            return await call(**kwargs)
        except SlackApiError as exc:
            if api_error_code(exc) != "not_in_channel":
                raise
            try:
                await client.conversations_join(channel=target)
            except SlackApiError as join_exc:
                log.info("conversations.join %s failed: %s", target, api_error_code(join_exc))
                raise exc from join_exc
            return await call(**kwargs)


def _outbox_metadata(delivery: Delivery | None) -> dict[str, Any]:
    """Each post carries its outbox key, so a retried send can find it (see _already_sent)."""
    if delivery is None:
        return {}
    return {"metadata": {"event_type": "circlebot_outbox",
                         "event_payload": {"circlebot_key": delivery.key}}}
