"""Circle and program health: typed facts from maintained tallies and grouped SQL.

Public surface (kept stable for the digest, the App Home, the chart and the export):
``program_health``, ``members_to_rematch``, ``circle_detail``, the facts
(``ProgramHealth``, ``CircleHealth``, ``Risk``, ``RematchCandidate``, ``CircleDetail`` ...)
and the one pulse threshold rule ``pulse_shown`` / ``threshold`` (``circles.health.privacy``).
"""

from circles.health.circle import circle_detail  # noqa: E402,I001  (needs program first)
from circles.health.facts import (
    CircleDetail,
    CircleHealth,
    CircleWeekFacts,
    HealthSummary,
    MemberParticipation,
    ProgramHealth,
    RematchCandidate,
    RematchReason,
    Risk,
    RiskKind,
)
from circles.health.privacy import DEFAULT_MIN_RESPONDENTS, FLOOR, pulse_shown, threshold
from circles.health.program import latest_round, members_to_rematch, program_health

__all__ = [
    "DEFAULT_MIN_RESPONDENTS", "FLOOR", "CircleDetail", "CircleHealth", "CircleWeekFacts", "HealthSummary",
    "MemberParticipation", "ProgramHealth", "RematchCandidate", "RematchReason", "Risk", "RiskKind",
    "circle_detail", "latest_round", "members_to_rematch", "program_health", "pulse_shown", "threshold",
]
