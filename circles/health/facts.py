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


@dataclass(frozen=True)
class HealthSummary:
    """A whole round in aggregates (computed by the database): what a program's summary
    needs when its circles are too many to carry. ``overall`` holds the average over circles
    of answer_rate, meeting_rate, pulse_avg and pulse_trend (circles without one left out)."""

    circles: int = 0
    members: int = 0
    prompts: int = 0
    overall: dict[str, float | None] = field(default_factory=dict)
    pulse_from_to: tuple[float, float] | None = None
    last_activity: dt.datetime | None = None
    silent: int = 0
    goals_set: int = 0
    goals_met: int = 0
    at_risk: int = 0


@dataclass
class ProgramHealth:
    """One program's latest published round; ``round_number`` is None before the first.
    An ended round (``status == "ended"``) is reported as it ended: no risks, nobody to
    rematch.

    With a ``summary`` (as ``program_health`` returns it) the figures of the whole round come
    from it and ``circles`` holds only the circles listed (all of a small program, the first
    at risk of a big one, or page ``page``); without one they are computed from ``circles``."""

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
    summary: HealthSummary | None = None
    page: int | None = None  # the page of all circles ``circles`` holds, when one was asked for

    @property
    def ended(self) -> bool:
        return self.status == "ended"

    @property
    def at_risk(self) -> list[CircleHealth]:
        """The listed circles at risk (all of them unless ``at_risk_total`` says more)."""
        return [c for c in self.circles if c.risks]

    @property
    def at_risk_total(self) -> int:
        return self.summary.at_risk if self.summary is not None else len(self.at_risk)

    @property
    def circle_count(self) -> int:
        return self.summary.circles if self.summary is not None else len(self.circles)

    @property
    def members(self) -> int:
        return self.summary.members if self.summary is not None else sum(c.members for c in self.circles)

    def overall(self, attr: str) -> float | None:
        if self.summary is not None:
            return self.summary.overall.get(attr)
        vals = [getattr(c, attr) for c in self.circles if getattr(c, attr) is not None]
        return sum(vals) / len(vals) if vals else None

    @property
    def prompts(self) -> int:
        return self.summary.prompts if self.summary is not None else sum(c.prompts for c in self.circles)

    @property
    def last_activity(self) -> dt.datetime | None:
        if self.summary is not None:
            return self.summary.last_activity
        stamps = [c.last_activity for c in self.circles if c.last_activity is not None]
        return max(stamps) if stamps else None

    @property
    def pulse_from_to(self) -> tuple[float, float] | None:
        """The program's pulse over the round: the average circle's first and latest weekly
        pulse (weeks with enough answers only), once some circle has two such weeks."""
        if self.summary is not None:
            return self.summary.pulse_from_to
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
