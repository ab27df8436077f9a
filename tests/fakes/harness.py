"""The one test harness shape for every chat platform.

A platform harness (``tests.fakes.slack.harness.SlackHarness``,
``tests.fakes.discord.harness.DiscordHarness``) drives the real adapter against a fake
platform server and offers the same two verbs:

- ``await h.say(user, text)`` sends ``/circle <text>`` as ``user`` the way the platform
  would, waits until the bot has settled, and returns the ``Seen`` reply: what the user was
  shown, as the fake platform received it.
- ``await h.settled()`` returns once nothing is in flight: no task started by what the test
  fed in is still running and the fake server is handling no request (``settle``).

Anything fed in by hand goes inside ``with h.tracking():`` so ``settled()`` can see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.settle import SETTLE_SECONDS, InFlight


@dataclass
class Seen:
    """One reply as its user saw it: the visible words, whether only they saw it, the
    buttons (label -> what pressing it sends), and the platform payload(s) as received."""

    text: str
    ephemeral: bool
    buttons: dict[str, str] = field(default_factory=dict)
    raw: Any = None


class ChatHarness:
    """What both platform harnesses share: in-flight tracking and ``settled``."""

    fake: Any  # the fake platform server; its ``in_flight`` counts requests being handled

    def __init__(self, timers: frozenset[str] = frozenset()) -> None:
        self.inflight = InFlight(timers)

    @contextmanager
    def tracking(self) -> Iterator[None]:
        with self.inflight.tracking():
            yield

    async def settled(self, timeout: float = SETTLE_SECONDS) -> None:
        await self.inflight.settled(self.fake.in_flight, timeout=timeout)

    async def say(self, user: str, text: str) -> Seen:  # pragma: no cover - interface
        raise NotImplementedError
