"""A reply that carries a file (export-me's JSON): the neutral shape adapters deliver as a
file of their platform's kind (a Slack upload in the person's DM, a Discord attachment, a
saved file in the console).

A subclass of `Reply` with bytes and a file name, so every path that handles a Reply (the
error path, the text) keeps working and an adapter that knows files checks
``isinstance(reply, FileReply)``. Never stored in the outbox: the bytes are made for the
request that asked for them. (privacy12; eval12 builds file delivery for charts and CSV at
the same time, the integrator may fold the two into one ``Reply.file``.)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from bot.replies import Reply

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class FileReply(Reply):
    file_name: str = "file.bin"
    file_bytes: bytes = b""
    mime: str = "application/octet-stream"

    @property
    def safe_name(self) -> str:
        """The file name with nothing a path or a platform could misread."""
        return SAFE_NAME.sub("-", os.path.basename(self.file_name)).strip(".-") or "file.bin"


def save_file(reply: FileReply, folder: str | Path) -> Path:
    """Write the file under ``folder`` (created if needed) without overwriting another;
    returns where it went."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    path = root / reply.safe_name
    stem, suffix, n = path.stem, path.suffix, 1
    while path.exists():
        n += 1
        path = root / f"{stem}-{n}{suffix}"
    path.write_bytes(reply.file_bytes)
    return path
