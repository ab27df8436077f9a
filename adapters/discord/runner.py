"""Running the Discord side: `circlebot run --platform discord`.

The composition root (``bot/bootstrap.py``) checks the settings with the helpers here,
builds the client and its gateway (so the delivery worker has the gateway before anything
connects), then awaits ``run_discord`` with that client until shutdown.
"""

from __future__ import annotations

import discord
import discord.http

from adapters.discord.client import CircleClient
from bot.config import Config, ConfigError, DiscordConfig

NO_TOKEN = "Set DISCORD_BOT_TOKEN (Developer Portal → your app → Bot → Reset Token) to run on Discord."


def check_config(config: Config) -> None:
    """Fail at start with the variable to set, not when logging in."""
    if not config.discord.token:
        raise ConfigError(NO_TOKEN)


def shard_plan(cfg: DiscordConfig, shard_ids: list[int] | None = None,
               shard_count: int | None = None) -> tuple[list[int] | None, int | None]:
    """The shards this process runs: arguments win over the config; a range is checked."""
    ids = shard_ids if shard_ids is not None else (cfg.shard_ids or None)
    count = shard_count if shard_count is not None else cfg.shard_count
    if ids and count is None:
        raise ConfigError("--shard-ids needs --shard-count (the total number of shards).")
    if ids and count is not None and any(not 0 <= i < count for i in ids):
        raise ConfigError(f"Shard ids must be from 0 to {count - 1}; got {ids}.")
    return ids, count


def use_api_base(url: str) -> None:
    """Point discord.py at another API root (a test double or a proxy); process-wide."""
    if url:
        discord.http.Route.BASE = url.rstrip("/")


async def run_discord(client: CircleClient, token: str) -> None:
    """Log in, sync commands, and serve until the client is closed."""
    if not token:
        raise ConfigError(NO_TOKEN)
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
