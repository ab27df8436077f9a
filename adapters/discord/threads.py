"""Answers typed into a circle's thread.

A prompt is posted into the circle's private thread with an "Answer" button (custom id
``circle:answer:<post id>``). A member's message in that thread answers the prompt they
replied to, or else the newest prompt in the thread, found from the thread's recent
history so it survives restarts without any state of ours.

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
from adapters.discord.respond import message_kwargs
from bot.ports import Identity

if TYPE_CHECKING:
    from adapters.discord.client import CircleClient

log = logging.getLogger(__name__)
PROMPT_MARK = "circle:answer:"
HISTORY_LIMIT = 50
RECORDED = "✅"


def is_prompt(message: discord.Message) -> bool:
    for row in message.components:
        for child in getattr(row, "children", []):
            if str(getattr(child, "custom_id", "") or "").startswith(PROMPT_MARK):
                return True
    return False


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
        tried: set[str] = set()
        for ref in await self._candidates(message):
            if ref in tried:
                continue
            tried.add(ref)
            reply = await self.client.core.handle_thread_reply(who, str(channel.id), ref, text)
            if reply is None:
                continue
            await self._acknowledge(message, reply)
            return

    async def _candidates(self, message: discord.Message) -> list[str]:
        refs = []
        if message.reference is not None and message.reference.message_id:
            refs.append(str(message.reference.message_id))
        latest = await self._latest_prompt(message.channel)  # type: ignore[arg-type]
        if latest:
            refs.append(latest)
        return refs

    async def _latest_prompt(self, thread: discord.Thread) -> str | None:
        me = self.client.user
        try:
            async for m in thread.history(limit=HISTORY_LIMIT):
                if me is not None and m.author.id == me.id and is_prompt(m):
                    return str(m.id)
        except discord.HTTPException:
            log.warning("could not read history of thread %s", thread.id)
        return None

    def _identity(self, message: discord.Message) -> Identity:
        author = message.author
        cfg = self.client.config.discord
        is_admin = isinstance(author, discord.Member) and (
            author.guild_permissions.manage_guild
            or any(cfg.coordinator_role in (r.name, str(r.id)) for r in author.roles)
        )
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
