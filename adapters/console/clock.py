"""The console's own clock: `/clock +1w` lets a person watch a week of the product pass.

On Slack or Discord the scheduler runs what is due as real time passes; in a terminal nobody
waits a week. The console owns a settable clock that the core and the delivery worker read,
and walks it forward in steps short enough that nothing due on the way is missed (the cycle
engine only runs the *latest* missed occurrence of each kind, and skips a prompt that is
more than the grace period late, so one big jump would swallow the week's prompt).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

STEP = dt.timedelta(hours=1)  # well under the prompt grace period and the nudge delay
UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
USAGE = ("Usage: /clock (show the time), /clock +1w, /clock +2d, /clock +3h, "
         "/clock 2026-12-07 10:00 (UTC)")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ConsoleClock:
    """Real time plus an offset the console moves: time keeps flowing between commands
    (so a delivery deferred a few seconds still goes out), and `/clock` jumps it."""

    def __init__(self, base: Callable[[], dt.datetime] = _utcnow) -> None:
        self.base = base
        self.offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return self.base() + self.offset

    def set(self, when: dt.datetime) -> None:
        self.offset = when - self.base()


def parse_target(text: str, now: dt.datetime) -> dt.datetime | None:
    """Where `/clock TEXT` should move to: ``+1w``, ``+2d``, ``+3h``, ``+30m`` (combinable:
    ``+1d12h``) or a UTC date with an optional time. None when it reads as neither."""
    text = text.strip()
    if text.startswith("+"):
        parts = re.findall(r"(\d+)\s*([wdhm])", text[1:].lower())
        rest = re.sub(r"(\d+)\s*([wdhm])", "", text[1:].lower()).strip()
        if not parts or rest:
            return None
        delta = dt.timedelta()
        for number, unit in parts:
            delta += dt.timedelta(**{UNITS[unit]: int(number)})
        return now + delta
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


def steps(start: dt.datetime, end: dt.datetime, step: dt.timedelta = STEP) -> list[dt.datetime]:
    """The moments between ``start`` (excluded) and ``end`` (included) the console stops at."""
    out = []
    at = start.replace(minute=0, second=0, microsecond=0)  # on the hour: 10:00 prompts land at 10:00
    while at < end:
        at = min(end, at + step)
        if at > start:
            out.append(at)
    return out


def stamp(when: dt.datetime) -> str:
    """How the console shows a moment: ``Mon 30 Nov 2026, 10:00 UTC``."""
    return when.astimezone(dt.UTC).strftime("%a %d %b %Y, %H:%M UTC")
