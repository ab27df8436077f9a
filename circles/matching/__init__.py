"""Forming circles: pure functions over plain data.

The matcher maximises the sum of pairwise compatibility inside circles under strict priorities
(`penalties.PRIORITIES`): never-with opt-outs, then waitlisting, then recent repeats, then
shared weekly time, then the near-peer gap, and only then compatibility. Small rounds are
solved exactly; the result reports the rules it could not keep and whether it is proven best.
Everything is deterministic for a given seed: inputs are sorted, tags become integer bitsets and
the search and the solver are limited in work units and nodes, never in wall-clock seconds.

Modules, in the order data flows through them:

- `types`: Candidate, Weights, MatchSettings in; Group, MatchResult out.
- `penalties`: the hard rules as penalties; the shared-time rule written once.
- `scoring`: `Instance` (members as bitsets), pair compatibility and the penalised pair score.
- `neighbours`: promising partners per member without scoring all pairs.
- `partition`: groups with incremental scores and move/swap deltas.
- `construct`: greedy starts and the exact-cover start.
- `search`, `repair`: local search, kicks, restarts, compound repair moves.
- `results`, `explain`: groups to `Group`s, broken rules, waitlist reasons, explanations.
- `exact`, `optimal`: small rounds solved exactly with HiGHS (two stages: rules and waitlist,
  then compatibility) and compared with the search; the result says if it is proven best.
- `chunked`: large rounds of circles as time-zone chunks of the small-round matcher.
- `form`: `form_circles`, the round entry point; `late`: `place_late_joiner`.
"""

from circles.matching.form import form_circles
from circles.matching.late import place_late_joiner
from circles.matching.scoring import pair_score
from circles.matching.types import (
    PAIR_KINDS,
    Candidate,
    CircleKind,
    Group,
    MatchResult,
    MatchSettings,
    Optimality,
    Weights,
)

__all__ = [
    "CircleKind",
    "Candidate",
    "Weights",
    "MatchSettings",
    "Group",
    "MatchResult",
    "form_circles",
    "place_late_joiner",
    "pair_score",
    "PAIR_KINDS",
    "Optimality",
]
