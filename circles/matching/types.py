"""The matcher's inputs and outputs: plain frozen data, no behaviour.

Callers (the round use cases, the benchmark) build `Candidate`s and `MatchSettings` and get a
`MatchResult` back; nothing here knows how the search works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from circles import rules

CircleKind = Literal[
    "peer", "pod", "mentor_pair", "near_peer", "reverse", "skill_swap", "cross_functional"
]
# Kinds whose circles are pairs check shared time pair by pair rather than per circle.
PAIR_KINDS = rules.PAIR_KINDS


@dataclass(frozen=True)
class Candidate:
    """One member who wants to be matched this round."""

    id: int
    role: str = "peer"  # "peer" | "mentor" | "mentee"
    experience: int = 2  # 1 (new) .. 5 (expert)
    department: str = ""
    interests: frozenset[str] = frozenset()
    goals: frozenset[str] = frozenset()
    skills_offered: frozenset[str] = frozenset()
    skills_wanted: frozenset[str] = frozenset()
    availability: frozenset[int] = frozenset()  # UTC hour-of-week 0..167; empty = unknown/any
    never_with: frozenset[int] = frozenset()
    capacity: int = 1


@dataclass(frozen=True)
class Weights:
    """How much each kind of overlap adds to a pair's compatibility (per program)."""

    interests: float = 1.0
    goals: float = 1.0
    skills: float = 1.0
    experience: float = 0.5
    department: float = 0.0
    availability: float = 0.25


@dataclass(frozen=True)
class MatchSettings:
    """One round's matching knobs; `seed` makes the result reproducible."""

    kind: CircleKind = "peer"
    min_size: int = 4
    max_size: int = 6
    repeat_window: int = 3
    min_shared_hours: int = 1
    weights: Weights = Weights()
    seed: int = 0
    time_budget_s: float = 1.0


@dataclass
class Group:
    """One formed circle (or pair) with its score, why it was formed and any rule it breaks."""

    member_ids: tuple[int, ...]
    mentor_id: int | None
    score: float
    explanation: str
    broken_rules: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Optimality:
    """How good the round provably is: `proven` when no better circles exist under the
    matcher's priorities; otherwise `gap`, the most compatibility the best possible circles
    could add as a share of theirs (None when no bound was cheap to get)."""

    proven: bool
    gap: float | None = None


@dataclass
class MatchResult:
    """The round: circles, who waits and why, the total score and every rule left broken."""

    groups: list[Group]
    waitlist: dict[int, str]
    score: float
    broken_rules: list[str]
    optimality: Optimality = Optimality(False, None)
