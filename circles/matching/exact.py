"""The exact solve: every possible circle as a column, HiGHS picks the best set of them.

For the programs most coordinators run (up to `EXACT_N` members, at most `MAX_COLUMNS`
possible circles) the round is solved as a set-packing MIP in two stages, which makes the
priorities strictly lexicographic without huge floating-point weights:

1. minimise the rules broken and people left out, as one integer cost whose weights make each
   tier outweigh everything below it (`tier_weights`): never-with, then waitlisting, then
   repeats, then shared hours, then the near-peer gap;
2. with that cost held at its optimum, maximise compatibility.

The solver runs single-threaded with a fixed seed and node limits (never a wall clock), so the
same input gives the same circles on a busy machine. When a node limit stops a stage first,
the caller keeps the better of the search's circles and the solver's, and reports the gap to
the solver's bound.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from circles.matching.penalties import near_gap_ok, shared_hours
from circles.matching.scoring import Instance

EXACT_N = 60  # members: above this the search alone forms the round
MAX_COLUMNS = 10_000  # possible circles: beyond this the solver is slower than the search is good
# Pods: every possible pod has its mentor fixed, so the model stays easy with many more of
# them (29 members, 4 mentors, pods of 3-4: 10,400 possible pods, proven in 0.6 s; 60,000 in
# about 3 s), and the search alone can miss a pod that keeps every rule.
MAX_POD_COLUMNS = 60_000
_NODES = 400  # branch-and-bound nodes per stage (a work limit, not a time limit)
_banner_lock = threading.Lock()
_banner_done = False


def column_cap(kind: str) -> int:
    """How many possible circles the exact solve takes on for this kind of program."""
    return MAX_POD_COLUMNS if kind == "pod" else MAX_COLUMNS


@dataclass(frozen=True)
class Column:
    """One possible circle: its members (mentor first in pods) and what it costs."""

    members: tuple[int, ...]
    head: int  # mentor of a pod or 1:1 pair, -1 otherwise
    never: int
    repeats: int
    hours: int
    near: int
    compat: float


@dataclass(frozen=True)
class Solved:
    """The solver's circles, whether they are proven best, and the gap to its bound."""

    columns: list[Column]
    proven: bool
    gap: float | None


def tier_weights(n: int, max_size: int) -> tuple[int, int, int, int, int]:
    """Integer weights (never, place, repeat, hours, near) where each tier outweighs the most
    the tiers below it can ever add up to in a round of n members: a strict lexicographic order
    in exact integer arithmetic."""
    near = 1
    hours = near * (n // 2 + 1)
    repeat = hours * (n // 2 + 2)
    place = repeat * (n * max(1, max_size - 1) // 2 + 2)
    never = place * (n + 2)
    return never, place, repeat, hours, near


def column_count(inst: Instance, lo: int, hi: int, mentors: Sequence[int], mentees: Sequence[int]) -> int:
    """How many possible circles the kind has (checked before enumerating any)."""
    kind, n = inst.kind, inst.n
    if kind == "pod":
        return sum(
            math.comb(len(mentees), k)
            for m in mentors
            for k in range(max(1, lo - 1), min(inst.candidates[m].capacity, hi - 1) + 1)
        )
    if kind == "mentor_pair":
        return len(mentors) * len(mentees)
    if kind in ("near_peer", "reverse", "skill_swap"):
        return math.comb(n, 2)
    return sum(math.comb(n, k) for k in range(lo, hi + 1))


def enumerate_columns(
    inst: Instance, lo: int, hi: int, mentors: Sequence[int], mentees: Sequence[int]
) -> list[Column]:
    """Every possible circle with its rule counts; circles with an opt-out pair are left out
    (never-with outranks waitlisting, so leaving those people out always costs less)."""
    kind, n = inst.kind, inst.n
    compat = compat_matrix(inst)
    if kind == "pod":
        out: list[Column] = []
        for m in mentors:
            cap = min(inst.candidates[m].capacity, hi - 1)
            _grow(inst, compat, [m], mentees, max(1, lo - 1) + 1, cap + 1, out)
        return out
    if kind in ("peer", "cross_functional"):
        out = []
        _grow(inst, compat, [], list(range(n)), lo, hi, out)
        return out
    if kind == "mentor_pair":
        sets = [(m, (m, e)) for m in mentors for e in mentees]
    else:
        sets = [(-1, c) for c in itertools.combinations(range(n), 2)]
    found = (evaluate(inst, mem, head, compat) for head, mem in sets)
    return [c for c in found if not c.never]


def _grow(
    inst: Instance,
    compat: list[list[float]],
    base: list[int],
    pool: Sequence[int],
    lo: int,
    hi: int,
    out: list[Column],
) -> None:
    """Every circle `base` + members of `pool` with lo..hi members in all, found depth first
    with running sums (an opt-out pair prunes every circle that would contain it)."""
    n, hours, recent, never = inst.n, inst.hours, inst.recent, inst.never
    min_hours = inst.min_hours if not inst.pairwise_time else 0
    head = base[0] if base else -1
    chosen = list(base)
    rep0 = sum((a, b) in recent for i, a in enumerate(base) for b in base[i + 1 :])
    mask0, cnt0 = shared_hours(hours, base)
    comp0 = sum(compat[a][b] for i, a in enumerate(base) for b in base[i + 1 :])
    blocked = [[False] * n for _ in range(n)]
    for a, b in never:
        blocked[a][b] = blocked[b][a] = True
    repeat = [[0] * n for _ in range(n)]
    for a, b in recent:
        repeat[a][b] = repeat[b][a] = 1

    def dfs(start: int, comp: float, rep: int, mask: int, cnt: int) -> None:
        size = len(chosen)
        for i in range(start, len(pool)):
            y = pool[i]
            by, cy, ry = blocked[y], compat[y], repeat[y]
            if any(by[z] for z in chosen):
                continue
            c2 = comp + sum(cy[z] for z in chosen)
            r2 = rep + sum(ry[z] for z in chosen)
            a = hours[y]
            m2, n2 = (mask & a, cnt + 1) if a else (mask, cnt)
            chosen.append(y)
            if size + 1 >= lo:
                hrs = 1 if min_hours > 0 and n2 >= 2 and m2.bit_count() < min_hours else 0
                out.append(Column(tuple(chosen), head, 0, r2, hrs, 0, c2))
            if size + 1 < hi:
                dfs(i + 1, c2, r2, m2, n2)
            chosen.pop()

    dfs(0, comp0, rep0, mask0, cnt0)


def compat_matrix(inst: Instance) -> list[list[float]]:
    """Every pair's compatibility (small instances only)."""
    n = inst.n
    compat = [[0.0] * n for _ in range(n)]
    for a in range(n):
        for b in range(a + 1, n):
            compat[a][b] = compat[b][a] = inst.compat(a, b)
    return compat


def evaluate(inst: Instance, mem: Sequence[int], head: int, compat: list[list[float]]) -> Column:
    """One circle's rule counts and compatibility (1:1 pairs: the mentor–mentee pair)."""
    pairs = [(a, b) if a < b else (b, a) for i, a in enumerate(mem) for b in mem[i + 1 :]]
    never, recent = inst.never, inst.recent
    nv = sum(p in never for p in pairs)
    rep = sum(p in recent for p in pairs)
    if inst.pairwise_time and inst.min_hours > 0:
        hrs = sum(_short(inst, a, b) for a, b in pairs)
    else:
        hrs = 1 if inst.circle_time_penalty(mem) else 0
    near = 0
    if inst.kind == "near_peer":
        near = sum(not near_gap_ok(inst.experience[a], inst.experience[b]) for a, b in pairs)
    return Column(tuple(mem), head, nv, rep, hrs, near, sum(compat[a][b] for a, b in pairs))


def _short(inst: Instance, a: int, b: int) -> bool:
    ha, hb = inst.hours[a], inst.hours[b]
    return bool(ha and hb and (ha & hb).bit_count() < inst.min_hours)


def _highs():  # type: ignore[no-untyped-def]
    """A silent HiGHS instance (its first construction prints a banner on fd 1: hidden)."""
    import highspy

    global _banner_done
    with _banner_lock:
        if _banner_done:
            h = highspy.Highs()
        else:
            saved = os.dup(1)
            try:
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_done = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-7)
    h.setOptionValue("mip_max_nodes", _NODES)
    # Presolve looks for dominated and parallel columns among thousands of possible circles
    # and took ~90% of each solve (6.7 s of 7.3 s for 13 members in circles of 4-6); the
    # models have one row per member, so branch-and-bound on them directly is fast.
    h.setOptionValue("presolve", "off")
    return h


def max_placed(inst: Instance, lo: int, hi: int) -> int | None:
    """The most people the kind could ever place (None when capacities decide it)."""
    n = inst.n
    if inst.kind in ("pod", "mentor_pair"):
        return None
    if inst.kind in ("near_peer", "reverse", "skill_swap"):
        return n - n % 2
    for placed in range(n, -1, -1):
        if placed == 0 or any(k * lo <= placed <= k * hi for k in range(1, placed // lo + 1)):
            return placed
    return 0


def solve(
    inst: Instance,
    columns: Sequence[Column],
    capacity: dict[int, int],
    incumbent: Sequence[int],
    bounds: tuple[int, int],
) -> Solved | None:
    """Pick the best set of columns: each member at most once (mentors of 1:1 pairs up to
    their capacity), rules and waitlist first, then compatibility. `incumbent` (column indices,
    the search's circles) seeds the solver so it never returns worse. None if HiGHS fails."""
    import numpy as np

    n, star = inst.n, inst.kind == "mentor_pair"
    if not columns:  # no circle is possible without an opt-out: everybody waits
        return Solved([], True, 0.0)
    w_never, w_place, w_repeat, w_hours, w_near = tier_weights(n, bounds[1])
    mentors = sorted(capacity) if star else []
    ncol = len(columns)

    def placed_of(c: Column) -> int:
        return 1 if star else len(c.members)

    cost1 = [
        c.never * w_never + c.repeats * w_repeat + c.hours * w_hours + c.near * w_near
        - placed_of(c) * w_place
        for c in columns
    ] + [-w_place] * len(mentors)  # a 1:1 mentor with at least one mentee is placed too
    start = [0.0] * (ncol + len(mentors))
    for k in incumbent:
        start[k] = 1.0
    for j, m in enumerate(mentors):
        start[ncol + j] = 1.0 if any(columns[k].head == m for k in incumbent) else 0.0
    inc1 = sum(c * x for c, x in zip(cost1, start, strict=True))
    top = max_placed(inst, *bounds)
    # Stage 1, skipped when the search already reached the floor: nothing broken and as many
    # people placed as sizes allow.
    if incumbent and top is not None and inc1 == -top * w_place:
        best1, proven1, x1 = inc1, True, start
    elif top is not None and (quick := _clean_floor(columns, n, star, top, np)) is not None:
        x1, proven1 = quick, True  # circles breaking nothing already place everyone they can
        best1 = -top * w_place
        x1 = x1 + [0.0] * len(mentors)
    else:
        res = _lexicographic(columns, mentors, capacity, n, star, start, top, np)
        if res is None:
            return None
        x1, proven1 = res
        best1 = sum(c * round(x) for c, x in zip(cost1, x1, strict=True))
    placed = math.ceil(-best1 / w_place - 1e-9)
    clean = best1 == -placed * w_place  # the optimum breaks nothing
    keep = [k for k, c in enumerate(columns) if not clean or not (c.repeats or c.hours or c.near)]
    sub = [columns[k] for k in keep]
    where = {k: i for i, k in enumerate(keep)}
    start2 = [0.0] * (len(sub) + len(mentors))
    for k in range(ncol):
        if round(x1[k]) and k in where:
            start2[where[k]] = 1.0
    start2[len(sub):] = [round(v) for v in x1[ncol:]]
    cost2 = [-c.compat for c in sub] + [0.0] * len(mentors)
    # Hold each tier at its optimum with small integer rows (the weighted cost as one row
    # made the solver crawl): as many placed, no more repeats, hours or near-peer breaks.
    holds = [([placed_of(c) for c in sub] + [1] * len(mentors), float(placed), math.inf)]
    if not clean:
        rest = int(round(best1 + placed * w_place))
        repeats, rest = divmod(rest, w_repeat)
        hours, near = divmod(rest, w_hours)
        zeros = [0] * len(mentors)
        holds += [
            ([c.repeats for c in sub] + zeros, -math.inf, float(repeats)),
            ([c.hours for c in sub] + zeros, -math.inf, float(hours)),
            ([c.near for c in sub] + zeros, -math.inf, float(near)),
        ]
    res = _run(sub, mentors, capacity, n, star, cost2, start2, holds, np)
    if res is None:
        x2, proven2, bound = start2, False, None
    else:
        x2, proven2, bound = res
    chosen = [sub[i] for i in range(len(sub)) if x2[i] > 0.5]
    value = sum(c.compat for c in chosen)
    proven = proven1 and proven2
    gap: float | None = 0.0 if proven else None
    if not proven and proven1 and bound is not None and math.isfinite(-bound) and -bound > 0:
        gap = max(0.0, (-bound - value) / -bound)
    return Solved(chosen, proven, gap)


def _lexicographic(  # type: ignore[no-untyped-def]
    columns: Sequence[Column],
    mentors: Sequence[int],
    capacity: dict[int, int],
    n: int,
    star: bool,
    start: list[float],
    top: int | None,
    np,
) -> tuple[list[float], bool] | None:
    """Stage 1 tier by tier, each a small-integer MIP holding the tiers above it: most people
    placed, then fewest repeats, then fewest circles without shared hours, then fewest
    near-peer gaps. (One MIP with the tiers as weights is equivalent but crawls.)"""
    zeros = [0] * len(mentors)
    placed = [1 if star else len(c.members) for c in columns] + [1] * len(mentors)
    tiers = [
        ([-v for v in placed], placed),
        ([c.repeats for c in columns] + zeros, None),
        ([c.hours for c in columns] + zeros, None),
        ([c.near for c in columns] + zeros, None),
    ]
    holds: list[tuple[Sequence[float], float, float]] = []
    x, proven = start, True
    for cost, count in tiers:
        if count is not None and top is not None and sum(
            c * v for c, v in zip(count, start, strict=True)
        ) >= top:  # the search already places as many as sizes allow
            holds.append((count, float(top), math.inf))
            continue
        if not any(cost):
            holds.append((cost, -math.inf, 0.0))
            continue
        res = _run(columns, mentors, capacity, n, star, cost, x, holds, np)
        if res is None:
            return None
        x, ok, _ = res
        proven = proven and ok
        best = round(sum(c * round(v) for c, v in zip(cost, x, strict=True)))
        holds.append((cost, -math.inf, float(best)))
    return [float(round(v)) for v in x], proven


def _clean_floor(columns: Sequence[Column], n: int, star: bool, top: int, np) -> list[float] | None:  # type: ignore[no-untyped-def]
    """A choice of rule-keeping circles placing `top` people, if one exists (cheap: only the
    columns that break nothing take part)."""
    if star:
        return None
    keep = [k for k, c in enumerate(columns) if not (c.never or c.repeats or c.hours or c.near)]
    sub = [columns[k] for k in keep]
    sizes = [float(len(c.members)) for c in sub]
    res = _run(sub, [], {}, n, False, [-v for v in sizes], [0.0] * len(sub), [(sizes, top, math.inf)], np)
    if res is None:
        return None
    x = [0.0] * len(columns)
    for i, k in enumerate(keep):
        x[k] = float(round(res[0][i]))
    return x


def _run(  # type: ignore[no-untyped-def]
    columns: Sequence[Column],
    mentors: Sequence[int],
    capacity: dict[int, int],
    n: int,
    star: bool,
    cost: Sequence[float],
    start: Sequence[float],
    holds: Sequence[tuple[Sequence[float], float, float]],
    np,
) -> tuple[list[float], bool, float | None] | None:
    """One MIP: minimise `cost` over the columns, each member at most once (1:1 mentors up to
    capacity), holding each of `holds` = (coefficients, lower, upper). Returns the solution,
    whether it is proven optimal, and the dual bound."""
    import highspy

    ncol = len(columns)
    nvar = ncol + len(mentors)
    rows: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    lower, upper = [-math.inf] * n, [1.0] * n
    for k, c in enumerate(columns):
        for x in c.members:
            if not (star and x == c.head):
                rows[x].append((k, 1.0))
    for j, m in enumerate(mentors):
        mine = [k for k, c in enumerate(columns) if c.head == m]
        rows[m] = [(k, 1.0) for k in mine] + [(ncol + j, -1.0)]  # placed <= pairs
        lower[m], upper[m] = 0.0, math.inf
        rows.append([(k, 1.0) for k in mine])  # pairs <= capacity
        lower.append(-math.inf)
        upper.append(float(capacity[m]))
    for coef, lo, hi in holds:
        rows.append([(k, float(v)) for k, v in enumerate(coef) if v])
        lower.append(lo)
        upper.append(hi)
    starts, index, value = [0], [], []
    for r in rows:
        for k, v in r:
            index.append(k)
            value.append(v)
        starts.append(len(index))
    lp = highspy.HighsLp()
    lp.num_col_ = nvar
    lp.num_row_ = len(rows)
    lp.col_cost_ = np.array(cost, dtype=float)
    lp.col_lower_ = np.zeros(nvar)
    lp.col_upper_ = np.ones(nvar)
    lp.row_lower_ = np.array(lower, dtype=float)
    lp.row_upper_ = np.array(upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * nvar
    lp.sense_ = highspy.ObjSense.kMinimize
    h = _highs()
    h.passModel(lp)
    if any(start):
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        h.setSolution(sol)
    h.run()
    if int(h.getInfo().primal_solution_status) != 2:
        return None
    proven = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return list(h.getSolution().col_value), proven, float(h.getInfo().mip_dual_bound)
