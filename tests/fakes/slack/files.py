"""Slack's current file upload, as the fake answers it: ``files.getUploadURLExternal`` hands
out an upload URL, the client POSTs the bytes there, ``files.completeUploadExternal`` shares
the file into a conversation. Shared files land in ``state.files`` for tests to open; a
length that doesn't match, an id never uploaded or a conversation the bot can't reach is
rejected as Slack would (and recorded as a violation where Slack would refuse the call)."""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp import web

_ids = itertools.count(1)


def error(code: str) -> web.Response:
    return web.json_response({"ok": False, "error": code})


async def get_upload_url(state: Any, team: Any, p: dict[str, Any]) -> web.Response:
    name, length = str(p.get("filename") or ""), str(p.get("length") or "")
    if not name or not length.isdigit():
        state.violations.append("files.getUploadURLExternal: filename and length are required")
        return error("invalid_arguments")
    file_id = f"F{next(_ids):08d}"
    state.uploads[file_id] = {"id": file_id, "name": name, "length": int(length), "data": None,
                              "team": team.id}
    return web.json_response({"ok": True, "file_id": file_id,
                              "upload_url": str(state.server.make_url(f"/upload/{file_id}"))})


async def receive(state: Any, request: web.Request) -> web.Response:
    """The upload URL: the bytes of one file."""
    up = state.uploads.get(request.match_info["file_id"])
    if up is None:
        return web.Response(status=404, text="no such upload")
    data = await request.read()
    if len(data) != up["length"]:
        state.violations.append(f"upload {up['id']}: {len(data)} bytes, announced {up['length']}")
        return web.Response(status=400, text="length mismatch")
    up["data"] = data
    return web.Response(text=f"OK - {len(data)}")


async def complete_upload(state: Any, team: Any, p: dict[str, Any]) -> web.Response:
    files = p.get("files")
    if not isinstance(files, list) or not files:
        state.violations.append("files.completeUploadExternal: files must be a JSON list")
        return error("invalid_arguments")
    channel = p.get("channel_id")
    if channel:
        conv, err = state.access(team, channel)
        if conv is None:
            return error(err or "channel_not_found")
    shared = []
    for f in files:
        up = state.uploads.get(f.get("id", ""))
        if up is None or up["data"] is None or up["team"] != team.id:
            return error("file_not_found")
        record = {**up, "title": f.get("title") or up["name"], "channel": channel,
                  "initial_comment": p.get("initial_comment") or ""}
        state.files.append(record)
        shared.append({"id": up["id"], "name": up["name"], "title": record["title"]})
    return web.json_response({"ok": True, "files": shared})
