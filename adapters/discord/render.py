"""Neutral Reply -> Discord messages (content + embeds + buttons + allowed mentions).

Two rules shape everything here:

* Nothing a member typed may ping. All Reply text goes into embeds (mentions inside embeds
  never notify), ``@everyone``/``@here`` are broken with a zero-width space in case a client
  shows them, and every message carries ``AllowedMentions`` that allow only the users in
  ``Reply.mentions``, whose real mentions are the only thing put in ``content``.
* Discord rejects oversized messages outright (400, code 50035), losing the send. So text is
  split across embeds and messages at line boundaries, and what still cannot fit (a field
  value over 1,024, more than ``MAX_MESSAGES`` messages) is truncated with a visible note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import discord

from bot.replies import Button, Reply
from bot.text import split_text

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
EMBED_TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
BUTTONS_MAX = 25
MAX_MESSAGES = 10
NOTE_ROOM = 100  # room left in each message for a truncation note
TRUNCATED = "… (truncated)"
ZWSP = "\u200b"

TONE_COLOURS = {
    "info": discord.Colour(0x5865F2),
    "success": discord.Colour(0x57F287),
    "warning": discord.Colour(0xFEE75C),
    "error": discord.Colour(0xED4245),
}
BUTTON_STYLES = {
    "default": discord.ButtonStyle.secondary,
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
}

_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)


def neutralise(text: str) -> str:
    """Make ``@everyone``/``@here`` inert text (belt and braces next to AllowedMentions)."""
    return _MASS_MENTION.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATED)].rstrip() + TRUNCATED


def allowed_mentions(users: list[str]) -> discord.AllowedMentions:
    """Only the reply's intended recipients may be pinged; never roles or everyone."""
    return discord.AllowedMentions(
        everyone=False,
        roles=False,
        users=[discord.Object(id=int(u)) for u in users if u.isdigit()],
        replied_user=False,
    )


@dataclass
class Rendered:
    """One Discord message's worth of a Reply."""

    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> discord.AllowedMentions:
        return allowed_mentions(self.mentions)


def _embed_size(e: discord.Embed) -> int:
    return len(e)


def _body(reply: Reply) -> str:
    parts = [reply.text] if reply.text else []
    for s in reply.sections:
        parts.append(f"**{s.title}**\n{s.text}" if s.title else s.text)
    return neutralise("\n\n".join(p for p in parts if p))


def build_embeds(reply: Reply) -> list[discord.Embed]:
    colour = TONE_COLOURS.get(reply.tone, TONE_COLOURS["info"])
    title = truncate(neutralise(reply.title), TITLE_MAX) if reply.title else None
    # keep each embed comfortably under the 6,000 total so fields still fit beside text
    chunks = split_text(_body(reply), DESCRIPTION_MAX) if (reply.text or reply.sections) else []
    embeds = [
        discord.Embed(title=title if i == 0 else None, description=chunk or None, colour=colour)
        for i, chunk in enumerate(chunks)
    ] or [discord.Embed(title=title, colour=colour)]
    target = embeds[-1]
    for f in reply.fields:
        if len(target.fields) >= FIELDS_MAX or _embed_size(target) + 1300 > EMBED_TOTAL_MAX - NOTE_ROOM:
            target = discord.Embed(colour=colour)
            embeds.append(target)
        target.add_field(
            name=truncate(neutralise(f.label), FIELD_NAME_MAX) or ZWSP,
            value=truncate(neutralise(f.value), FIELD_VALUE_MAX) or ZWSP,
            inline=f.inline,
        )
    return embeds


def render(reply: Reply) -> list[Rendered]:
    """Pack the embeds into as few messages as Discord's limits allow; mentions go in the
    first message, buttons on the last (so they sit under the whole text)."""
    messages: list[Rendered] = [Rendered()]
    size = 0
    for embed in build_embeds(reply):
        current = messages[-1]
        esize = _embed_size(embed)
        if current.embeds and (
            len(current.embeds) >= EMBEDS_PER_MESSAGE or size + esize > EMBED_TOTAL_MAX - NOTE_ROOM
        ):
            messages.append(Rendered())
            current, size = messages[-1], 0
        current.embeds.append(embed)
        size += esize
    if len(messages) > MAX_MESSAGES:
        dropped = len(messages) - MAX_MESSAGES
        messages = messages[:MAX_MESSAGES]
        last = messages[-1].embeds[-1]
        note = f"\n\n_(truncated: {dropped} more message(s) not shown)_"
        last.description = truncate(last.description or "", DESCRIPTION_MAX - len(note)) + note
    if reply.mentions:
        messages[0].mentions = list(reply.mentions)
        messages[0].content = truncate(" ".join(f"<@{u}>" for u in reply.mentions), CONTENT_MAX)
    messages[-1].buttons = list(reply.buttons[:BUTTONS_MAX])
    return messages
