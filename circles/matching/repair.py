"""Targeted repair of circles that break a rule (small instances only).

Single moves and swaps cannot fix a circle when the only way out costs something first (say,
two people with no shared hours must both leave); the compound moves here can: exact 3-cycles
and 2-for-2 exchanges through every circle that breaks a rule, best first. When none helps,
the circle itself may be the problem: a round starts with as many circles as the minimum size
allows, and sometimes only fewer, bigger circles keep every rule (22 people in two time zones,
circles of 4-6: 5 + 6 in each zone), so a breaking circle is dissolved into circles with room.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from circles.matching.partition import MoveLog, Partition
from circles.matching.penalties import EPS, shared_hours, time_penalty
from circles.matching.scoring import Instance

if TYPE_CHECKING:
    from circles.matching.search import LocalSearch


def breaks_rule(state: Partition, g: int) -> bool:
    """Whether circle g breaks a rule (1:1 mentoring is never repaired this way)."""
    if g == state.bench or state.star:
        return False
    if state.time_pen[g] > 0:
        return True
    penalty = state.inst.pair_penalty
    mem = state.members[g]
    return any(penalty(a, b) for i, a in enumerate(mem) for b in mem[i + 1 :])


def repair(search: LocalSearch) -> bool:
    """Apply the best compound move through a rule-breaking circle until none improves."""
    if search.matrix is None or search.star:
        return False
    improved = False
    while not search.out_of_budget():
        bad = [g for g in range(len(search.members)) if breaks_rule(search, g)]
        if not bad:
            break
        move = _best_compound(search, bad)
        if move is None:
            if dissolve(search, bad):
                improved = True
                continue
            break
        touched: list[int] = []
        for x, y in move:
            for g in search.do_swap(x, y, search.swap_delta(x, y)):
                touched.extend(search.members[g])
        search.descend(touched)
        improved = True
    return improved


def _time_pen_after_trade(
    inst: Instance, mem: Sequence[int], out: tuple[int, int], inn: tuple[int, int]
) -> float:
    """Shared-time penalty of circle `mem` once the two `inn` replace the two `out`."""
    hours = inst.hours
    mask, count = shared_hours(hours, [b for b in mem if b != out[0] and b != out[1]])
    mask, count = shared_hours(hours, inn, mask, count)
    return time_penalty(mask, count, inst.min_hours)


def _best_compound(state: Partition, bad: list[int]) -> list[tuple[int, int]] | None:
    """The best improving 2-for-2 exchange or 3-cycle through a bad circle, as swaps to apply."""
    m = state.matrix
    assert m is not None
    inst = state.inst
    locked, own, members = state.locked, state.own, state.members
    groups = [g for g in range(len(members)) if g != state.bench and members[g]]
    # linked[g][x]: x's summed score with every member of circle g
    linked = {g: [sum(map(row.__getitem__, members[g])) for row in m] for g in groups}
    state.work += len(groups) * inst.n
    av = state.circle_time
    pen_out = state.time_pen_out  # circle penalty after `inn` replaces `out`
    best = EPS
    move: list[tuple[int, int]] | None = None
    time_pen = state.time_pen
    work = 0
    for ga in bad:
        ma = [x for x in members[ga] if not locked[x]]
        la = linked[ga]
        for gb in groups:
            if gb == ga:
                continue
            mb = [y for y in members[gb] if not locked[y]]
            lb = linked[gb]
            # 2-for-2: {x1, x2} of ga trade places with {y1, y2} of gb
            for i, x1 in enumerate(ma):
                for x2 in ma[i + 1 :]:
                    for j, y1 in enumerate(mb):
                        for y2 in mb[j + 1 :]:
                            work += 1
                            d = (
                                la[y1] - m[y1][x1] - m[y1][x2]
                                + la[y2] - m[y2][x1] - m[y2][x2]
                                + lb[x1] - m[x1][y1] - m[x1][y2]
                                + lb[x2] - m[x2][y1] - m[x2][y2]
                                + 2 * m[y1][y2] + 2 * m[x1][x2]
                                - own[x1] - own[x2] - own[y1] - own[y2]
                            )  # fmt: skip
                            if av and d + time_pen[ga] + time_pen[gb] > best:
                                d += time_pen[ga] + time_pen[gb]
                                d -= _time_pen_after_trade(inst, members[ga], (x1, x2), (y1, y2))
                                d -= _time_pen_after_trade(inst, members[gb], (y1, y2), (x1, x2))
                            if d > best:
                                best, move = d, [(x1, y1), (x2, y2)]
            # 3-cycles: x of ga -> gb, y of gb -> gc, z of gc -> ga
            for x in ma:
                for y in mb:
                    dxy = lb[x] - m[x][y] - own[y]
                    if av:
                        dxy += time_pen[gb] - pen_out(y, x)
                    for gc in groups:
                        if gc in (ga, gb):
                            continue
                        lc = linked[gc]
                        base = dxy + lc[y] - own[x]
                        if av:
                            base += time_pen[gc] + time_pen[ga]
                        for z in members[gc]:
                            if locked[z]:
                                continue
                            work += 1
                            d = base + la[z] - m[z][x] - m[y][z] - own[z]
                            if av and d > best:
                                d -= pen_out(z, y) + pen_out(x, z)
                            if d > best:
                                best, move = d, [(x, y), (y, z)]
    state.work += work
    return move


def dissolve(state: Partition, bad: Sequence[int]) -> bool:
    """Spread the members of one rule-breaking circle over other circles with room, each where
    they fit best (the most constrained first); kept only when the round improves, and the
    emptied circle is then closed for good (its bounds 0), so no move can refill it below the
    minimum size."""
    for g in bad:
        mem = state.members[g]
        if state.head[g] >= 0 or any(state.locked[x] for x in mem):
            continue
        room = sum(state.max_size[h] - len(state.members[h]) for h in range(len(state.members))
                   if h not in (g, state.bench))
        if room < len(mem):
            continue
        hours = state.inst.hours
        order = sorted(mem, key=lambda x: (hours[x].bit_count() if hours[x] else 999, x))
        before, old_min = state.objective, state.min_size[g]
        state.min_size[g] = 0
        log: MoveLog = []
        state.log = log
        for x in order:
            best, target = -float("inf"), -1
            for h in range(len(state.members)):
                if h in (g, state.bench) or len(state.members[h]) >= state.max_size[h]:
                    continue
                d = state.move_delta(x, h)
                state.work += len(state.members[h])
                if d > best:
                    best, target = d, h
            if target < 0:
                break
            state.do_move(x, target, best)
        state.log = None
        if not state.members[g] and state.objective > before + EPS:
            state.max_size[g] = 0
            return True
        state.undo(log)
        state.min_size[g] = old_min
    return False
