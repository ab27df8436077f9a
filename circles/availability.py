"""Weekly availability: members state it in their own zone; matching compares it in UTC.

Converting with a reference date makes DST explicit: a Berlin member's 09:00 is 08:00 UTC in
winter and 07:00 UTC in summer, so a round is matched with the offsets in force when it runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from circles.rules import WEEKDAYS


def utc_slots(windows: Iterable[Any], tz: str, ref: dt.date) -> frozenset[int]:
    """[["mon", 9, 12], ...] local → UTC hour-of-week slots (0 = Monday 00:00 UTC)."""
    zone = ZoneInfo(tz or "UTC")
    monday = ref - dt.timedelta(days=ref.weekday())
    slots: set[int] = set()
    for day, start, end in windows:
        d = monday + dt.timedelta(days=WEEKDAYS.index(day))
        for hour in range(int(start), int(end)):
            local = dt.datetime.combine(d, dt.time(hour), tzinfo=zone)
            u = local.astimezone(dt.UTC)
            slots.add((u.weekday() * 24 + u.hour) % 168)
    return frozenset(slots)

