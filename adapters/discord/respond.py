"""Answering one interaction: who is asking, and getting the core's Reply back in time.

Discord drops an interaction that is not acknowledged within 3 seconds, while the core may
be slow (a cold database, forming a round). So the core runs as a task and, if it has not
finished after ``defer_after_seconds``, the interaction is deferred ("thinking…") and the
reply follows as a webhook follow-up. A Reply that asks for a form opens a modal; a modal
can't follow a defer, so then the member gets a button that opens it instead.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.render import Rendered, render
from bot.files import FileReply
from bot.ports import Identity
from bot.replies import Reply

if TYPE_CHECKING:
    from adapters.discord.client import CircleClient

log = logging.getLogger(__name__)

SORRY = Reply(
    text="Something went wrong on my side and nothing was changed. Please try again in a moment.",
    tone="error",
)


def client_of(interaction: discord.Interaction[Any]) -> CircleClient:
    return interaction.client  # type: ignore[return-value]


def is_coordinator(member: discord.abc.User, permissions: discord.Permissions,
                   coordinator_role: str) -> bool:
    """Coordinators are members with Manage Server or the configured role (by name or id)."""
    return isinstance(member, discord.Member) and (permissions.manage_guild or any(
        coordinator_role in (r.name, str(r.id)) for r in member.roles))


def identity(interaction: discord.Interaction[Any], guild_hint: str | None = None) -> Identity:
    """The speaker. Coordinators are members with Manage Server or the configured role;
    the core decides what that allows. ``guild_hint`` names the guild for presses in DMs."""
    cfg = client_of(interaction).config.discord
    user = interaction.user
    is_admin = is_coordinator(user, interaction.permissions, cfg.coordinator_role)
    guild = str(interaction.guild_id) if interaction.guild_id else (guild_hint or "")
    return Identity(
        platform="discord",
        workspace=guild,
        user=str(user.id),
        display_name=user.display_name,
        is_admin=is_admin,
        channel=str(interaction.channel_id) if interaction.channel_id else None,
    )


async def run_and_reply(
    interaction: discord.Interaction[Any], work: Awaitable[Reply], guild_hint: str | None = None
) -> None:
    """Run the core call, acknowledging in time, and send its Reply."""
    delay = client_of(interaction).config.discord.defer_after_seconds
    if delay <= 0:  # configured to always defer (also how tests exercise this path)
        await interaction.response.defer(ephemeral=True, thinking=True)
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=max(delay, 0.0))
    if not done and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        reply = await task
    except Exception:
        log.exception("core failed handling a Discord interaction")
        reply = SORRY
    await send_reply(interaction, reply, guild_hint)


async def send_reply(
    interaction: discord.Interaction[Any], reply: Reply, guild_hint: str | None = None
) -> None:
    from adapters.discord.views import open_form_button, send_form

    if reply.form is not None:
        if not interaction.response.is_done():
            await send_form(interaction, reply.form, guild_hint)
            return
        reply = Reply(
            text=reply.text or "One more step: open the form to continue.",
            title=reply.title,
            buttons=[open_form_button(client_of(interaction), reply.form, guild_hint)],
        )
    ephemeral = reply.visibility == "ephemeral"
    # presses in DMs don't say which server they belong to: put it in the custom id
    in_dm = interaction.guild_id is None
    for i, part in enumerate(render(reply)):
        kwargs = message_kwargs(part, guild=guild_hint if in_dm else None)
        if i == 0 and isinstance(reply, FileReply):
            kwargs["file"] = attachment(reply)
        if i == 0 and not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
        else:
            await interaction.followup.send(ephemeral=ephemeral, **kwargs)


def attachment(reply: FileReply) -> discord.File:
    """A file reply (export-me) as a Discord attachment on the answer itself, so it is as
    private as the answer (ephemeral)."""
    return discord.File(io.BytesIO(reply.file_bytes), filename=reply.safe_name)


def message_kwargs(part: Rendered, guild: str | None) -> dict[str, Any]:
    """discord.py send() keyword arguments for one rendered message."""
    from adapters.discord.views import build_view

    kwargs: dict[str, Any] = {
        "content": part.content or None,
        "embeds": part.embeds,
        "allowed_mentions": part.allowed,
    }
    if part.buttons:
        kwargs["view"] = build_view(part.buttons, guild=guild)
    return kwargs

