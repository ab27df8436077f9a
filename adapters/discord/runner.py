"""Starting the Discord side: `circlebot run --platform discord`.

The composition root calls ``build_discord`` first (so it can hand the gateway to the
delivery worker), then awaits ``run_discord`` with the same client until shutdown.
"""

from __future__ import annotations

import discord
import discord.http

from adapters.discord.client import CircleClient
from adapters.discord.gateway import DiscordGateway
from bot.config import Config, ConfigError
from bot.core import CircleBot


def build_discord(
    core: CircleBot,
    config: Config,
    *,
    shard_ids: list[int] | None = None,
    shard_count: int | None = None,
) -> tuple[CircleClient, DiscordGateway]:
    cfg = config.discord
    if cfg.api_base_url:
        discord.http.Route.BASE = cfg.api_base_url.rstrip("/")
    ids = shard_ids if shard_ids is not None else (cfg.shard_ids or None)
    count = shard_count if shard_count is not None else cfg.shard_count
    if ids and count is None:
        raise ConfigError("--shard-ids needs --shard-count (the total number of shards).")
    if ids and count is not None and any(not 0 <= i < count for i in ids):
        raise ConfigError(f"Shard ids must be from 0 to {count - 1}; got {ids}.")
    client = CircleClient(core, config, shard_ids=ids, shard_count=count)
    return client, DiscordGateway(client, cfg.hub_channel)


async def run_discord(
    core: CircleBot,
    config: Config,
    *,
    shard_ids: list[int] | None = None,
    shard_count: int | None = None,
    client: CircleClient | None = None,
) -> None:
    """Log in, sync commands, and serve until the client is closed."""
    token = config.discord.token
    if not token:
        raise ConfigError(
            "Set DISCORD_BOT_TOKEN (Developer Portal → your app → Bot → Reset Token) to run on Discord."
        )
    if client is None:
        client, _ = build_discord(core, config, shard_ids=shard_ids, shard_count=shard_count)
    try:
        async with client:
            await client.start(token)
    except discord.LoginFailure as exc:
        raise ConfigError("Discord rejected DISCORD_BOT_TOKEN: reset it in the Developer Portal.") from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise ConfigError(
            "discord.message_content_intent is on, but the Message Content intent is not enabled "
            "for this bot: turn it on in the Developer Portal (Bot → Privileged Gateway Intents), "
            "or set message_content_intent = false and members answer with the Answer button."
        ) from exc
