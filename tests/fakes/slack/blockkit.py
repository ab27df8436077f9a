"""Block Kit's limits as Slack enforces them, and readers for what a message shows.

``check_message``/``check_view`` return the problems real Slack would reject a payload for;
the fake records them as violations and answers with Slack's error.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_MESSAGE_TEXT = 12000  # all text in a message's blocks together (msg_blocks_too_long)
MAX_VIEW_BYTES = 250_000  # a modal or Home tab view as JSON
TOO_LONG = "msg_blocks_too_long"

PING_RE = re.compile(r"<(!channel|!here|!everyone|@[UW][A-Z0-9]+)(\|[^>]*)?>")


def check_message(body: dict[str, Any], max_blocks: int = 50) -> list[str]:
    """Problems with a message's text and blocks (empty when Slack would accept it)."""
    problems: list[str] = []
    text = body.get("text") or ""
    if len(text) > 40000:
        problems.append("text longer than 40000")
    blocks = body.get("blocks") or []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    seen: set[str] = set()
    for b in blocks:
        problems += _check_block(b, seen)
    total = sum(len(t) for t in _texts(blocks))
    if total > MAX_MESSAGE_TEXT:
        problems.append(f"{TOO_LONG}: blocks carry {total} characters > {MAX_MESSAGE_TEXT}")
    return problems


def _texts(x: Any) -> list[str]:
    """Every text string inside blocks (section text, fields, buttons, context...)."""
    if isinstance(x, dict):
        own = [x["text"]] if isinstance(x.get("text"), str) else []
        return own + [t for k, v in x.items() if not (k == "text" and isinstance(v, str))
                      for t in _texts(v)]
    if isinstance(x, list):
        return [t for v in x for t in _texts(v)]
    return []


def _check_block(b: dict[str, Any], seen: set[str]) -> list[str]:
    problems: list[str] = []
    t = b.get("type")
    if t == "section":
        if len((b.get("text") or {}).get("text", "")) > 3000:
            problems.append("section text > 3000")
        flds = b.get("fields") or []
        if len(flds) > 10 or any(len(f["text"]) > 2000 for f in flds):
            problems.append("section fields over limit")
        if not b.get("text") and not flds:
            problems.append("empty section")
    elif t == "header":
        if len(b["text"]["text"]) > 150 or b["text"]["type"] != "plain_text":
            problems.append("header text > 150 or not plain_text")
    elif t == "actions":
        if len(b["elements"]) > 25:
            problems.append("actions > 25 elements")
        for el in b["elements"]:
            if len(el["text"]["text"]) > 75:
                problems.append("button text > 75")
            if len(el.get("value", "")) > 2000 or len(el["action_id"]) > 255:
                problems.append("button value/action_id too long")
            if el["action_id"] in seen:
                problems.append(f"duplicate action_id {el['action_id']}")
            seen.add(el["action_id"])
    elif t == "input":
        if len(b["label"]["text"]) > 2000:
            problems.append("input label > 2000")
        ph = (b["element"].get("placeholder") or {}).get("text", "")
        if len(ph) > 150:
            problems.append("placeholder > 150")
    elif t not in ("context", "divider"):
        problems.append(f"unexpected block {t}")
    return problems


def check_view(view: dict[str, Any]) -> list[str]:
    """Problems with a modal or Home tab view (100 blocks; modal titles 24 characters)."""
    problems = [p for p in check_message({"blocks": view.get("blocks")}, 100)
                if not p.startswith(TOO_LONG)]  # views have their own, larger limit
    size = len(json.dumps(view, separators=(",", ":")).encode())
    if size > MAX_VIEW_BYTES:
        problems.append(f"view of {size} bytes > {MAX_VIEW_BYTES}")
    if view.get("type") == "modal":
        for key in ("title", "submit", "close"):
            if len((view.get(key) or {}).get("text", "")) > 24:
                problems.append(f"modal {key} > 24")
        if len(view.get("private_metadata", "")) > 3000:
            problems.append("private_metadata > 3000")
    return problems


def pings(text: str) -> list[str]:
    """Mentions Slack would turn into notifications in a mrkdwn string."""
    return [m.group(1) for m in PING_RE.finditer(text or "")]


def all_mrkdwn(payload: Any) -> list[str]:
    """Every string Slack parses as mrkdwn in a message payload (top text included)."""
    out: list[str] = []
    if isinstance(payload, dict):
        if isinstance(payload.get("text"), str) and payload.get("type") != "plain_text":
            out.append(payload["text"])
        for v in payload.values():
            if isinstance(v, dict | list):
                out += all_mrkdwn(v)
    elif isinstance(payload, list):
        for v in payload:
            out += all_mrkdwn(v)
    return out


def text_of(message: dict[str, Any]) -> str:
    """All mrkdwn and plain text of a message or view, for asserting on what people see."""
    parts: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            if isinstance(x.get("text"), str):
                parts.append(x["text"])
            for k, v in x.items():
                if k != "text" or not isinstance(v, str):
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(message)
    return "\n".join(parts)
