"""Text rules every chat platform shares: splitting long text at natural boundaries."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, broken at a newline if one is in the second
    half of the piece, else at a space, else anywhere. Empty text is one empty piece."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces
