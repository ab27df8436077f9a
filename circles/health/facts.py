"""Typed facts of circle and program health. Numbers and names only; the words that
explain them belong to the bot's presenters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

RiskKind = Literal["low_answers", "low_meetings", "low_pulse", "falling_pulse", "quiet", "too_few",
                   "silent"]
RematchReason = Literal["low_pulse", "silent"]


@dataclass(frozen=True)
class Risk:
    """Why a circle is flagged, with the numbers a coordinator needs to judge it.

    ``value`` per kind: ``low_answers`` / ``low_meetings`` the rate (0..1), ``low_pulse`` the
    average pulse, ``falling_pulse`` how far it fell (positive; ``before`` and ``after`` the
    two averages), ``quiet`` the days of silence that trigger the flag, ``too_few`` the
    minimum number of active members, ``silent`` how many members answered none of the
    last prompts (``of`` members, for about ``weeks`` weeks).
    """

    kind: RiskKind
    value: float | int | None = None
    before: float | None = None
    after: float | None = None
    of: int | None = None
    weeks: int | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Risk:
        return cls(data["kind"], data.get("value"), data.get("before"), data.get("after"),
                   data.get("of"), data.get("weeks"))


@dataclass(frozen=True)
class RematchCandidate:
    """A member whose participation says the circle isn't working for them: ``count``
    unanswered recent prompts. Never chosen by pulse (a name beside a pulse would
    attribute it), so ``reason`` is ``silent``."""

    member_id: int
    display_name: str
    reason: RematchReason
    count: int
    circle_number: int | None = None


@dataclass
class CircleHealth:
    circle_id: int
    number: int
    name: str
    kind: str
    members: int
    prompts: int
    answer_rate: float | None  # None: no prompt yet
    meeting_rate: float | None  # None: nobody checked in yet
    pulse_avg: float | None  # None: no week with enough pulses to show (privacy.pulse_shown)
    pulse_trend: float | None  # the latest shown week's average minus the round's first shown
    last_activity: dt.datetime | None
    risks: list[Risk] = field(default_factory=list)
    pulse_first: float | None = None  # the round's first shown week's average
    pulse_last: float | None = None  # and its latest
    silent: int = 0  # members who answered none of the last two prompts
    goals_set: int = 0
    goals_met: int = 0
    pulse_hidden: bool = False  # pulses exist but no week had enough of them to show


@dataclass
class ProgramHealth:
    """One program's latest published round; ``round_number`` is None before the first.
    An ended round (``status == "ended"``) is reported as it ended: no risks, nobody to
    rematch."""

    program_id: int
    program_name: str
    round_number: int | None
    circles: list[CircleHealth]
    waitlist: int
    rematch: list[RematchCandidate]
    status: str = "active"  # active | ended ("" before the first round)
    rematch_total: int = 0  # rematch lists the first few of these
    goals_set: int = 0
    goals_met: int = 0
    min_respondents: int = 3
    cadence_weeks: int = 1

    @property
    def ended(self) -> bool:
        return self.status == "ended"

    @property
    def at_risk(self) -> list[CircleHealth]:
        return [c for c in self.circles if c.risks]

    def overall(self, attr: str) -> float | None:
        vals = [getattr(c, attr) for c in self.circles if getattr(c, attr) is not None]
        return sum(vals) / len(vals) if vals else None

    @property
    def prompts(self) -> int:
        return sum(c.prompts for c in self.circles)

    @property
    def last_activity(self) -> dt.datetime | None:
        stamps = [c.last_activity for c in self.circles if c.last_activity is not None]
        return max(stamps) if stamps else None

    @property
    def pulse_from_to(self) -> tuple[float, float] | None:
        """The program's pulse over the round: the average circle's first and latest weekly
        pulse (weeks with enough answers only), once some circle has two such weeks."""
        pairs = [(c.pulse_first, c.pulse_last) for c in self.circles
                 if c.pulse_first is not None and c.pulse_last is not None and c.pulse_trend is not None]
        if not pairs:
            return None
        return sum(a for a, _ in pairs) / len(pairs), sum(b for _, b in pairs) / len(pairs)  # type: ignore[misc]


@dataclass(frozen=True)
class MemberParticipation:
    """One member's participation in their circle (names are fine here, never for pulse)."""

    member_id: int
    display_name: str
    answers: int
    last_answer_cycle: int | None
    silent: bool  # answered none of the last two prompts
    goals_set: int
    goals_met: int


@dataclass(frozen=True)
class CircleWeekFacts:
    """One cycle of a circle: answers, check-ins, and the pulse only when enough answered."""

    cycle: int
    answers: int
    checkins: int
    met: int
    pulses: int
    pulse_avg: float | None  # None when fewer than the threshold answered (or nobody)


@dataclass(frozen=True)
class CircleDetail:
    program_name: str
    round_number: int
    ended: bool
    health: CircleHealth
    members: list[MemberParticipation]
    weeks: list[CircleWeekFacts]
    comments: list[str]  # pulse comments of the shown weeks, sorted, never attributed
    min_respondents: int
