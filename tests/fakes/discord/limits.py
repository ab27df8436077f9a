"""Discord's answers and limits: JSON responses with the exact content type discord.py
needs, error bodies, and the message/embed/modal limits Discord enforces (answered with
50035 "Invalid Form Body" like the real service, so a rendering bug fails a request)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def jresp(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py's json_or_text() needs content-type exactly ``application/json``."""
    return web.Response(
        body=json.dumps(obj).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_body(code: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return body


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


def form_error(where: str, message: str) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    node = errors
    for part in where.split("."):
        node = node.setdefault(part, {})
    node["_errors"] = [{"code": "BASE_TYPE_MAX_LENGTH", "message": message}]
    return error_body(50035, "Invalid Form Body", errors)


def check_message(body: dict[str, Any]) -> None:
    """Discord's own limits (message 2,000; embeds 6,000 in total, title 256, description
    4,096, 25 fields, field name 256 and value 1,024; 10 embeds; custom ids 100)."""
    if len(body.get("content") or "") > 2000:
        raise ApiError(400, form_error("content", "Must be 2000 or fewer in length."))
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise ApiError(400, form_error("embeds", "Must be 10 or fewer in length."))
    total = 0
    for i, e in enumerate(embeds):
        title, desc = e.get("title") or "", e.get("description") or ""
        if len(title) > 256:
            raise ApiError(400, form_error(f"embeds.{i}.title", "Must be 256 or fewer in length."))
        if len(desc) > 4096:
            raise ApiError(
                400, form_error(f"embeds.{i}.description", "Must be 4096 or fewer in length.")
            )
        fields = e.get("fields") or []
        if len(fields) > 25:
            raise ApiError(400, form_error(f"embeds.{i}.fields", "Must be 25 or fewer in length."))
        total += len(title) + len(desc) + len((e.get("footer") or {}).get("text", ""))
        for j, f in enumerate(fields):
            if not f.get("name") or not f.get("value"):
                raise ApiError(400, form_error(f"embeds.{i}.fields.{j}", "This field is required"))
            if len(f["name"]) > 256 or len(f["value"]) > 1024:
                raise ApiError(400, form_error(f"embeds.{i}.fields.{j}.value", "Too long."))
            total += len(f["name"]) + len(f["value"])
    if total > 6000:
        raise ApiError(400, form_error("embeds", "Embed size exceeds maximum size of 6000"))
    for row in body.get("components") or []:
        for comp in row.get("components", []):
            if len(comp.get("custom_id", "")) > 100:
                raise ApiError(400, form_error("components", "custom_id too long"))


def check_modal(data: dict[str, Any]) -> None:
    if not data.get("title") or len(data["title"]) > 45:
        raise ApiError(400, form_error("data.title", "Must be between 1 and 45 in length."))
    comps = data.get("components") or []
    if not 1 <= len(comps) <= 5:
        raise ApiError(400, form_error("data.components", "Must be between 1 and 5 in length."))
    for c in comps:
        if c.get("type") == 18 and len(c.get("label", "")) > 45:
            raise ApiError(400, form_error("data.components.label", "Too long."))
