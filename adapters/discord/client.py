"""The discord.py client: an AutoShardedBot carrying the core, the config and the few
pieces of adapter state (forms between pages).

``AutoShardedBot`` with no shard options asks Discord for the recommended shard count;
with ``shard_ids``/``shard_count`` one process runs just those shards, so a large bot is
spread over several processes (each its own ``circlebot run --platform discord``).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands

from adapters.discord.cog import CircleCog
from adapters.discord.views import CircleButton, PendingForms
from bot.config import Config
from bot.core import CircleBot

log = logging.getLogger(__name__)
MIN_RATELIMIT_TIMEOUT = 30.0  # discord.py refuses anything lower


def intents(config: Config) -> discord.Intents:
    """Guilds (guild join/remove, threads) and guild messages (answers typed in threads).
    Message *content* is privileged: only asked for when configured."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = config.discord.message_content_intent
    return wanted


class CircleClient(commands.AutoShardedBot):
    def __init__(
        self,
        core: CircleBot,
        config: Config,
        *,
        shard_ids: list[int] | None = None,
        shard_count: int | None = None,
    ) -> None:
        options: dict[str, Any] = {}
        if shard_count is not None:
            options["shard_count"] = shard_count
        if shard_ids:
            options["shard_ids"] = list(shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(config),
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=max(config.discord.max_ratelimit_timeout, MIN_RATELIMIT_TIMEOUT),
            **options,
        )
        self.core = core
        self.config = config
        self.pending_forms = PendingForms()

    async def setup_hook(self) -> None:
        """Runs inside ``login``: buttons become routable before any event arrives."""
        self.add_dynamic_items(CircleButton)
        await self.add_cog(CircleCog(self))
        if self.config.discord.sync_commands:
            await self.sync_commands()

    async def sync_commands(self) -> None:
        """Per guild when DISCORD_GUILD_IDS is set (instant, good for testing), else global
        (may take a while to reach every client)."""
        guild_ids = [g for g in self.config.discord.guild_ids if str(g).strip()]
        if not guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d global command(s)", len(synced))
            return
        for gid in guild_ids:
            guild = discord.Object(id=int(gid))
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d command(s) to guild %s", len(synced), gid)
