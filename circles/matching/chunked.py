"""Large rounds of circles by divide and conquer: the small-round matcher on time-zone chunks.

One search over tens of thousands of members can only look at a few neighbours each, and
left about one circle in ten without shared hours where the same matcher run on random chunks
of 240 found alternatives. Here members are sorted by the middle of their working day (then by
a seeded shuffle), cut into chunks of about `CHUNK`, and every chunk gets the full small-round
search (every pair scored, restarts, rule repairs), so people who can meet end up together.
The budget is split across chunks in work units, never wall-clock time, so the same input and
seed give the same circles on any machine. People a chunk could not place (its size did not
divide) get one more round together at the end.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Collection, Mapping, Sequence

from circles.matching.neighbours import _tz_key
from circles.matching.penalties import hours_mask
from circles.matching.types import Candidate, Group, MatchResult, MatchSettings, Optimality

CHUNK = 160  # members per chunk: small enough to score every pair, big enough to choose
CHUNKED_KINDS = ("peer", "cross_functional")

FormFn = Callable[..., MatchResult]


def chunks(cands: Sequence[Candidate], seed: int) -> list[list[Candidate]]:
    """Members sorted by time zone (unknown hours first), cut into near-equal chunks."""
    rng = random.Random(f"chunks:{seed}")
    order = list(range(len(cands)))
    rng.shuffle(order)
    rank = {cands[i].id: r for r, i in enumerate(order)}
    ordered = sorted(cands, key=lambda c: (_tz_key(hours_mask(c.availability)), rank[c.id]))
    k = max(1, round(len(ordered) / CHUNK))
    base, extra = divmod(len(ordered), k)
    out, at = [], 0
    for i in range(k):
        size = base + (1 if i < extra else 0)
        out.append(ordered[at : at + size])
        at += size
    return out


def form_chunked(
    form: FormFn,
    cands: Sequence[Candidate],
    settings: MatchSettings,
    recent_pairs: Collection[frozenset[int]],
    names: Mapping[int, str] | None,
) -> MatchResult:
    """Form each chunk with `form` (the small-round matcher) and join the results."""
    n = len(cands)
    partners: dict[int, list[frozenset[int]]] = {}
    for p in recent_pairs:
        for x in p:
            partners.setdefault(x, []).append(p)
    groups: list[Group] = []
    waitlist: dict[int, str] = {}
    left: list[Candidate] = []
    by_id = {c.id: c for c in cands}

    def run(part: Sequence[Candidate], seed: int) -> MatchResult:
        ids = {c.id for c in part}
        recent = {p for c in part for p in partners.get(c.id, ()) if p <= ids}
        share = dataclasses.replace(
            settings, seed=seed, time_budget_s=settings.time_budget_s * len(part) / n
        )
        return form(part, share, recent, names)

    for i, part in enumerate(chunks(cands, settings.seed)):
        res = run(part, settings.seed * 1_000_003 + i)
        groups.extend(res.groups)
        for cid, why in res.waitlist.items():
            left.append(by_id[cid])
            waitlist[cid] = why
    if len(left) >= max(1, settings.min_size):
        res = run(sorted(left, key=lambda c: c.id), settings.seed * 1_000_003 - 1)
        groups.extend(res.groups)
        for c in left:
            waitlist.pop(c.id, None)
        waitlist.update(res.waitlist)
    groups.sort(key=lambda g: g.member_ids)
    return MatchResult(
        groups,
        dict(sorted(waitlist.items())),
        sum(g.score for g in groups),
        [r for g in groups for r in g.broken_rules],
        Optimality(False, None),
    )
