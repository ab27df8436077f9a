"""Promising partners for each member, without scoring all pairs on large instances.

Construction and local search only look at a member's neighbours, so this list decides what a
large instance can reach. Small instances get everyone, best-scoring first.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Sequence

from circles.matching.scoring import Instance

SMALL = 240  # below this many members every member is everyone's neighbour

_COS = [math.cos(2 * math.pi * h / 24) for h in range(24)]
_SIN = [math.sin(2 * math.pi * h / 24) for h in range(24)]


def _tz_key(mask: int) -> float:
    """Circular mean hour of day of someone's availability: a cheap timezone band."""
    if not mask:
        return -1.0
    day = 0
    for d in range(7):
        day |= (mask >> (24 * d)) & 0xFFFFFF
    sx = sy = 0.0
    for h in range(24):
        if day >> h & 1:
            sx += _COS[h]
            sy += _SIN[h]
    ang = math.atan2(sy, sx)
    return round((ang / (2 * math.pi) * 24) % 24, 3)


def _tags(mask: int) -> list[int]:
    """The set bits of a tag mask, lowest first."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def neighbours(
    inst: Instance,
    queries: Sequence[int],
    pool: Sequence[int],
    k: int,
    rank: Sequence[int],
    window: int = 2,
    score: Callable[[int, int], float] | None = None,
) -> dict[int, list[int]]:
    """Up to k promising partners from pool for each query, without looking at all pairs.

    Pool members are bucketed by tag and sorted by timezone band, so the few entries around a
    query in each of its tag buckets share that tag and roughly its working hours.
    """
    score = score or inst.score  # the search's cached pair scores when it has them
    out: dict[int, list[int]] = {}
    if len(pool) <= max(SMALL, k + 1):
        for x in queries:
            cs = [c for c in pool if c != x]
            cs.sort(key=lambda c: (-score(x, c), rank[c]))
            out[x] = cs
        return out
    tz = [_tz_key(a) for a in inst.hours]
    alltags = [
        inst.interests[i] | inst.goals[i] | inst.offers[i] | inst.wants[i] for i in range(inst.n)
    ]
    buckets: dict[int, list[tuple[float, int, int]]] = {}
    everyone: list[tuple[float, int, int]] = []
    for p in pool:
        key = (tz[p], rank[p], p)
        everyone.append(key)
        for t in _tags(alltags[p]):
            buckets.setdefault(t, []).append(key)
    everyone.sort()
    for b in buckets.values():
        b.sort()
    w = window
    for x in queries:
        key = (tz[x], rank[x], x)
        seen: set[int] = set()
        for t in _tags(alltags[x]):
            b = buckets.get(t)
            if not b:
                continue
            p = bisect_left(b, key)
            for e in b[max(0, p - w) : p + w + 1]:
                seen.add(e[2])
        p = bisect_left(everyone, key)
        for e in everyone[max(0, p - w - 1) : p + w + 2]:
            seen.add(e[2])
        seen.discard(x)
        cs = sorted(seen, key=lambda c: (-score(x, c), rank[c]))
        out[x] = cs[:k]
    return out
