"""Files on Slack: a Reply's attachments go up through Slack's current upload API
(``files.getUploadURLExternal`` → POST to the returned URL → ``files.completeUploadExternal``
with the channel), by slack_sdk's own ``files_upload_v2``.

A retried outbox row must not share its files twice: before uploading again, the channel's
recent history is searched for a share of the same file names after the row's message.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import api_error_code
from bot.replies import Attachment

log = logging.getLogger(__name__)


async def upload(client: AsyncWebClient, channel: str, files: list[Attachment],
                 thread: str | None = None) -> None:
    """Share ``files`` in ``channel`` (one upload call for all of them)."""
    if not files:
        return
    await client.files_upload_v2(
        channel=channel, thread_ts=thread,
        file_uploads=[{"content": f.data, "filename": f.filename, "title": f.title or f.filename,
                       "alt_txt": f.alt_text[:1000] or None} for f in files])


async def already_shared(client: AsyncWebClient, channel: str, files: list[Attachment],
                         since: str) -> bool:
    """Were these files shared in ``channel`` at or after message ``since``?"""
    try:
        resp = await client.conversations_history(channel=channel, oldest=since, inclusive=True,
                                                  limit=100)
    except SlackApiError as exc:
        if api_error_code(exc) in ("ratelimited", "invalid_auth", "token_revoked"):
            raise
        return False  # can't look: sharing again is the lesser evil
    names = {f.filename for f in files}
    for msg in resp.get("messages") or []:
        if names <= {str(f.get("name")) for f in msg.get("files") or []}:
            return True
    return False
