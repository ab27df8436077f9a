"""Forming circles: pure functions over plain data.

The matcher maximises the sum of pairwise compatibility inside circles. Hard rules (opt-outs,
recent repeats, shared weekly time) are encoded as penalties far larger than any compatibility,
so that the search keeps them whenever it can and the result reports the ones it could not keep.
Everything is deterministic for a given seed: inputs are sorted, tags become integer bitsets and
the search budget is counted in work units rather than wall-clock seconds (a wall-clock guard
only stops runaway searches).

Modules, in the order data flows through them:

- `types`: Candidate, Weights, MatchSettings in; Group, MatchResult out.
- `penalties`: the hard rules as penalties; the shared-time rule written once.
- `scoring`: `Instance` (members as bitsets), pair compatibility and the penalised pair score.
- `neighbours`: promising partners per member without scoring all pairs.
- `partition`: groups with incremental scores and move/swap deltas.
- `construct`: greedy starts and the exact-cover start.
- `search`, `repair`: local search, kicks, restarts, compound repair moves.
- `results`, `explain`: groups to `Group`s, broken rules, waitlist reasons, explanations.
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
]
