"""Neutral replies to Block Kit.

Replies may carry user-written text, so every string that Slack parses as mrkdwn goes through
:func:`escape` first: `<!channel>`, `<!here>` and `<@U123>` typed by a member are shown, never
turned into pings. The only real mentions are ``Reply.mentions``. Slack rejects oversized
blocks outright (the whole message is lost), so every limit is enforced here, splitting long
text and truncating with a visible note rather than failing the send.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.paging import split_reply
from bot.replies import Form, FormField, Reply
from bot.text import split_text

MAX_BLOCKS = 50  # per message
MAX_VIEW_BLOCKS = 100  # modals and the App Home
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS_PER_SECTION = 10
MAX_HEADER = 150
MAX_BUTTON = 75
MAX_BUTTONS_PER_ROW = 5
MAX_VALUE = 2000
MAX_MODAL_TITLE = 24
MAX_PLACEHOLDER = 150
MAX_LABEL = 2000
MAX_OPTION_TEXT = 75
MAX_OPTIONS = 100
MAX_INPUT = 3000
MAX_METADATA = 3000
MAX_FALLBACK = 3000
MAX_MESSAGE_TEXT = 12000  # all blocks' text together; past it Slack says msg_blocks_too_long

ACTION_PREFIX = "circle:"
FORM_PREFIX = "circle_form:"
INPUT_ACTION = "value"

TONE_ICON = {"info": "", "success": ":white_check_mark: ", "warning": ":warning: ",
             "error": ":x: "}
TRUNCATED_NOTE = "_…shortened to fit Slack ({n} more characters not shown). {hint}_"
DEFAULT_HINT = "Open the Circlebot App Home or narrow the command to see the rest."


def escape(text: str) -> str:
    """Slack's three control characters; after this nothing a user typed can be a link,
    a user mention or a `<!channel>` broadcast."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """The one place Slack text enters: Slack sends what a person typed with `&`, `<`,
    `>` as `&amp;`, `&lt;`, `&gt;` (commands, messages, form inputs alike). Undone exactly
    once (`&amp;` last, so a typed "&amp;lt;" stays literal), so the engine stores what the
    person typed and :func:`escape` is the only escaping on the way out."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def mrkdwn(text: str) -> str:
    """Escaped neutral light Markdown as Slack mrkdwn (`**b**` is `*b*` in Slack)."""
    return _BOLD.sub(r"*\1*", escape(text))


def plain(text: str, limit: int) -> str:
    text = " ".join(text.split()) or " "
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mention(user: str) -> str:
    return f"<@{re.sub(r'[^A-Za-z0-9]', '', user)}>"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(i: int, action: str, value: str, label: str, style: str) -> dict[str, Any]:
    el: dict[str, Any] = {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}{action}:{i}"[:255],
        "text": {"type": "plain_text", "text": plain(label, MAX_BUTTON), "emoji": True},
        "value": value[:MAX_VALUE],
    }
    if style in ("primary", "danger"):
        el["style"] = style
    return el


def parse_action_id(action_id: str) -> str:
    """`circle:{action}:{i}` back to the core's action name."""
    body = action_id[len(ACTION_PREFIX):]
    return body.rsplit(":", 1)[0] if ":" in body else body


def reply_blocks(reply: Reply, *, max_blocks: int = MAX_BLOCKS,
                 hint: str = DEFAULT_HINT) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.title:
        blocks.append({"type": "header",
                       "text": {"type": "plain_text", "text": plain(reply.title, MAX_HEADER),
                                "emoji": True}})
    lead = " ".join(mention(u) for u in reply.mentions)
    text = TONE_ICON.get(reply.tone, "") + mrkdwn(reply.text) if reply.text else ""
    if lead:
        text = f"{lead} {text}".strip()
    blocks += [_section(c) for c in split_text(text, MAX_SECTION)] if text else []
    for sec in reply.sections:
        body = (f"*{escape(sec.title)}*\n" if sec.title else "") + mrkdwn(sec.text)
        blocks += [_section(c) for c in split_text(body, MAX_SECTION)]
    fields = [{"type": "mrkdwn",
               "text": (f"*{escape(f.label)}*\n{mrkdwn(f.value)}")[:MAX_FIELD]}
              for f in reply.fields]
    for i in range(0, len(fields), MAX_FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[i:i + MAX_FIELDS_PER_SECTION]})
    max_text = MAX_MESSAGE_TEXT if max_blocks <= MAX_BLOCKS else 10 * MAX_MESSAGE_TEXT
    return _fit(blocks, _action_rows(reply), max_blocks, hint, max_text)


def _action_rows(reply: Reply) -> list[dict[str, Any]]:
    """One row per kind of choice (check-in answers apart from the 1–5 pulse), at most
    five buttons a row so they stay readable on a phone."""
    rows: list[list[dict[str, Any]]] = []
    buttons = reply.buttons
    for i, b in enumerate(buttons):
        el = _button(i, b.action, b.value, b.label, b.style)
        run = 0
        while i + run < len(buttons) and buttons[i + run].action == b.action:
            run += 1
        new_group = i > 0 and buttons[i - 1].action != b.action and run >= 2
        if rows and len(rows[-1]) < MAX_BUTTONS_PER_ROW and not new_group:
            rows[-1].append(el)
        else:
            rows.append([el])
    return [{"type": "actions", "elements": row} for row in rows]


def _text_size(block: Any) -> int:
    """Characters of text a block carries, counted the way Slack adds them up."""
    if isinstance(block, dict):
        own = len(block["text"]) if isinstance(block.get("text"), str) else 0
        return own + sum(_text_size(v) for k, v in block.items()
                         if not (k == "text" and isinstance(v, str)))
    if isinstance(block, list):
        return sum(_text_size(v) for v in block)
    return 0


def _fit(content: list[dict[str, Any]], actions: list[dict[str, Any]], max_blocks: int,
         hint: str, max_text: int = MAX_MESSAGE_TEXT) -> list[dict[str, Any]]:
    """Keep the buttons (they are what the user must act on) and cut the content, both to
    Slack's block count and to its total text per message (a message over either is lost)."""
    room = max_blocks - len(actions)
    budget = max_text - _text_size(actions)
    if len(content) <= room and _text_size(content) <= budget:
        return content + actions
    budget -= len(TRUNCATED_NOTE) + len(hint) + 20  # the note itself
    kept: list[dict[str, Any]] = []
    for block in content[: room - 1]:
        budget -= _text_size(block)
        if budget < 0:
            break
        kept.append(block)
    lost = sum(len(json.dumps(b)) for b in content[len(kept):])
    note = {"type": "context",
            "elements": [{"type": "mrkdwn", "text": TRUNCATED_NOTE.format(n=lost, hint=hint)}]}
    return kept + [note] + actions


def fallback_text(reply: Reply) -> str:
    """The notification/preview text (also parsed as mrkdwn, so escaped too)."""
    lead = " ".join(mention(u) for u in reply.mentions)
    head = ": ".join(x for x in (reply.title, reply.text) if x)
    body = mrkdwn(head or reply.plain_text() or "Circlebot")
    text = f"{lead} {body}".strip()
    return text if len(text) <= MAX_FALLBACK else text[: MAX_FALLBACK - 1] + "…"


def message_kwargs(reply: Reply) -> dict[str, Any]:
    return {"text": fallback_text(reply), "blocks": reply_blocks(reply)}


# a part's budget, below Slack's per-message limits, leaving room for markup and buttons
PART_CHARS = MAX_MESSAGE_TEXT - 2000
PART_SECTIONS = MAX_BLOCKS - 12


def reply_parts(reply: Reply) -> list[Reply]:
    """A reply too long for one Slack message as several that each fit (nothing is cut)."""
    return split_reply(reply, max_chars=PART_CHARS, max_sections=PART_SECTIONS)


def home_view(replies: list[Reply]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    for i, reply in enumerate(replies):
        if i:
            blocks.append({"type": "divider"})
        blocks += reply_blocks(reply, max_blocks=MAX_VIEW_BLOCKS)
    if len(blocks) > MAX_VIEW_BLOCKS:
        blocks = _fit(blocks, [], MAX_VIEW_BLOCKS, "Use `/circle status` for the rest.")
    return {"type": "home", "blocks": blocks}


# ------------------------------------------------------------------ modals


def _options(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": plain(label, MAX_OPTION_TEXT)},
             "value": str(value)[:150]} for value, label in pairs[:MAX_OPTIONS]]


def _element(f: FormField) -> dict[str, Any]:
    initial = f.initial
    if f.kind in ("select", "multi_select"):
        opts = _options(f.options)
        el: dict[str, Any] = {"type": "static_select" if f.kind == "select"
                              else "multi_static_select", "options": opts}
        chosen = [initial] if isinstance(initial, str) else list(initial)
        picked = [o for o in opts if o["value"] in chosen]
        if f.kind == "select" and picked:
            el["initial_option"] = picked[0]
        elif f.kind == "multi_select" and picked:
            el["initial_options"] = picked
    elif f.kind == "number":
        el = {"type": "number_input", "is_decimal_allowed": False}
        if str(initial).strip():
            el["initial_value"] = str(initial)
    else:
        el = {"type": "plain_text_input", "multiline": f.kind == "long_text",
              "max_length": max(1, min(f.max_length, MAX_INPUT))}
        text = ", ".join(initial) if isinstance(initial, list) else initial
        if text:
            el["initial_value"] = text[:el["max_length"]]
    if f.placeholder:
        el["placeholder"] = {"type": "plain_text", "text": plain(f.placeholder, MAX_PLACEHOLDER)}
    el["action_id"] = INPUT_ACTION
    return el


def modal_view(form: Form, metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` (form context, where to answer) rides in private_metadata, so a
    submission needs no server-side session and survives a restart."""
    meta = json.dumps(metadata, separators=(",", ":"))
    if len(meta) > MAX_METADATA:  # drop the optional reply hints before the context
        meta = json.dumps({"c": metadata.get("c", "")}, separators=(",", ":"))
    blocks = [{"type": "input", "block_id": f.name[:255], "optional": not f.required,
               "label": {"type": "plain_text", "text": plain(f.label, MAX_LABEL)},
               "element": _element(f)} for f in form.fields[:MAX_VIEW_BLOCKS]]
    return {"type": "modal", "callback_id": f"{FORM_PREFIX}{form.form_id}"[:255],
            "title": {"type": "plain_text", "text": plain(form.title, MAX_MODAL_TITLE)},
            "submit": {"type": "plain_text", "text": plain(form.submit_label, MAX_MODAL_TITLE)},
            "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": meta, "blocks": blocks}


def form_values(view: dict[str, Any]) -> dict[str, str | list[str]]:
    """A view_submission's state back to plain values keyed by FormField.name."""
    out: dict[str, str | list[str]] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        el = actions.get(INPUT_ACTION) or next(iter(actions.values()), {})
        kind = el.get("type")
        if kind == "static_select":
            out[block_id] = (el.get("selected_option") or {}).get("value", "")
        elif kind == "multi_static_select":
            out[block_id] = [o["value"] for o in el.get("selected_options") or []]
        else:
            out[block_id] = unescape(str(el.get("value") or ""))
    return out


def form_metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
