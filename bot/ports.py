"""What an adapter implements so the core can reach people on its platform.

The delivery worker is the only caller of a ChatGateway: the rest of the core writes outbox
rows. Each adapter classifies its platform's failures once, into a neutral
:class:`FailureKind`, so retry policy here never names a platform's error codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
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
    # what the platform can do, so presenters word replies by capability, never by its name
    has_workspace_admins: bool = True  # False on the console: nobody administers a terminal


@dataclass(frozen=True)
class Delivery:
    """Which outbox row a send belongs to, passed to the gateway with the send.

    ``key`` is the row's idempotency key: gateways that can deduplicate on the platform
    (Discord ``nonce`` + ``enforce_nonce``, Slack message metadata) use it so the crash window
    between "accepted" and "marked sent" cannot duplicate a message. ``attempt`` is which
    claim of the row this is: above 1 an earlier claim may have reached the platform before its
    worker died, so a gateway that can look should check before sending again."""

    key: str
    attempt: int = 1

    @property
    def retried(self) -> bool:
        return self.attempt > 1


class SentNote(StrEnum):
    """Something the platform did differently from what was asked, that a coordinator
    should hear about (the bot words it)."""

    GROUP_DM_FALLBACK = "group_dm_fallback"  # no channel allowed: the circle got a group DM


@dataclass(frozen=True)
class Sent:
    """What a gateway reports after the platform accepted a send: the platform's reference
    (message id / space id) and, rarely, a note about how it was done."""

    ref: str
    note: SentNote | None = None


class FailureKind(StrEnum):
    """How the delivery worker should treat a failed send."""

    TRANSIENT = "transient"  # retry later (honouring retry_after when given)
    PERMANENT = "permanent"  # this row can't succeed: give up and tell the coordinators
    WORKSPACE_GONE = "workspace_gone"  # the bot lost the whole workspace: telling anyone fails too


class DeliveryError(Exception):
    """A send that failed, classified by the adapter that saw it.

    ``code`` is the platform's (or adapter's) short error name, kept for logs and for the
    coordinator's report; the worker decides only from ``kind`` and ``retry_after``.
    ``permanent=True/False`` is accepted as shorthand for PERMANENT/TRANSIENT."""

    def __init__(self, code: str, message: str = "", *, kind: FailureKind | None = None,
                 permanent: bool | None = None, retry_after: float | None = None) -> None:
        super().__init__(message or code)
        if kind is None:
            if permanent is None:
                raise TypeError("DeliveryError needs kind= (or permanent=)")
            kind = FailureKind.PERMANENT if permanent else FailureKind.TRANSIENT
        self.code = code
        self.kind = kind
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        """Not worth retrying (a permanent failure or a workspace the bot has lost)."""
        return self.kind is not FailureKind.TRANSIENT


@dataclass(frozen=True)
class Capabilities:
    """What a chat platform lets people do, so notices are worded by capability, never by
    the platform's name (a gateway may carry ``capabilities``; without, it can do it all)."""

    #: a post has a thread people reply in, and a reply there answers the prompt
    threads: bool = True


ALL_CAPABILITIES = Capabilities()


def capabilities_of(gateway: object) -> Capabilities:
    """The gateway's capabilities (every capability when it doesn't say)."""
    return getattr(gateway, "capabilities", ALL_CAPABILITIES)


class ChatGateway(Protocol):
    platform: str

    async def create_space(
        self, workspace: str, name: str, member_users: list[str], hub: str | None = None,
        *, delivery: Delivery | None = None,
    ) -> Sent:
        """Create a private space (channel / thread / group DM) and invite the members.
        ``Sent.ref`` is the space id."""

    async def post(
        self, workspace: str, space: str, message: Reply, thread: str | None = None,
        *, delivery: Delivery | None = None,
    ) -> Sent:
        """Post into a space; ``Sent.ref`` is the message reference."""

    async def dm(
        self, workspace: str, user: str, message: Reply, *, delivery: Delivery | None = None
    ) -> Sent:
        """Send a private message to one member; ``Sent.ref`` is the message reference."""

    async def invite(self, workspace: str, space: str, users: list[str]) -> None:
        """Add members to an existing space (a late joiner placed into a running circle)."""

    async def archive_space(self, workspace: str, space: str) -> None:
        """Archive (and on Discord lock) a circle's space at the end of a round."""
