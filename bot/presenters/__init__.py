"""The only place with user-facing words: results, notices and refusals become `Reply`s.

Importing this package registers every notice presenter.
"""

from __future__ import annotations

from typing import Any

from bot.ports import ALL_CAPABILITIES, Capabilities
from bot.presenters import (  # noqa: F401  (registers presenters)
    coordinator_notices,
    cycle_notices,
    health,
    member_notices,
    privacy,
    survey,
)
from bot.presenters.registry import render_notice
from bot.replies import Reply
from circles.notices import from_payload


def render_payload(payload: dict[str, Any], can: Capabilities = ALL_CAPABILITIES) -> Reply:
    """An outbox row's message: a typed notice rendered now (for a platform that can do
    what ``can`` says), or (rows written before notices existed) the stored reply."""
    n = from_payload(payload)
    if n is not None:
        return render_notice(n, can)
    return Reply.from_dict(payload["reply"])
