"""Discord objects and gateway payloads, shaped per Discord's OpenAPI description
(shared/specs/discord/openapi.json).

The builders feed discord.py's *private* gateway parsers
(``ConnectionState.parse_interaction_create`` and friends). That is the pinned private API
use (discord.py 2.7): keep every payload shape here, in one place.
"""

from __future__ import annotations

import itertools
from typing import Any

APP_ID = "2000"
BOT_USER: dict[str, Any] = {
    "id": "1000",
    "username": "circlebot",
    "discriminator": "0",
    "avatar": None,
    "global_name": "Circlebot",
    "bot": True,
}
APP: dict[str, Any] = {
    "id": APP_ID,
    "name": "circlebot",
    "description": "",
    "icon": None,
    "bot_public": False,
    "bot_require_code_grant": False,
    "owner": {**BOT_USER, "id": "3000", "bot": False, "username": "owner"},
    "verify_key": "00",
    "flags": 0,
}
TIMESTAMP = "2026-01-01T00:00:00+00:00"
MANAGE_GUILD = 1 << 5
EPHEMERAL = 64


_interaction_ids = itertools.count(7_000_000_000_000_000_001)


def user(user_id: str, name: str | None = None) -> dict[str, Any]:
    name = name or f"user{user_id}"
    return {"id": user_id, "username": name, "discriminator": "0", "avatar": None, "global_name": name.title()}


def member(
    user_id: str, name: str | None = None, *, permissions: int = 0, roles: list[str] | None = None
) -> dict[str, Any]:
    return {
        "user": user(user_id, name),
        "roles": roles or [],
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": str(permissions),
    }


def text_channel(channel_id: str, guild_id: str, name: str) -> dict[str, Any]:
    return {
        "id": channel_id,
        "type": 0,
        "flags": 0,
        "guild_id": guild_id,
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "topic": None,
    }


def guild_create(
    guild_id: str,
    name: str = "Guild",
    *,
    channels: list[dict[str, Any]] | None = None,
    roles: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A GUILD_CREATE dispatch (for ``state.parse_guild_create``)."""
    everyone = {
        "id": guild_id,
        "name": "@everyone",
        "permissions": "0",
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    return {
        "id": guild_id,
        "name": name,
        "icon": None,
        "owner_id": "3000",
        "roles": [everyone, *(roles or [])],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": 2,
        "large": False,
        "unavailable": False,
        "members": [member(BOT_USER["id"], BOT_USER["username"])],
        "channels": channels or [],
        "threads": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "system_channel_flags": 0,
        "afk_timeout": 300,
        "joined_at": TIMESTAMP,
    }


def guild_delete(guild_id: str) -> dict[str, Any]:
    """GUILD_DELETE without ``unavailable``: the bot was removed (kicked, or guild deleted)."""
    return {"id": guild_id}


def role(role_id: str, name: str) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "permissions": "0",
        "position": 1,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


def _base_interaction(
    kind: int,
    data: dict[str, Any],
    *,
    guild_id: str | None,
    channel_id: str,
    user_id: str,
    permissions: int,
    roles: list[str] | None,
    message: dict[str, Any] | None = None,
    channel_type: int = 0,
) -> dict[str, Any]:
    iid = str(next(_interaction_ids))
    payload: dict[str, Any] = {
        "id": iid,
        "application_id": APP_ID,
        "type": kind,
        "token": f"tok{iid}",
        "version": 1,
        "channel_id": channel_id,
        "data": data,
        "locale": "en-US",
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {},
        "attachment_size_limit": 8388608,
    }
    if guild_id is not None:
        payload["guild_id"] = guild_id
        payload["member"] = member(user_id, permissions=permissions, roles=roles)
        payload["context"] = 0
        payload["channel"] = {
            **text_channel(channel_id, guild_id, "general"),
            "type": channel_type,
        }
        if channel_type in (11, 12):
            payload["channel"]["thread_metadata"] = {
                "archived": False,
                "archive_timestamp": TIMESTAMP,
                "auto_archive_duration": 10080,
                "locked": False,
            }
            payload["channel"].update(owner_id=BOT_USER["id"], parent_id="5000", message_count=0,
                                      member_count=1, total_message_sent=0)
    else:
        payload["user"] = user(user_id)
        payload["context"] = 1
        payload["channel"] = {"id": channel_id, "type": 1, "flags": 0, "recipients": [user(user_id)]}
    if message is not None:
        payload["message"] = message
    return payload


def slash(
    path: tuple[str, ...] | list[str],
    options: dict[str, Any] | None = None,
    *,
    guild_id: str = "4000",
    channel_id: str = "5000",
    user_id: str = "6000",
    permissions: int = 0,
    roles: list[str] | None = None,
    command: str = "circle",
    focused: str | None = None,
) -> dict[str, Any]:
    """An APPLICATION_COMMAND (type 2) for ``/circle <path...> opt:value``; with
    ``focused`` set it is an APPLICATION_COMMAND_AUTOCOMPLETE (type 4) instead."""
    opts = [
        {"type": _option_type(v), "name": k, "value": v, **({"focused": True} if k == focused else {})}
        for k, v in (options or {}).items()
    ]
    nested: list[dict[str, Any]] = opts
    for depth, name in reversed(list(enumerate(path))):
        kind = 1 if depth == len(path) - 1 else 2
        nested = [{"type": kind, "name": name, "options": nested}]
    data = {"id": "8000", "name": command, "type": 1, "options": nested}
    return _base_interaction(
        4 if focused else 2,
        data,
        guild_id=guild_id,
        channel_id=channel_id,
        user_id=user_id,
        permissions=permissions,
        roles=roles,
    )


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


def button_press(
    custom_id: str,
    *,
    guild_id: str | None = "4000",
    channel_id: str = "5000",
    user_id: str = "6000",
    permissions: int = 0,
    message_id: str = "9100",
    message_components: list[dict[str, Any]] | None = None,
    channel_type: int = 0,
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT (type 3) interaction: a button pressed on one of our messages."""
    message = {
        "id": message_id,
        "channel_id": channel_id,
        "type": 0,
        "content": "",
        "author": BOT_USER,
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "flags": 0,
        "components": message_components
        or [{"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": custom_id}]}],
    }
    return _base_interaction(
        3,
        {"custom_id": custom_id, "component_type": 2},
        guild_id=guild_id,
        channel_id=channel_id,
        user_id=user_id,
        permissions=permissions,
        roles=None,
        message=message,
        channel_type=channel_type,
    )


def modal_submit(
    custom_id: str,
    values: dict[str, str | list[str]],
    *,
    guild_id: str | None = "4000",
    channel_id: str = "5000",
    user_id: str = "6000",
    message: dict[str, Any] | None = None,
    channel_type: int = 0,
) -> dict[str, Any]:
    """A MODAL_SUBMIT (type 5): text inputs and selects, each wrapped in a Label (type 18)
    as Discord sends them for modals built from labels."""
    comps = []
    for i, (name, value) in enumerate(values.items(), start=1):
        inner = (
            {"type": 3, "id": i * 2, "custom_id": name, "values": value}
            if isinstance(value, list)
            else {"type": 4, "id": i * 2, "custom_id": name, "value": value}
        )
        comps.append({"type": 18, "id": i * 2 - 1, "component": inner})
    return _base_interaction(
        5,
        {"custom_id": custom_id, "components": comps},
        guild_id=guild_id,
        channel_id=channel_id,
        user_id=user_id,
        permissions=0,
        roles=None,
        message=message,
        channel_type=channel_type,
    )


def message_create(
    channel_id: str,
    content: str,
    *,
    guild_id: str = "4000",
    user_id: str = "6000",
    reference: str | None = None,
) -> dict[str, Any]:
    """A MESSAGE_CREATE dispatch: someone typed in a channel or thread."""
    msg: dict[str, Any] = {
        "id": str(next(_interaction_ids)),
        "channel_id": channel_id,
        "guild_id": guild_id,
        "type": 19 if reference else 0,
        "content": content,
        "author": user(user_id),
        "member": {k: v for k, v in member(user_id).items() if k != "user"},
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "flags": 0,
        "components": [],
    }
    if reference:
        msg["message_reference"] = {"message_id": reference, "channel_id": channel_id, "guild_id": guild_id}
    return msg
