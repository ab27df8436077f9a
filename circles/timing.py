"""When a round's weekly events happen: the cadence, weekday, time and time zone it was
published with. A running round keeps them when a coordinator changes the program (`program
set`), so its prompts, nudges and check-ins stay in order; the change starts with the next
round. Rounds published before rounds kept their own timing fall back to the program's."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from circles.model import Program, Round

KEYS = ("cadence", "day", "time", "timezone")


@dataclass(frozen=True)
class Timing:
    cadence: str
    day: str
    time: str
    timezone: str


def program_timing(p: Program) -> Timing:
    return Timing(p.cadence, p.day, p.time, p.timezone)


def round_timing(p: Program, rnd: Round) -> Timing:
    """The timing a round runs on: its own, else (older rounds) the program's."""
    kept = rnd.schedule or {}
    return Timing(*(kept.get(k) or getattr(p, k) for k in KEYS))


def keep_timing(p: Program, rnd: Round) -> Timing:
    """Freeze the program's current timing onto the round (at publish, or before a change)."""
    if not rnd.schedule:
        rnd.schedule = dataclasses.asdict(program_timing(p))
    return round_timing(p, rnd)
