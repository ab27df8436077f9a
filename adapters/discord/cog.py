"""The `/circle` slash command group, and the guild/message events the core cares about.

Subcommands are generated from ``bot.commands.SPECS`` (see options.py), so a command added
to the grammar appears on Discord with no change here. Nested paths (``goal set``) become
subcommand groups: Discord allows exactly that one level (/circle goal set).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.options import Option, discord_paths, make_callback, options_for, to_request
from adapters.discord.respond import identity, run_and_reply, send_reply
from adapters.discord.threads import ThreadReplies
from adapters.discord.views import answer_orphan_modal
from bot import commands as c
from bot.replies import error

if TYPE_CHECKING:
    from adapters.discord.client import CircleClient

log = logging.getLogger(__name__)
AUTOCOMPLETE_MAX = 25
GROUP_DESCRIPTIONS = {
    "goal": "Your goals",
    "profile": "Your circle profile",
    "program": "Programs (coordinators create and open them)",
    "prompt": "Custom prompts",
    "round": "Rounds: preview, adjust, publish, end",
    "coordinators": "Who runs circles here",
}


@app_commands.guild_only()
class CircleCog(commands.GroupCog, group_name="circle", group_description="Peer-learning circles"):
    def __init__(self, client: CircleClient) -> None:
        self.client = client
        self.thread_replies = ThreadReplies(client)
        super().__init__()
        self._build()

    # ---------------------------------------------------------------- commands
    def _build(self) -> None:
        root = self.app_command
        groups: dict[str, app_commands.Group] = {}
        for path, spec in discord_paths().items():
            parent: app_commands.Group = root
            if len(path) > 1:
                if path[0] not in groups:
                    groups[path[0]] = app_commands.Group(
                        name=path[0],
                        description=GROUP_DESCRIPTIONS.get(path[0], path[0].capitalize()),
                        parent=root,  # a Group given its parent adds itself to it
                    )
                parent = groups[path[0]]
            opts = options_for(spec)
            summary = spec.summary + (" (coordinators)" if spec.coordinator_only else "")
            command = app_commands.Command(
                name=path[-1],
                description=summary[:100],
                callback=make_callback("_".join(path), opts, self._runner(spec)),
                parent=parent,
            )
            for o in opts:
                if o.autocomplete:
                    command.autocomplete(o.name)(self._completer(o))
            parent.add_command(command)

    def _runner(self, spec: c.CommandSpec) -> Any:
        async def run(interaction: discord.Interaction[Any], values: dict[str, Any]) -> None:
            try:
                request = to_request(spec, values, self.client.core.today())
            except c.ParseError as exc:
                await send_reply(interaction, error(exc.message, exc.usage))
                return
            who = identity(interaction)
            await run_and_reply(interaction, self.client.core.handle_request(who, request))

        return run

    def _completer(self, option: Option) -> Any:
        kind = option.autocomplete or ""

        async def complete(
            interaction: discord.Interaction[Any], current: str
        ) -> list[app_commands.Choice[str]]:
            try:
                found = await self.client.core.autocomplete(identity(interaction), kind, current)
            except Exception:  # a failing suggestion list must not break typing the command
                log.exception("autocomplete %s failed", kind)
                return []
            return [
                app_commands.Choice(name=(label or value)[:100], value=value[:100])
                for value, label in found[:AUTOCOMPLETE_MAX]
            ]

        return complete

    # ------------------------------------------------------------------ events
    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Kicked, banned or the server deleted: stop everything for that workspace."""
        await self.client.core.workspace_removed("discord", str(guild.id))

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Added back within the grace period: the pending purge is cancelled."""
        await self.client.core.workspace_restored("discord", str(guild.id))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        await answer_orphan_modal(interaction)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        await self.thread_replies.on_message(message)
