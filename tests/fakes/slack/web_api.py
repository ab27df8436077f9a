"""The Web API methods the bot uses, answered like Slack: HTTP 200 with ``ok: false`` and
Slack's error code when a call can't succeed. One function per method, looked up in
``METHODS`` (a table, not name-mangled ``getattr``)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.fakes.slack import files
from tests.fakes.slack.blockkit import TOO_LONG, check_message, check_view
from tests.fakes.slack.state import SlackState, Team

NAME_RE = re.compile(r"^[a-z0-9_-]{1,80}$")
Params = dict[str, Any]
Method = Callable[[SlackState, Team, Params], Awaitable[web.Response]]


def error(code: str, **extra: Any) -> web.Response:
    return web.json_response({"ok": False, "error": code, **extra})


def flag(value: Any) -> bool:
    return str(value or "").lower() in ("true", "1")


def checked(state: SlackState, where: str, problems: list[str]) -> bool:
    """Records ``problems`` as violations; True when there were none."""
    state.violations += [f"{where}: {p}" for p in problems]
    return not problems


async def auth_test(state: SlackState, team: Team, p: Params) -> web.Response:
    return web.json_response({"ok": True, "url": f"https://{team.id.lower()}.slack.com/",
                              "team": team.name, "user": "circlebot", "team_id": team.id,
                              "user_id": team.bot_user, "bot_id": team.bot_id,
                              "is_enterprise_install": False})


async def users_info(state: SlackState, team: Team, p: Params) -> web.Response:
    user = state.users.get(p.get("user", ""))
    if user is None:
        return error("user_not_found")
    return web.json_response({"ok": True, "user": user})


async def conversations_create(state: SlackState, team: Team, p: Params) -> web.Response:
    name = str(p.get("name", ""))
    if not name:
        return error("invalid_name_required")
    if len(name) > 80:
        return error("invalid_name_maxlength")
    if not NAME_RE.match(name):
        return error("invalid_name_specials")
    if any(c["name"] == name and c["context_team_id"] == team.id
           for c in state.channels.values()):
        return error("name_taken")
    cid = state.add_channel(team.id, name, private=flag(p.get("is_private")))
    return web.json_response({"ok": True, "channel": state.channels[cid]})


async def conversations_invite(state: SlackState, team: Team, p: Params) -> web.Response:
    ch, err = state.access(team, p["channel"])
    if err:
        return error(err)
    assert ch is not None
    if ch.get("is_mpim") or ch.get("is_im"):
        return error("method_not_supported_for_channel_type")
    users = [u for u in str(p.get("users", "")).split(",") if u]
    for u in users:
        if u not in state.users or state.users[u]["team_id"] != team.id:
            return error("user_not_found")
    if all(u in state.members[ch["id"]] for u in users):
        return error("already_in_channel")
    state.members[ch["id"]].update(users)
    return web.json_response({"ok": True, "channel": ch})


async def conversations_archive(state: SlackState, team: Team, p: Params) -> web.Response:
    ch = state.channels.get(p["channel"])
    if ch is not None and ch.get("is_mpim"):
        return error("method_not_supported_for_channel_type")
    ch, err = state.access(team, p["channel"])
    if err == "is_archived":
        return error("already_archived")
    if err:
        return error(err)
    assert ch is not None
    ch["is_archived"] = True
    return web.json_response({"ok": True})


async def conversations_join(state: SlackState, team: Team, p: Params) -> web.Response:
    ch = state.channels.get(p["channel"])
    if ch is None or ch["context_team_id"] != team.id:
        return error("channel_not_found")
    if ch["is_private"]:
        return error("method_not_supported_for_channel_type")
    if ch["is_archived"]:
        return error("is_archived")
    state.members[ch["id"]].add(team.bot_user)
    return web.json_response({"ok": True, "channel": ch})


def open_dm(state: SlackState, team: Team, users: list[str]) -> tuple[str | None, str | None]:
    """The IM or MPIM with these users (created on first use), or Slack's error."""
    if not users:
        return None, "users_list_not_supplied"
    if len(users) > 8:
        return None, "too_many_users"
    if any(u not in state.users for u in users):
        return None, "user_not_found"
    members = set(users) | {team.bot_user}
    for cid, ch in state.channels.items():
        if (ch.get("is_im") or ch.get("is_mpim")) and state.members[cid] == members:
            return cid, None
    mpim = len(users) > 1
    cid = state._new_id("G" if mpim else "D")
    conv = state._conversation(cid, team.id, "mpdm-" + "--".join(users) if mpim else "", mpim)
    conv.update(is_im=not mpim, is_mpim=mpim, is_channel=False, is_group=False)
    state.channels[cid] = conv
    state.members[cid] = members
    return cid, None


async def conversations_open(state: SlackState, team: Team, p: Params) -> web.Response:
    cid, err = open_dm(state, team, sorted(u for u in str(p.get("users", "")).split(",") if u))
    if err:
        return error(err)
    return web.json_response({"ok": True, "channel": {"id": cid}})


async def conversations_close(state: SlackState, team: Team, p: Params) -> web.Response:
    if p["channel"] not in state.channels:
        return error("channel_not_found")
    state.channels[p["channel"]]["closed"] = True
    return web.json_response({"ok": True})


async def _post(state: SlackState, team: Team, p: Params, ephemeral: bool) -> web.Response:
    cid = str(p["channel"])
    if cid in state.users:  # posting to a user id lands in the app's DM with them
        opened, err = open_dm(state, team, [cid])
        if err:
            return error(err)
        assert opened is not None
        cid = opened
    _, err = state.access(team, cid)
    if err:
        return error(err)
    if not p.get("text") and not p.get("blocks"):
        return error("no_text")
    problems = check_message(p)
    if not checked(state, f"chat.post {cid}", problems):
        return error(TOO_LONG if any(x.startswith(TOO_LONG) for x in problems)
                     else "invalid_blocks")
    if ephemeral and p["user"] not in state.members.get(cid, set()):
        return error("user_not_in_channel")
    ts = state._new_ts()
    metadata = p.get("metadata")
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    state.messages.append({"channel": cid, "ts": ts, "thread_ts": p.get("thread_ts"),
                           "text": p.get("text"), "blocks": p.get("blocks") or [],
                           "ephemeral_to": p.get("user") if ephemeral else None,
                           "metadata": metadata})
    if ephemeral:
        return web.json_response({"ok": True, "message_ts": ts})
    return web.json_response({"ok": True, "channel": cid, "ts": ts,
                              "message": {"type": "message", "subtype": "bot_message",
                                          "text": p.get("text"), "ts": ts,
                                          "bot_id": team.bot_id,
                                          "blocks": p.get("blocks") or []}})


async def chat_post_message(state: SlackState, team: Team, p: Params) -> web.Response:
    return await _post(state, team, p, ephemeral=False)


async def chat_post_ephemeral(state: SlackState, team: Team, p: Params) -> web.Response:
    return await _post(state, team, p, ephemeral=True)


def _history(state: SlackState, team: Team, p: Params, thread: str | None) -> web.Response:
    """conversations.history / .replies: newest first; metadata only when asked for,
    as Slack does with include_all_metadata."""
    state.history_calls += 1
    _, err = state.access(team, str(p["channel"]))
    if err:
        return error(err)
    want_meta = flag(p.get("include_all_metadata"))
    found = [m for m in state.messages if m["channel"] == p["channel"] and not m["ephemeral_to"]
             and (thread is None or m["ts"] == thread or m["thread_ts"] == thread)]
    out = []
    for m in reversed(found[-int(p.get("limit") or 100):]):
        item = {"type": "message", "ts": m["ts"], "text": m["text"]}
        if want_meta and m.get("metadata"):
            item["metadata"] = m["metadata"]
        out.append(item)
    return web.json_response({"ok": True, "messages": out, "has_more": False})


async def conversations_history(state: SlackState, team: Team, p: Params) -> web.Response:
    return _history(state, team, p, None)


async def conversations_replies(state: SlackState, team: Team, p: Params) -> web.Response:
    return _history(state, team, p, str(p["ts"]))


async def _view(state: SlackState, method: str, p: Params) -> web.Response:
    if not checked(state, method, check_view(p["view"])):
        return error("invalid_arguments")
    return web.json_response({"ok": True, "view": {"id": state._new_id("V"), **p["view"]}})


async def views_open(state: SlackState, team: Team, p: Params) -> web.Response:
    return await _view(state, "views.open", p)


async def views_publish(state: SlackState, team: Team, p: Params) -> web.Response:
    return await _view(state, "views.publish", p)


def oauth_access(state: SlackState, p: Params) -> web.Response:
    """oauth.v2.access: a code ``good-<team>`` installs the app in that team."""
    code = str(p.get("code", ""))
    if not code.startswith("good-"):
        return error("invalid_code")
    team_id = code.removeprefix("good-")
    team = state.teams.get(team_id) or state.add_team(team_id)
    return web.json_response({
        "ok": True, "app_id": "A1", "authed_user": {"id": "UINSTALLER"},
        "scope": "commands,chat:write,groups:write", "token_type": "bot",
        "access_token": team.bot_token, "bot_user_id": team.bot_user,
        "team": {"id": team.id, "name": team.name}, "enterprise": None,
        "is_enterprise_install": False})


async def conversations_list(state: SlackState, team: Team, p: Params) -> web.Response:
    """Public channels of the team, and the private ones the bot is in (as Slack shows a bot
    with groups:read), in pages of at most ``limit`` (Slack's maximum is 1000)."""
    types = set(str(p.get("types") or "public_channel").split(","))
    if not types <= {"public_channel", "private_channel", "mpim", "im"}:
        return error("invalid_types")
    try:
        limit = min(1000, int(p.get("limit") or 100))
        start = int(p.get("cursor") or 0)
    except ValueError:
        return error("invalid_cursor")
    if limit < 1:
        return error("invalid_limit")
    bot = team.bot_user
    seen = [c for cid, c in state.channels.items()
            if c["context_team_id"] == team.id
            and ("private_channel" if c["is_private"] else "public_channel") in types
            and (not c["is_private"] or bot in state.members.get(cid, set()))
            and not (flag(p.get("exclude_archived")) and c["is_archived"])]
    page = seen[start:start + limit]
    cursor = str(start + limit) if start + limit < len(seen) else ""
    return web.json_response({"ok": True, "channels": page,
                              "response_metadata": {"next_cursor": cursor}})


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "conversations.create": conversations_create,
    "conversations.list": conversations_list,
    "conversations.invite": conversations_invite,
    "conversations.archive": conversations_archive,
    "conversations.join": conversations_join,
    "conversations.open": conversations_open,
    "conversations.close": conversations_close,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "views.open": views_open,
    "views.publish": views_publish,
    "files.getUploadURLExternal": files.get_upload_url,
    "files.completeUploadExternal": files.complete_upload,
}
