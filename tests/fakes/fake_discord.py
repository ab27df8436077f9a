"""Compatibility re-exports: the fake Discord now lives in ``tests.fakes.discord``."""

from tests.fakes.discord.harness import (
    Answer,
    DiscordHarness,
    Harness,
    command_for,
    fake_discord_api,
    logged_in,
    who_can_be_pinged,
)
from tests.fakes.discord.limits import error_body, jresp
from tests.fakes.discord.payloads import (
    APP,
    APP_ID,
    BOT_USER,
    EPHEMERAL,
    MANAGE_GUILD,
    TIMESTAMP,
    button_press,
    guild_create,
    guild_delete,
    member,
    message_create,
    modal_submit,
    role,
    slash,
    text_channel,
    user,
)
from tests.fakes.discord.server import Call, FakeDiscord, FakeGuild, Scripted

__all__ = ["APP", "APP_ID", "BOT_USER", "EPHEMERAL", "MANAGE_GUILD", "TIMESTAMP", "Answer", "Call",
           "DiscordHarness", "FakeDiscord", "FakeGuild", "Harness", "Scripted", "button_press",
           "command_for", "error_body", "fake_discord_api", "guild_create", "guild_delete", "jresp",
           "logged_in", "member", "message_create", "modal_submit", "role", "slash", "text_channel",
           "user", "who_can_be_pinged"]
