"""Typed outbound facts. A use case that wants something said later writes a notice to the
outbox in its own transaction; the delivery worker renders it with the bot's presenters at
send time, so wording can change without touching the engine and an old row still renders.

Notices are frozen dataclasses of JSON-friendly values (str, int, float, bool, None, lists,
dicts). Register each with ``@notice`` so it can be read back from a stored payload.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from circles.matching.explain import Why
from circles.model import OutboxMessage
from circles.outbox import enqueue

N = TypeVar("N")
NOTICES: dict[str, type] = {}


def notice(cls: type[N]) -> type[N]:
    """Register a notice class under its name (the name is what the outbox row stores)."""
    if cls.__name__ in NOTICES:
        raise ValueError(f"notice {cls.__name__} registered twice")
    NOTICES[cls.__name__] = cls
    return cls


def to_payload(n: Any) -> dict[str, Any]:
    return {"notice": type(n).__name__, "data": dataclasses.asdict(n)}


def from_payload(payload: dict[str, Any]) -> Any | None:
    """The notice stored in an outbox payload, or None for a payload without one."""
    name = payload.get("notice")
    if not name:
        return None
    cls = NOTICES[name]
    data = payload.get("data") or {}
    hook = getattr(cls, "from_data", None)
    return hook(data) if hook is not None else cls(**data)


def to_circle(session: Session, workspace_id: int, circle_id: int, key: str, n: Any,
              **extra: Any) -> OutboxMessage | None:
    """Say something in a circle's space (channel or thread), once per key."""
    return enqueue(session, workspace_id, key, "post", f"circle:{circle_id}",
                   {"circle_id": circle_id, **extra, **to_payload(n)})


def to_member(session: Session, workspace_id: int, member_id: int, user: str, key: str, n: Any,
              not_before: dt.datetime | None = None) -> OutboxMessage | None:
    """Say something to one member privately, once per key."""
    return enqueue(session, workspace_id, key, "dm", f"member:{member_id}",
                   {"user": user, **to_payload(n)}, not_before=not_before)


# ------------------------------------------------------------- members and circles


def _with_why(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "why": Why.from_data(data["why"]) if data.get("why") else None}


@notice
@dataclasses.dataclass(frozen=True)
class CircleFormed:
    """A published circle's welcome, posted into its new space."""

    circle_id: int
    circle_name: str
    member_names: list[str]
    mentor_name: str | None
    explanation: str  # kept for rows written before ``why``; new rows leave it empty
    mentions: list[str]
    why: Why | None = None  # from the members as they were when the circle was published

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CircleFormed:
        return cls(**_with_why(data))


@notice
@dataclasses.dataclass(frozen=True)
class Waitlisted:
    program_name: str
    reason: str


@notice
@dataclasses.dataclass(frozen=True)
class MemberPlaced:
    """A late joiner (or rematched member) arrives in a running circle."""

    member_name: str
    mention: str
    why: str  # kept for rows written before ``reason``; new rows leave it empty
    reason: Why | None = None  # the newcomer's own reason, from the circle as it is now

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> MemberPlaced:
        data = dict(data)
        if data.get("reason"):
            data["reason"] = Why.from_data(data["reason"])
        return cls(**data)


@notice
@dataclasses.dataclass(frozen=True)
class Rematched:
    """Told privately to the member who was moved."""

    circle_name: str
    explanation: str  # kept for rows written before ``why``; new rows leave it empty
    why: Why | None = None  # the moved member's reason, from the new circle as it is now

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Rematched:
        return cls(**_with_why(data))


@dataclasses.dataclass(frozen=True)
class MemberMoved:
    """A fact, not a message: a member left ``old_circle_id`` for ``new_circle_id`` (a rematch).
    Their old membership is inactive from that moment; leaving the old circle's space is the
    platform side's job."""

    member_id: int
    user: str
    old_circle_id: int
    new_circle_id: int


@notice
@dataclasses.dataclass(frozen=True)
class GoalCheck:
    """At round end: how did this open goal go?"""

    goal_id: int
    number: int
    text: str


# ------------------------------------------------------------------ the weekly cycle


@notice
@dataclasses.dataclass(frozen=True)
class PromptPosted:
    post_id: int
    cycle: int
    text: str


@notice
@dataclasses.dataclass(frozen=True)
class CheckinDue:
    circle_id: int
    cycle: int


@notice
@dataclasses.dataclass(frozen=True)
class Nudge:
    post_id: int
    cycle: int
    prompt_text: str


# ------------------------------------------------- coordinators (circles.cycle, health)
# Facts only; the words are in bot/presenters/coordinator_notices.py.

from circles.evaluation.series import WeekPoint  # noqa: E402
from circles.health import Risk  # noqa: E402  (kept with the section that uses it)


@notice
@dataclasses.dataclass(frozen=True)
class RoundEnded:
    """A round reached its end date: spaces are being archived, goals asked about."""

    program_name: str
    round_number: int
    ended_on: str  # ISO date


@notice
@dataclasses.dataclass(frozen=True)
class PromptsSkipped:
    """A week's prompt was too late to post (the bot was down past the grace period)."""

    program_name: str
    round_number: int
    cycle: int
    circles: int


@dataclasses.dataclass(frozen=True)
class AtRiskCircle:
    name: str
    risks: list[Risk]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AtRiskCircle:
        return cls(data["name"], [Risk.from_data(r) for r in data["risks"]])


@dataclasses.dataclass(frozen=True)
class ProgramDigest:
    """One program's week. ``at_risk`` holds the first ``DIGEST_AT_RISK`` flagged circles (by
    number) so a digest row stays small with thousands of circles; ``at_risk_total`` counts all."""

    program_name: str
    round_number: int | None
    circles: int
    answer_rate: float | None
    meeting_rate: float | None
    pulse_avg: float | None
    pulse_trend: float | None  # mean change of the circles' pulse vs the week before
    at_risk_total: int
    at_risk: list[AtRiskCircle]
    # the round week by week, for the digest's chart (rows written before it have none)
    weeks: list[WeekPoint] = dataclasses.field(default_factory=list)
    min_respondents: int = 3

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ProgramDigest:
        return cls(**{**data, "at_risk": [AtRiskCircle.from_data(c) for c in data["at_risk"]],
                      "weeks": [WeekPoint.from_data(w) for w in data.get("weeks", [])]})


DIGEST_AT_RISK = 10


@notice
@dataclasses.dataclass(frozen=True)
class WeeklyDigest:
    """The coordinators' weekly summary of every program with an active round."""

    programs: list[ProgramDigest]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> WeeklyDigest:
        return cls([ProgramDigest.from_data(p) for p in data["programs"]])




# ------------------------------------------------------ closing survey, privacy (privacy12)


@notice
@dataclasses.dataclass(frozen=True)
class SurveyInvite:
    """At round end, to each member: the closing survey. ``goals`` are the member's open
    goals then, as ``{"id", "number", "text"}``."""

    round_id: int
    program_name: str
    round_number: int
    goals: list[dict[str, Any]]


@notice
@dataclasses.dataclass(frozen=True)
class SomeoneLeft:
    """Told to a circle when a member asked to be forgotten: no name, no reason."""

    circle_id: int


@notice
@dataclasses.dataclass(frozen=True)
class MemberDeparted:
    """Told to a circle when someone stops being part of it (left, rematched or moved).
    Deliberately carries no reason: the circle hears the same neutral fact either way."""

    member_name: str
