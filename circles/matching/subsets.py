"""The exact round for small peer programs by dynamic programming over subsets of members.

A round of peer circles is a partition of the members into possible circles (plus the
waitlist), and its cost adds up circle by circle in the priority order. So the best round of
any set of members S is: its first member either waits, or joins one possible circle C inside
S, plus the best round of what is left (S minus C). Every subset is solved once, smallest
first, which for up to ``SUBSET_N`` members is 2^n small steps: faster than branch-and-bound
on the same columns, always proven, and the same answer on every machine (HiGHS could stop
at its node limit on rounds where many partitions tie on repeats).
"""

from __future__ import annotations

from collections.abc import Sequence

from circles.matching.exact import Column, Solved, tier_weights

SUBSET_N = 16  # members: 2^16 subsets take about a second; each member more doubles it


def solve_subsets(n: int, columns: Sequence[Column], max_size: int) -> Solved:
    """The best set of ``columns`` (each member in at most one; the rest wait) under the
    matcher's priorities: never-with, waitlist, repeats, shared hours, near-peer gap, then the
    most compatibility. Proven by construction."""
    import numpy as np

    w_never, w_place, w_repeat, w_hours, w_near = tier_weights(n, max_size)
    full = (1 << n) - 1
    by_first: list[list[int]] = [[] for _ in range(n)]
    for k, c in enumerate(columns):
        by_first[min(c.members)].append(k)
    masks, tiers, compat, ids = [], [], [], []
    for first in range(n):
        ks = by_first[first]
        masks.append(np.array([sum(1 << x for x in columns[k].members) for k in ks], dtype=np.int64))
        tiers.append(np.array([columns[k].never * w_never + columns[k].repeats * w_repeat
                               + columns[k].hours * w_hours + columns[k].near * w_near for k in ks],
                              dtype=np.int64))
        compat.append(np.array([columns[k].compat for k in ks], dtype=float))
        ids.append(np.array(ks, dtype=np.int64))
    cost = np.zeros(1 << n, dtype=np.int64)  # rules broken and people waiting, as one integer
    value = np.zeros(1 << n, dtype=float)  # compatibility
    pick = np.full(1 << n, -1, dtype=np.int64)  # the circle of the subset's first member; -1: waits
    for s in range(1, 1 << n):
        first = (s & -s).bit_length() - 1
        rest = s ^ (1 << first)
        best_cost, best_value, best_pick = int(cost[rest]) + w_place, float(value[rest]), -1
        m = masks[first]
        if len(m):
            fits = np.flatnonzero((m & (full ^ s)) == 0)
            if len(fits):
                left = s ^ m[fits]
                c = tiers[first][fits] + cost[left]
                low = int(c.min())
                if low <= best_cost:
                    at = np.flatnonzero(c == low)
                    v = compat[first][fits[at]] + value[left[at]]
                    j = int(np.argmax(v))
                    if low < best_cost or v[j] > best_value + 1e-9:
                        best_cost, best_value, best_pick = low, float(v[j]), int(ids[first][fits[at[j]]])
        cost[s], value[s], pick[s] = best_cost, best_value, best_pick
    chosen: list[Column] = []
    s = full
    while s:
        k = int(pick[s])
        if k < 0:
            s ^= s & -s
        else:
            chosen.append(columns[k])
            s ^= sum(1 << x for x in columns[k].members)
    return Solved(chosen, True, 0.0)
