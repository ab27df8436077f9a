"""Hard rules as penalties, and the one definition of each rule check.

The priorities are strict, in this order (`PRIORITIES`): an explicit never-with opt-out, then
leaving somebody out (waitlisting), then a repeat of a recent pairing, then a circle without
the required shared hours, then the near-peer experience gap, and only then compatibility.

The exact solve (`exact`) and every comparison of whole rounds (`optimal.Profile`) use that
order as a tuple, so nothing can outrank a rule. The local search needs one number per move,
so each tier is a weight 100 times the one below it, and compatibility stays below 100 per
pair: a move or swap changes at most two circles (at most ten members each), so a single
search step can never trade a tier for anything below it. Large rounds are searched in
chunks (`chunked`) so one search never spans so many circles that the gaps would matter.

Shared weekly time is checked in many places (whole circles, circles with one member swapped,
pairs, late joiners, explanations); they all go through `time_penalty` / `pair_short_of_time`
so the rule is written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

PRIORITIES = ("never_with", "waitlist", "repeat", "shared_hours", "near_gap", "compatibility")
P_NEVER = 1e12
P_PLACE = 1e10
P_REPEAT = 1e8
P_AVAIL = 1e6
P_NEAR = 1e4
EPS = 1e-9
WEEK = (1 << 168) - 1  # every UTC hour of the week; the neutral start of an AND of hours


def pair_key(a: int, b: int) -> tuple[int, int]:
    """A pair in canonical (low, high) order."""
    return (a, b) if a < b else (b, a)


def hours_mask(slots: Iterable[int]) -> int:
    """Someone's UTC hour-of-week slots as a 168-bit mask (slots out of range are ignored)."""
    m = 0
    for s in slots:
        if 0 <= s < 168:
            m |= 1 << s
    return m


def shared_hours(
    hours: Sequence[int], members: Iterable[int], mask: int = WEEK, count: int = 0
) -> tuple[int, int]:
    """AND of the hours of the members who gave any, and how many did; extends (mask, count).

    Members with no availability (mask 0) are "any time" and do not narrow the shared hours.
    """
    for x in members:
        a = hours[x]
        if a:
            mask &= a
            count += 1
    return mask, count


def time_penalty(mask: int, count: int, min_hours: int) -> float:
    """The shared-time rule for a circle: P_AVAIL when two or more members gave hours and
    the hours they all share (`mask`) fall below `min_hours`."""
    return P_AVAIL if count >= 2 and mask.bit_count() < min_hours else 0.0


def pair_short_of_time(a: int, b: int, min_hours: int) -> bool:
    """The shared-time rule for a pair (pair kinds check it pair by pair)."""
    return bool(a and b and (a & b).bit_count() < min_hours)


def near_gap_ok(exp_a: int, exp_b: int) -> bool:
    """Near-peer pairs are one or two experience levels apart."""
    return 1 <= abs(exp_a - exp_b) <= 2
