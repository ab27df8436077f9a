"""Messages with files, as Discord takes them: ``multipart/form-data`` with the JSON body in a
``payload_json`` part and each file in a part named ``files[n]`` (with a filename). When the
payload lists ``attachments``, each entry's ``id`` must name one of the ``files[n]`` parts
(``n``), and its ``description`` becomes the attachment's alt text. A request may carry at
most 10 files and, without boosts, 10 MiB in all (Discord answers 413, code 40005).

``parse`` returns the JSON body with the uploads under ``_uploads``; ``attachments`` turns
those into the attachment objects a message returns.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from tests.fakes.discord.limits import ApiError, error_body, form_error

MAX_FILES = 10
MAX_BYTES = 10 * 1024 * 1024
FILE_PART = re.compile(r"files\[(\d+)\]")


async def parse(request: web.Request) -> dict[str, Any]:
    body: dict[str, Any] = {}
    files: dict[int, dict[str, Any]] = {}
    reader = await request.multipart()
    async for part in reader:
        name = part.name or ""  # type: ignore[union-attr]
        if name == "payload_json":
            body = json.loads(await part.text())  # type: ignore[union-attr]
            continue
        m = FILE_PART.fullmatch(name)
        if m is None:
            raise ApiError(400, form_error(name or "file", f"Unknown form part {name!r}"))
        if not part.filename:  # type: ignore[union-attr]
            raise ApiError(400, form_error(name, "A file needs a filename."))
        data = await part.read()  # type: ignore[union-attr]
        files[int(m.group(1))] = {"filename": part.filename, "data": data,  # type: ignore[union-attr]
                                  "content_type": part.headers.get("Content-Type", "")}  # type: ignore[union-attr]
    if len(files) > MAX_FILES:
        raise ApiError(400, form_error("files", f"Must be {MAX_FILES} or fewer in length."))
    if sum(len(f["data"]) for f in files.values()) > MAX_BYTES:
        raise ApiError(413, error_body(40005, "Request entity too large"))
    target = body.get("data") if isinstance(body.get("data"), dict) else body
    for i, att in enumerate(target.get("attachments") or []):
        if int(att.get("id", -1)) not in files:
            raise ApiError(400, form_error(f"attachments.{i}.id", "Unknown attachment id."))
        files[int(att["id"])]["description"] = att.get("description") or ""
    target["_uploads"] = [files[n] for n in sorted(files)]
    return body


def attachments(body: dict[str, Any], new_id: Any, store: dict[str, bytes]) -> list[dict[str, Any]]:
    """The attachment objects of a message made from ``body`` (a parsed multipart body); the
    bytes go to ``store`` by attachment id."""
    out = []
    for f in body.get("_uploads") or []:
        aid = new_id()
        out.append({"id": aid, "filename": f["filename"], "size": len(f["data"]),
                    "url": f"https://cdn.discordapp.com/attachments/{aid}/{f['filename']}",
                    "proxy_url": f"https://media.discordapp.net/attachments/{aid}/{f['filename']}",
                    "content_type": f["content_type"], "description": f.get("description", "")})
        store[aid] = f["data"]
    return out
