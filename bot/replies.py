"""Platform-neutral replies.

The engine and the command layer speak only in these shapes; each adapter renders them
(Block Kit for Slack, embeds + views for Discord, text for the console). Keeping them plain
dataclasses that round-trip through JSON lets the outbox store a message and send it later.
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Visibility = Literal["ephemeral", "in_channel"]
Tone = Literal["info", "success", "warning", "error"]


@dataclass
class Field:
    label: str
    value: str
    inline: bool = True


@dataclass
class Button:
    """A clickable choice. ``action`` is a stable id ("pulse", "checkin", "confirm") and
    ``value`` carries what the press means; adapters encode both in the platform's custom id
    so a press survives a bot restart."""

    label: str
    action: str
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"


@dataclass
class FormField:
    name: str
    label: str
    kind: Literal["text", "long_text", "select", "multi_select", "number"] = "text"
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    initial: str | list[str] = ""
    required: bool = False
    placeholder: str = ""
    max_length: int = 4000


@dataclass
class Form:
    """A modal dialog. ``form_id`` names the handler; ``context`` comes back on submit."""

    form_id: str
    title: str
    fields: list[FormField]
    submit_label: str = "Save"
    context: str = ""


@dataclass
class Section:
    text: str
    title: str = ""


@dataclass
class Attachment:
    """A file that goes with a reply (a chart, an export): the bytes, the file's name, a
    title people see and a description for screen readers. Each adapter delivers it its own
    way (Slack file upload, Discord attachment, a saved file on the console)."""

    filename: str
    data: bytes
    title: str = ""
    alt_text: str = ""
    mime: str = "application/octet-stream"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "data": base64.b64encode(self.data).decode()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attachment:
        return cls(**{**data, "data": base64.b64decode(data["data"])})


@dataclass
class Reply:
    text: str
    title: str = ""
    sections: list[Section] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    visibility: Visibility = "ephemeral"
    tone: Tone = "info"
    form: Form | None = None  # adapter opens this modal instead of (or after) posting
    # The only intended pings: platform user ids the adapter renders as real mentions.
    # Everything else in a reply is rendered so it can never ping (user text is stored raw).
    mentions: list[str] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)  # sent with the text

    def to_dict(self) -> dict[str, Any]:
        files = [f.to_dict() for f in self.files]
        return {**asdict(dataclasses.replace(self, files=[])), "files": files}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        data = dict(data)
        data["sections"] = [Section(**s) for s in data.get("sections", [])]
        data["fields"] = [Field(**f) for f in data.get("fields", [])]
        data["buttons"] = [Button(**b) for b in data.get("buttons", [])]
        data["files"] = [Attachment.from_dict(f) for f in data.get("files", [])]
        form = data.get("form")
        if form:
            form = dict(form)
            form["fields"] = [
                FormField(**{**f, "options": [tuple(o) for o in f.get("options", [])]})
                for f in form["fields"]
            ]
            data["form"] = Form(**form)
        return cls(**data)

    def plain_text(self) -> str:
        """Everything in the reply as text (for the console and for search in tests)."""
        parts = [self.title] if self.title else []
        parts.append(self.text)
        for s in self.sections:
            parts.append(f"{s.title}\n{s.text}" if s.title else s.text)
        for f in self.fields:
            parts.append(f"{f.label}: {f.value}")
        return "\n".join(p for p in parts if p)


def error(text: str, usage: str = "") -> Reply:
    body = text if not usage else f"{text}\nUsage: `{usage}`"
    return Reply(text=body, tone="error", visibility="ephemeral")


def ok(text: str, **kw: Any) -> Reply:
    return Reply(text=text, tone="success", **kw)
