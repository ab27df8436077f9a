"""Answers typed into a circle's thread.

A prompt is posted into the circle's private thread. A member's message in that thread
answers the prompt they replied to, or else the circle's newest prompt: the core knows which
prompt belongs to which message, so nothing here reads button ids or history.

Reading what members type needs the privileged *message content* intent
(``discord.message_content_intent = true`` and the toggle in the Developer Portal). Without
it Discord sends empty content and this does nothing: the Answer button's modal works
either way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.render import render
from adapters.discord.respond import is_coordinator, message_kwargs
from bot.ports import Identity

if TYPE_CHECKING:
    from adapters.discord.client import CircleClient

log = logging.getLogger(__name__)
RECORDED = "✅"


class ThreadReplies:
    def __init__(self, client: CircleClient) -> None:
        self.client = client

    async def on_message(self, message: discord.Message) -> None:
        channel = message.channel
        if message.author.bot or message.guild is None or not isinstance(channel, discord.Thread):
            return
        text = message.content.strip()
        if not text:  # no content intent, or only an attachment: nothing to record
            return
        who = self._identity(message)
        # the message it replies to, else the circle's newest prompt (the core knows which)
        ref = message.reference.message_id if message.reference is not None else None
        candidates = [str(ref)] if ref else []
        for candidate in [*candidates, None]:
            reply = await self.client.core.handle_thread_reply(who, str(channel.id), candidate, text)
            if reply is not None:
                await self._acknowledge(message, reply)
                return

    def _identity(self, message: discord.Message) -> Identity:
        author = message.author
        cfg = self.client.config.discord
        is_admin = is_coordinator(
            author, author.guild_permissions, cfg.coordinator_role)
        return Identity(
            platform="discord",
            workspace=str(message.guild.id) if message.guild else "",
            user=str(author.id),
            display_name=author.display_name,
            is_admin=is_admin,
            channel=str(message.channel.id),
        )

    async def _acknowledge(self, message: discord.Message, reply: Any) -> None:
        """A reaction says "recorded" without adding noise to the circle's thread; anything
        else (too long, not a member of this circle) is a quiet reply that pings nobody."""
        try:
            if reply.tone == "success":
                await message.add_reaction(RECORDED)
                return
            part = render(reply)[0]
            kwargs = message_kwargs(part, guild=None)
            kwargs.pop("view", None)
            await message.reply(mention_author=False, **kwargs)
        except discord.HTTPException:
            log.warning("could not acknowledge an answer in thread %s", message.channel.id)
