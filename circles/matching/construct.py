"""Starting partitions for the local search: greedy construction and exact cover.

The greedy starts decide what large instances look like (the search only polishes them); the
exact-cover start gives small instances a partition that breaks no rule when one exists.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from circles.matching.partition import Partition
from circles.matching.penalties import pair_short_of_time, shared_hours, time_penalty


def greedy_fill(
    s: Partition, plan: Sequence[tuple[int, int]], order: Sequence[int], free: list[bool]
) -> None:
    """Grow each planned group from its seed (or the most constrained free member) greedily.

    Candidates are the neighbours of the members already in the group plus the next few free
    members in constraint order, so late groups are still filled when neighbour lists run dry.
    """
    score = s.score
    near = s.near
    ptr = 0
    for g, target in plan:
        mem = s.members[g]
        if not mem:
            while ptr < len(order) and not free[order[ptr]]:
                ptr += 1
            if ptr == len(order):
                return
            x = order[ptr]
            s.place(x, g)
            free[x] = False
        acc: dict[int, float] = {}

        def consider(c: int, mem: list[int] = mem, acc: dict[int, float] = acc) -> None:
            if free[c] and c not in acc:
                acc[c] = sum(score(c, m) for m in mem)

        for m in mem:
            for c in near.get(m, ()):
                consider(c)
        hours, min_hours = s.inst.hours, s.inst.min_hours
        mask, count = shared_hours(hours, mem)  # the circle's shared hours so far
        while len(mem) < target:
            q = ptr
            extra = 0
            while q < len(order) and extra < 3:
                c = order[q]
                if free[c]:
                    consider(c)
                    extra += 1
                q += 1
            best = -1
            bv = -math.inf
            for c, v in acc.items():
                if not free[c]:
                    continue
                if s.circle_time:
                    v -= time_penalty(*shared_hours(hours, (c,), mask, count), min_hours)
                if v > bv:
                    best, bv = c, v
            if best < 0:
                break
            s.place(best, g)
            mask, count = shared_hours(hours, (best,), mask, count)
            free[best] = False
            del acc[best]
            for c in list(acc):
                if free[c]:
                    acc[c] += score(c, best)
                else:
                    del acc[c]
            for c in near.get(best, ()):
                consider(c)
    for g in range(len(s.members)):
        s.refresh(g)


def greedy_pairs(
    s: Partition, groups: Sequence[int], order: Sequence[int], rank: Sequence[int]
) -> None:
    """Heaviest edges first (a 1/2-approximate matching), then pair up the rest in order."""
    score = s.score
    free = [s.group_of[x] == s.bench and not s.locked[x] for x in range(s.inst.n)]
    edges = []
    for a, cs in s.near.items():
        for b in cs:
            if a < b or a not in s.near.get(b, ()):
                edges.append((-score(a, b), rank[a], rank[b], a, b))
    edges.sort()
    gi = 0
    for _, _, _, a, b in edges:
        if gi == len(groups):
            break
        if free[a] and free[b] and a != b:
            s.place(a, groups[gi])
            s.place(b, groups[gi])
            free[a] = free[b] = False
            gi += 1
    rest = [x for x in order if free[x]]
    taken = [False] * len(rest)
    for i, a in enumerate(rest):
        if gi == len(groups):
            break
        if taken[i]:
            continue
        best, bv = -1, -math.inf
        for j in range(i + 1, min(len(rest), i + 40)):
            if not taken[j]:
                v = score(a, rest[j])
                if v > bv:
                    best, bv = j, v
        if best < 0:
            continue
        taken[i] = taken[best] = True
        s.place(a, groups[gi])
        s.place(rest[best], groups[gi])
        gi += 1
    for g in range(len(s.members)):
        s.refresh(g)


def greedy_star(s: Partition, mentees: Sequence[int], rank: Sequence[int]) -> None:
    """Assign mentees to mentors by heaviest edge first, then fill any mentor with room."""
    score = s.score
    free = {e: True for e in mentees}
    edges = []
    for e in mentees:
        for m in s.near.get(e, ()):
            if s.locked[m]:
                edges.append((-score(e, m), rank[e], rank[m], e, s.group_of[m]))
    edges.sort()
    for _, _, _, e, g in edges:
        if free[e] and len(s.members[g]) < s.max_size[g]:
            s.place(e, g)
            free[e] = False
    room = [g for g in range(len(s.members)) if g != s.bench and len(s.members[g]) < s.max_size[g]]
    for e in mentees:
        if not free[e]:
            continue
        room = [g for g in room if len(s.members[g]) < s.max_size[g]]
        if not room:
            break
        g = max(room[:60], key=lambda g: (score(e, s.head[g]), -g))
        s.place(e, g)
        free[e] = False
    for g in range(len(s.members)):
        s.refresh(g)


def cover_start(state: Partition, node_limit: int) -> list[int] | None:
    """A partition that breaks no rule, found by exact-cover search (small instances only).

    Members whose compatible partners are scarcest are placed first; partners are tried
    best-scoring first with random tie-breaks, so every call gives a different, decent start.
    Returns None when the search proves there is none or runs out of nodes.
    """
    inst, m, rng = state.inst, state.matrix, state.rng
    assert m is not None
    n, hours, min_hours = inst.n, inst.hours, inst.min_hours
    bench = state.bench
    gids = [g for g in range(len(state.members)) if g != bench]
    if any(state.head[g] >= 0 for g in gids) or any(state.locked):
        return None
    sizes: dict[int, list[int]] = {}
    for g in gids:
        sizes.setdefault(len(state.members[g]), []).append(g)
    spare = len(state.members[bench]) if bench >= 0 else 0
    av = state.circle_time
    pairwise = inst.pairwise_time and min_hours > 0
    noise = [rng.random() for _ in range(n)]
    ok: list[list[int]] = []
    for x in range(n):
        row = []
        for y in range(n):
            if y == x or inst.pair_penalty(x, y):
                continue
            if (av or pairwise) and pair_short_of_time(hours[x], hours[y], min_hours):
                continue
            row.append(y)
        row.sort(key=lambda y, x=x: (-m[x][y] - 0.5 * noise[y], y))
        ok.append(row)
    free = [True] * n
    group_of = [bench] * n
    left = {s: len(g) for s, g in sizes.items()}
    nodes = 0

    def groups_with(x: int, s: int) -> Iterable[list[int]]:
        part = [y for y in ok[x] if free[y]]
        chosen = [x]

        def extend(start: int, mask: int, cnt: int) -> Iterable[list[int]]:
            nonlocal nodes
            if len(chosen) == s:
                yield chosen
                return
            for k in range(start, len(part)):
                y = part[k]
                nodes += 1
                if nodes > node_limit:
                    return
                if any(inst.pair_penalty(y, z) for z in chosen[1:]):
                    continue
                mk, c = shared_hours(hours, (y,), mask, cnt)
                if av and time_penalty(mk, c, min_hours):
                    continue
                if pairwise and any(
                    pair_short_of_time(hours[y], hours[z], min_hours) for z in chosen[1:]
                ):
                    continue
                chosen.append(y)
                yield from extend(k + 1, mk, c)
                chosen.pop()

        return extend(0, *shared_hours(hours, (x,)))

    def solve(benched: int) -> bool:
        nonlocal nodes
        if nodes > node_limit:
            return False
        todo = [x for x in range(n) if free[x]]
        if not todo:
            return True
        need = min((s for s, k in left.items() if k), default=0)
        if not need:  # every circle is full; the rest wait
            return len(todo) <= spare - benched
        deg = {x: sum(1 for y in ok[x] if free[y]) for x in todo}
        x = min(todo, key=lambda x: (deg[x], noise[x]))
        if deg[x] + 1 < need and benched == spare:
            return False
        free[x] = False
        for s in sorted(left, reverse=True):
            if not left[s]:
                continue
            for g in groups_with(x, s):
                for y in g:
                    free[y] = False
                left[s] -= 1
                gid = sizes[s][left[s]]
                for y in g:
                    group_of[y] = gid
                if solve(benched):
                    return True
                left[s] += 1
                for y in g[1:]:
                    free[y] = True
                if nodes > node_limit:
                    free[x] = True
                    return False
        if benched < spare:
            group_of[x] = bench
            if solve(benched + 1):
                return True
        free[x] = True
        return False

    found = solve(0)
    state.work += nodes
    return group_of if found else None
