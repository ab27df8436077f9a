"""Slack's rate limits for the methods where the bot can run into them, enforced per
method and workspace over a sliding minute, answered like Slack (HTTP 429, ``Retry-After``).

The defaults are Slack's published ones for an app outside the Marketplace (since 2025):
``conversations.history`` and ``conversations.replies`` one request a minute with at most 15
messages a page (a larger ``limit`` is clamped), and ``conversations.open`` in Tier 3 (~50 a
minute). A test that legitimately makes many calls raises a limit (``fake.limits.per_minute``)
instead of the fake being lenient for everyone; ``fake.advance(seconds)`` moves the fake's
clock so a test can let a minute pass without waiting for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

MINUTE = 60.0


def _defaults() -> dict[str, int]:
    return {"conversations.history": 1, "conversations.replies": 1, "conversations.open": 50}


@dataclass
class SlackLimits:
    per_minute: dict[str, int] = field(default_factory=_defaults)
    history_page: int = 15  # messages a page of history/replies, whatever `limit` asks
    clock: Callable[[], float] = time.monotonic
    offset: float = 0.0
    _seen: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (method, team) answered 429

    def now(self) -> float:
        return self.clock() + self.offset

    def retry_after(self, method: str, team: str) -> int | None:
        """Counts this call; None if it may go ahead, else whole seconds until it may."""
        limit = self.per_minute.get(method)
        if limit is None:
            return None
        now = self.now()
        recent = [t for t in self._seen.get((method, team), []) if now - t < MINUTE]
        if len(recent) >= limit:
            self._seen[(method, team)] = recent
            self.refused.append((method, team))
            return max(1, int(recent[0] + MINUTE - now + 0.999))
        recent.append(now)
        self._seen[(method, team)] = recent
        return None
