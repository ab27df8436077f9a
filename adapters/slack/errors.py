"""Slack failures to DeliveryError, classified once into the core's neutral FailureKind.

The outbox owns retries (it knows attempts, backoff and Retry-After across restarts), so the
Slack clients here have no rate-limit retry handler: a 429 is surfaced as a transient
DeliveryError with ``retry_after`` instead of sleeping inside a send.
"""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.ports import DeliveryError, FailureKind

REINSTALL = ("Slack rejected Circlebot's token ({code}): the app was removed from this "
             "workspace or its token was revoked. A workspace admin needs to reinstall it.")

PERMANENT: dict[str, str] = {
    "channel_not_found": "The circle's channel no longer exists, or Circlebot can't see it.",
    "is_archived": "The circle's channel is archived; unarchive it or rematch the circle.",
    "not_in_channel": "Circlebot isn't a member of that channel; invite @Circlebot to it.",
    "invalid_auth": REINSTALL,
    "not_authed": REINSTALL,
    "token_revoked": REINSTALL,
    "token_expired": REINSTALL,
    "account_inactive": REINSTALL,
    "team_access_not_granted": REINSTALL,
    "restricted_action": "This workspace's settings don't allow Circlebot to do that; "
                         "a workspace admin can change the app permissions.",
    "user_not_found": "That Slack user no longer exists.",
    "users_not_found": "One of the circle's members no longer exists in Slack.",
    "user_disabled": "That Slack user has been deactivated.",
    "cannot_dm_bot": "Circlebot can't send a direct message to another bot.",
    "msg_too_long": "The message was too long for Slack.",
    "invalid_blocks": "Slack rejected the message layout (a Circlebot bug; please report it).",
    "expired_trigger_id": "The form took too long to open. Please run the command again.",
}
# the app lost the whole workspace (uninstalled, token revoked): telling its coordinators
# would fail the same way, so these failures are not reported to them
WORKSPACE_GONE = frozenset({"invalid_auth", "not_authed", "token_revoked", "account_inactive",
                            "team_access_not_granted", "bot_removed"})
TRANSIENT = {"ratelimited", "rate_limited", "internal_error", "fatal_error",
             "service_unavailable", "request_timeout", "team_added_to_org"}


def api_error_code(exc: SlackApiError) -> str:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    if exc.response.status_code == 429:
        return "ratelimited"
    return str(data.get("error") or f"http_{exc.response.status_code}")


def to_delivery_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, SlackApiError):
        code = api_error_code(exc)
        status = exc.response.status_code
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        if code == "ratelimited":
            headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
            raw = headers.get("retry-after", "1")
            raw = raw[0] if isinstance(raw, list) else raw
            try:
                retry = float(raw)
            except ValueError:
                retry = 1.0
            return DeliveryError(code, f"Slack rate limit; retry in {retry:g} s",
                                 kind=FailureKind.TRANSIENT, retry_after=retry)
        if code in TRANSIENT or status >= 500:
            return DeliveryError(code, f"Slack is having trouble ({code}); will retry",
                                 kind=FailureKind.TRANSIENT, retry_after=None)
        if code == "missing_scope":
            needed = data.get("needed") or "an extra permission"
            return DeliveryError(
                code, f"Circlebot is missing the Slack permission `{needed}`; reinstall the app "
                      "from adapters/slack/manifest.yml so it has every scope.", kind=FailureKind.PERMANENT)
        message = PERMANENT.get(code, f"Slack refused the request ({code}).")
        kind = FailureKind.WORKSPACE_GONE if code in WORKSPACE_GONE else FailureKind.PERMANENT
        return DeliveryError(code, message.format(code=code), kind=kind)
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | TimeoutError | OSError):
        return DeliveryError("network", f"Couldn't reach Slack ({type(exc).__name__}); "
                             "will retry", kind=FailureKind.TRANSIENT)
    return DeliveryError("unexpected", f"Unexpected error talking to Slack: {exc}",
                         kind=FailureKind.TRANSIENT)
