"""What an adapter implements so the core can reach people on its platform.

The delivery worker is the only caller of a ChatGateway: the rest of the core writes outbox
rows. Errors are classified here, once, so retry policy is platform-neutral.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.replies import Reply


@dataclass(frozen=True)
class Identity:
    """Who is speaking, as the platform told us."""

    platform: str  # slack|discord|console
    workspace: str  # Slack team id / Discord guild id / console workspace name
    user: str  # platform user id
    display_name: str = ""
    is_admin: bool = False  # Slack workspace admin / Discord Manage Server
    timezone: str | None = None  # e.g. from the Slack profile
    channel: str | None = None


class DeliveryError(Exception):
    """A send that failed. ``permanent`` errors are not retried (channel deleted, bot
    removed, token revoked); transient ones are, honouring ``retry_after`` seconds."""

    def __init__(
        self, code: str, message: str = "", *, permanent: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(message or code)
        self.code = code
        self.permanent = permanent
        self.retry_after = retry_after


class ChatGateway(Protocol):
    platform: str

    async def create_space(
        self, workspace: str, name: str, member_users: list[str], hub: str | None = None
    ) -> str:
        """Create a private space (channel / thread / group DM) and invite the members.
        Returns the space id."""

    async def post(
        self, workspace: str, space: str, message: Reply, thread: str | None = None
    ) -> str:
        """Post into a space; returns a message reference."""

    async def dm(self, workspace: str, user: str, message: Reply) -> str:
        """Send a private message to one member; returns a message reference."""

    async def invite(self, workspace: str, space: str, users: list[str]) -> None:
        """Add members to an existing space (a late joiner placed into a running circle)."""

    async def archive_space(self, workspace: str, space: str) -> None:
        """Archive (and on Discord lock) a circle's space at the end of a round."""
