"""Slack's current file upload, as the fake answers it (the 2021 OpenAPI description in
shared/specs predates these methods, so their rules are Slack's method reference):

1. ``files.getUploadURLExternal`` (required ``filename``, ``length``; optional ``alt_txt`` at
   most 1,000 characters, ``snippet_type``) returns an ``upload_url`` and a ``file_id``;
2. the file's bytes are POSTed to that URL (served here, on loopback), raw or as a multipart
   form; the size must be the ``length`` announced;
3. ``files.completeUploadExternal`` (required ``files``: a JSON array of ``{"id", "title"}``;
   optional ``channel_id`` or ``channels``, ``initial_comment``, ``thread_ts``) finishes the
   upload and, given a channel, shares the files there as a message, which only works in a
   conversation the bot can post in.

Uploads land in ``state.uploads`` (file id -> record with the bytes) and shared files in
``state.messages`` with a ``files`` list, so tests see what a person would.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes.slack.state import SlackState, Team

MAX_ALT_TEXT = 1000
MAX_FILE_BYTES = 1024 * 1024 * 1024  # 1 GB, Slack's per-file limit
REQUIRED = {"files.getUploadURLExternal": {"filename", "length"},
            "files.completeUploadExternal": {"files"}}
Params = dict[str, Any]


def _error(code: str) -> web.Response:
    return web.json_response({"ok": False, "error": code})


def _missing(state: SlackState, method: str, p: Params) -> bool:
    missing = REQUIRED[method] - {k for k, v in p.items() if v not in (None, "")}
    if missing:
        state.violations.append(f"{method}: missing required {sorted(missing)}")
    return bool(missing)


def uploads(state: SlackState) -> dict[str, dict[str, Any]]:
    return state.__dict__.setdefault("uploads", {})


async def get_upload_url(state: SlackState, team: Team, p: Params) -> web.Response:
    if _missing(state, "files.getUploadURLExternal", p):
        return _error("invalid_arguments")
    try:
        length = int(p["length"])
    except (TypeError, ValueError):
        state.violations.append(f"files.getUploadURLExternal: length {p['length']!r} is not an integer")
        return _error("invalid_arguments")
    if length <= 0:
        return _error("missing_argument")
    if length > MAX_FILE_BYTES:
        return _error("file_upload_size_restricted")
    if len(str(p.get("alt_txt") or "")) > MAX_ALT_TEXT:
        return _error("alt_txt_too_large")
    file_id = state._new_id("F")
    uploads(state)[file_id] = {"id": file_id, "team": team.id, "filename": str(p["filename"]),
                               "length": length, "alt_txt": p.get("alt_txt") or "", "data": None}
    url = state.upload_url(file_id)  # type: ignore[attr-defined]  (the server's loopback URL)
    return web.json_response({"ok": True, "upload_url": url, "file_id": file_id})


async def receive_upload(state: SlackState, request: web.Request) -> web.Response:
    """Step 2: the bytes, raw or as a multipart form (the first file part)."""
    record = uploads(state).get(request.match_info["file_id"])
    if record is None or record["data"] is not None:
        state.violations.append(f"upload to unknown or used URL {request.path}")
        return web.Response(status=404, text="not found")
    if request.content_type.startswith("multipart/"):
        data = b""
        async for part in await request.multipart():
            data = await part.read()  # type: ignore[union-attr]
            break
    else:
        data = await request.read()
    if len(data) != record["length"]:
        state.violations.append(f"upload of {record['filename']}: {len(data)} bytes, "
                                f"announced {record['length']}")
        return web.Response(status=400, text="length mismatch")
    record["data"] = data
    return web.Response(text=f"OK - {len(data)}")


async def complete_upload(state: SlackState, team: Team, p: Params) -> web.Response:
    if _missing(state, "files.completeUploadExternal", p):
        return _error("invalid_arguments")
    try:
        wanted = json.loads(p["files"]) if isinstance(p["files"], str) else p["files"]
        ids = [(str(f["id"]), str(f.get("title") or "")) for f in wanted]
    except (ValueError, TypeError, KeyError):
        state.violations.append("files.completeUploadExternal: files is not a JSON array of {id, title}")
        return _error("invalid_arguments")
    records = []
    for file_id, title in ids:
        rec = uploads(state).get(file_id)
        if rec is None or rec["team"] != team.id or rec["data"] is None:
            return _error("file_not_found")
        records.append((rec, title or rec["filename"]))
    channels = [c for c in str(p.get("channels") or "").split(",") if c]
    if p.get("channel_id"):
        channels.insert(0, str(p["channel_id"]))
    for cid in channels:
        _, err = state.access(team, cid)
        if err:
            return _error(err)
    shared = [{"id": rec["id"], "name": rec["filename"], "title": title, "size": rec["length"],
               "alt_txt": rec["alt_txt"]} for rec, title in records]
    for rec, title in records:
        rec["title"] = title
        rec["channels"] = channels
    for cid in channels:
        state.messages.append({"channel": cid, "ts": state._new_ts(), "thread_ts": p.get("thread_ts"),
                               "text": p.get("initial_comment") or "", "blocks": [],
                               "ephemeral_to": None, "metadata": None, "files": shared})
    return web.json_response({"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]})


METHODS = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
