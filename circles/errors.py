"""Why the engine refuses a request, as a fact: a reason code and the values that explain it.

The engine never words a refusal; `bot.presenters.errors` turns the reason into a sentence,
so wording can change (or be translated) without touching a use case.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the engine refuses. ``reason`` is a stable code, ``facts`` its details."""

    def __init__(self, reason: str, **facts: Any) -> None:
        super().__init__(reason, facts)
        self.reason = reason
        self.facts = facts

    def __repr__(self) -> str:
        return f"DomainError({self.reason!r}, {self.facts!r})"
