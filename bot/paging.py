"""Long replies as several messages that each fit, instead of one that is cut or refused.

A round preview of 1,000 members or health of 250 circles is longer than any chat message.
The platform adapters know their limits (characters and blocks per message); this module
cuts a Reply at section boundaries into parts within such a budget: the title, text and
fields open the first part, the sections follow in order, and the buttons (what the person
acts on, e.g. "Publish") close the last part, after everything they refer to.
"""

from __future__ import annotations

import dataclasses

from bot.replies import Reply, Section
from bot.text import split_text


def _size(section: Section) -> int:
    return len(section.title) + len(section.text) + 4


def split_reply(reply: Reply, *, max_chars: int, max_sections: int) -> list[Reply]:
    """Parts of ``reply`` each with at most ``max_chars`` of text and ``max_sections``
    sections; one part (the reply itself) when it already fits."""
    head = len(reply.title) + len(reply.text) + sum(len(f.label) + len(f.value) for f in reply.fields)
    sections: list[Section] = []
    for sec in reply.sections:  # a section too long on its own goes in pieces
        if _size(sec) <= max_chars // 2:
            sections.append(sec)
            continue
        for i, piece in enumerate(split_text(sec.text, max_chars // 2)):
            sections.append(Section(piece, sec.title if i == 0 else f"{sec.title} (cont.)"))
    if head + sum(map(_size, sections)) <= max_chars and len(sections) <= max_sections:
        return [reply]
    groups: list[list[Section]] = [[]]
    used = head
    for sec in sections:
        if groups[-1] and (used + _size(sec) > max_chars or len(groups[-1]) >= max_sections):
            groups.append([])
            used = 0
        groups[-1].append(sec)
        used += _size(sec)
    n = len(groups)
    parts = []
    for i, group in enumerate(groups):
        first, last = i == 0, i == n - 1
        parts.append(dataclasses.replace(
            reply,
            title=reply.title if first else (f"{reply.title} ({i + 1}/{n})" if reply.title else ""),
            text=reply.text if first else f"_Part {i + 1} of {n}_",
            fields=reply.fields if first else [],
            sections=group,
            buttons=reply.buttons if last else [],
            form=reply.form if first else None,
            mentions=reply.mentions if first else [],
        ))
    return parts
