"""Answering one interaction: who is asking, and getting the core's Reply back in time.

Discord drops an interaction that is not acknowledged within 3 seconds, while the core may
be slow (a cold database, forming a round). So the core runs as a task and, if it has not
finished after ``defer_after_seconds``, the interaction is deferred ("thinking…") and the
reply follows as a webhook follow-up. A Reply that asks for a form opens a modal; a modal
can't follow a defer, so then the member gets a button that opens it instead.

The defer is ephemeral (most replies are private, and which one this is isn't known until
the core answers). Discord turns the first follow-up after an ephemeral defer into an edit
of that private "thinking…" message, whatever flags it carries, so a reply meant for the
channel is posted as a channel message instead and the private placeholder is deleted.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.render import Rendered, render
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
    interaction: discord.Interaction[Any], work: Awaitable[Reply], guild_hint: str | None = None,
    *, long: bool = False,
) -> None:
    """Run the core call, acknowledging in time, and send its Reply. A ``long`` command
    (health, preview, publish of a big program) is deferred at once: it will take seconds."""
    delay = client_of(interaction).config.discord.defer_after_seconds
    if delay <= 0 or long:  # always defer when configured so (and how tests exercise this)
        await _defer_privately(interaction)
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=max(delay, 0.0))
    if not done and not interaction.response.is_done():
        await _defer_privately(interaction)
    try:
        reply = await task
    except Exception:
        log.exception("core failed handling a Discord interaction")
        reply = SORRY
    await send_reply(interaction, reply, guild_hint)


async def _defer_privately(interaction: discord.Interaction[Any]) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    interaction.extras[DEFERRED_PRIVATELY] = True


DEFERRED_PRIVATELY = "circlebot_deferred_privately"


async def _post_in_channel(interaction: discord.Interaction[Any], parts: list[dict[str, Any]]) -> bool:
    """A public reply after a private defer: post it in the channel the command was typed
    in and delete the private "thinking…" placeholder. False when the bot may not post
    there or the channel is unknown (then the reply still reaches the member, privately, as
    a follow-up)."""
    channel = interaction.channel
    if channel is None or not hasattr(channel, "send"):
        return False
    for i, kwargs in enumerate(parts):
        try:
            await channel.send(**kwargs)
        except discord.HTTPException as exc:
            if i == 0:  # nothing shown yet: say it privately instead
                log.info("could not post a public reply in %s: %s", channel.id, exc)
                return False
            log.warning("a public reply in %s was cut short: %s", channel.id, exc)
            break
    try:
        await interaction.delete_original_response()
    except discord.HTTPException:
        log.info("could not delete the deferred placeholder of interaction %s", interaction.id)
    return True


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
    parts = [message_kwargs(part, guild=guild_hint if in_dm else None) for part in render(reply)]
    if parts and reply.files:  # the files go with the first message, as attachments
        parts[0]["files"] = discord_files(reply)
    if (not ephemeral and interaction.extras.get(DEFERRED_PRIVATELY)
            and await _post_in_channel(interaction, parts)):
        return
    for i, kwargs in enumerate(parts):
        if i == 0 and not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
        else:
            await interaction.followup.send(ephemeral=ephemeral, **kwargs)


def discord_files(reply: Reply) -> list[discord.File]:
    """A reply's attachments as discord.py files (the alt text becomes the description)."""
    return [discord.File(io.BytesIO(f.data), filename=f.filename, description=f.alt_text[:1024] or None)
            for f in reply.files]


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

