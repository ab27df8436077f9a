"""One definition each of the rules the engine, the grammar and the adapters share.

Before this module the same rule was written in several places and the copies drifted (a
member paused "until 2026-12-31" counted as paused for nudges but not for matching on that
date). Everything here is pure data or a pure function: no database, no platform, no words
for people, so every layer may import it and a spec can pin each rule on its own.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

# ------------------------------------------------------------------------- weekdays

#: Stored spelling of weekdays, Monday first; index = ``date.weekday()``. APScheduler's cron
#: ``day_of_week`` uses the same names.
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Full English names, same order as WEEKDAYS.
WEEKDAY_NAMES: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)
#: The working week, for "weekdays 9-17" in availability.
WORKDAYS: tuple[str, ...] = WEEKDAYS[:5]


def parse_weekday(raw: str) -> str | None:
    """``"Mon"``, ``"monday"`` → ``"mon"``; anything else → None (the caller words the error)."""
    low = raw.lower()
    if low in WEEKDAYS:
        return low
    if low in WEEKDAY_NAMES:
        return WEEKDAYS[WEEKDAY_NAMES.index(low)]
    return None


def weekday_index(day: str | None, default: int = 0) -> int:
    """0 (Monday) .. 6 (Sunday) for a stored or configured day name. Lenient on purpose: a
    bad value in a stored row or a config file must not stop a scheduling sweep, so it falls
    back to ``default`` (Monday) instead of raising. Only the first three letters count."""
    key = (day or "").strip()[:3].lower()
    return WEEKDAYS.index(key) if key in WEEKDAYS else default


# ---------------------------------------------------------------------------- HH:MM

_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_hhmm(raw: str) -> dt.time:
    """24-hour ``H:MM`` or ``HH:MM`` (00:00 .. 23:59) → time; raises ValueError otherwise.

    Minutes always take two digits (``9:5`` is refused), ``24:00`` is refused, no seconds,
    no surrounding spaces."""
    m = _HHMM.fullmatch(raw)
    if not m:
        raise ValueError(f"not a 24-hour HH:MM time: {raw!r}")
    return dt.time(int(m.group(1)), int(m.group(2)))


def format_hhmm(t: dt.time) -> str:
    """The stored spelling: always two digits each, ``09:05``."""
    return f"{t.hour:02d}:{t.minute:02d}"


def normalise_hhmm(raw: str) -> str:
    """``9:30`` → ``09:30``; raises ValueError like parse_hhmm."""
    return format_hhmm(parse_hhmm(raw))


# ---------------------------------------------------------------------------- kinds

#: Every circle kind, as stored on Program.kind / Circle.kind.
KINDS: tuple[str, ...] = (
    "peer", "pod", "mentor_pair", "near_peer", "reverse", "skill_swap", "cross_functional",
)
#: Kinds formed as pairs (size is always 2; shared time is compared pair by pair).
PAIR_KINDS: frozenset[str] = frozenset({"mentor_pair", "near_peer", "reverse", "skill_swap"})
#: Kinds with a mentor/mentee split (a joiner who says nothing joins as mentee).
MENTOR_KINDS: frozenset[str] = frozenset({"pod", "mentor_pair", "near_peer", "reverse"})
#: Member roles as stored on Profile.role.
ROLES: tuple[str, ...] = ("peer", "mentor", "mentee", "skill-swap")


# ---------------------------------------------------------------------------- pause


def is_paused(paused_until: dt.date | None, today: dt.date) -> bool:
    """Paused THROUGH the "until" date, inclusive: paused "until 2026-12-31" is paused on
    2026-12-31 (for nudges and matching alike) and active again on 2027-01-01. ``today`` is
    the member's (or the sweep's) local date."""
    return paused_until is not None and today <= paused_until


#: The longest single pause, in days from today.
MAX_PAUSE_DAYS = 366


# --------------------------------------------------------------------------- limits


class Bounds(NamedTuple):
    """An inclusive range of whole numbers."""

    lo: int
    hi: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.lo <= value <= self.hi


#: Longest free text a member may send (an answer, a goal, a note, a prompt).
MAX_TEXT = 4000
#: A whole command line may carry this much on top of its text before we refuse to read it.
MAX_COMMAND_OVERHEAD = 500
#: Longest program / workspace / member name (the model's String(200)).
MAX_NAME = 200
#: Longest program name: a circle is named "<program> · circle <n>" in a String(MAX_NAME)
#: column, so the program's name leaves room for that suffix up to circle 9999.
MAX_PROGRAM_NAME = MAX_NAME - len(" · circle 9999")
#: Longest department (the model's String(100)).
MAX_DEPARTMENT = 100
#: People in one circle; pair kinds always use 2.
CIRCLE_SIZE = Bounds(2, 12)
PAIR_SIZE = 2
RATING = Bounds(1, 5)
EXPERIENCE = Bounds(1, 5)
MENTOR_CAPACITY = Bounds(1, 10)
PROGRAM_WEEKS = Bounds(1, 52)
REPEAT_WINDOW = Bounds(0, 52)
SHARED_HOURS = Bounds(0, 40)
GOAL_NUMBER = Bounds(1, 10_000)
CIRCLE_NUMBER = Bounds(1, 100_000)
SEED = Bounds(0, 2**31 - 1)
#: Matching weights are numbers from -MAX_WEIGHT to MAX_WEIGHT.
MAX_WEIGHT = 10.0
#: Availability hours are whole hours within one day, start before end.
DAY_HOURS = Bounds(0, 24)
