"""Rendering replies for Discord: within every limit Discord enforces, and never a ping."""

from __future__ import annotations

import pytest

from adapters.discord.render import CONTENT_MAX, EMBED_TOTAL_MAX, render
from adapters.discord.runner import check_config, run_discord
from adapters.discord.views import custom_id_for
from bot.bootstrap import build_discord
from bot.config import Config, ConfigError
from bot.replies import Field, Reply, Section


def test_an_enormous_reply_is_cut_to_ten_messages_with_a_note_saying_so() -> None:
    parts = render(Reply(text="word " * 200_000))
    assert len(parts) == 10
    assert all(sum(len(e) for e in p.embeds) <= EMBED_TOTAL_MAX for p in parts)
    assert "truncated" in (parts[-1].embeds[-1].description or "")


def test_sections_and_fields_keep_their_order_and_labels() -> None:
    [part] = render(Reply(title="Status", text="Only you can see this.",
                          sections=[Section("A circle", "My circles")], fields=[Field("Role", "Mentor")]))
    [embed] = part.embeds
    assert embed.description == "Only you can see this.\n\n**My circles**\nA circle"
    assert (embed.fields[0].name, embed.fields[0].value) == ("Role", "Mentor")


def test_a_hundred_mentions_still_fit_in_one_message() -> None:
    users = [str(100000000000000000 + i) for i in range(100)]
    [part] = render(Reply(text="hi", mentions=users))
    assert len(part.content) <= CONTENT_MAX


def test_button_ids_over_discords_100_characters_are_refused_not_sent() -> None:
    with pytest.raises(ValueError):
        custom_id_for("answer", "x" * 100)


def test_shards_need_a_count_and_must_be_in_range() -> None:
    cfg = Config()
    client, gateway = build_discord(None, cfg, shard_ids=[0, 1], shard_count=4)  # type: ignore[arg-type]
    assert client.shard_ids == [0, 1] and client.shard_count == 4 and gateway.platform == "discord"
    with pytest.raises(ConfigError):
        build_discord(None, cfg, shard_ids=[1])  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        build_discord(None, cfg, shard_ids=[4], shard_count=4)  # type: ignore[arg-type]


async def test_running_without_a_token_explains_where_to_get_one() -> None:
    with pytest.raises(ConfigError, match="DISCORD_BOT_TOKEN"):
        check_config(Config())
    with pytest.raises(ConfigError, match="DISCORD_BOT_TOKEN"):
        await run_discord(None, Config().discord.token)  # type: ignore[arg-type]
