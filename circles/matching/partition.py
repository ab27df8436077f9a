"""The state the search works on: who is in which group, with incremental scores.

`Partition` keeps every member's summed score within their group (`own`) and each circle's
shared-time penalty current, so the change of a move or a swap costs a few lookups instead of
rescoring circles. The local search (`search.LocalSearch`) builds on it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from circles.matching.neighbours import SMALL
from circles.matching.penalties import P_PLACE, WEEK, shared_hours, time_penalty
from circles.matching.scoring import Instance

MoveLog = list[tuple[int, int, int, float]]  # (0 move / 1 swap, member, group or partner, delta)


class Partition:
    """Circles as index lists with delta evaluation of moves and swaps.

    Group ``bench`` holds the waitlist; placing somebody earns P_PLACE, so the search only leaves
    people out when sizes or capacities force it (or the only option is an explicit opt-out).
    In star mode (1:1 mentoring) a group is a mentor with their mentees and only mentor–mentee
    pairs count.
    """

    def __init__(self, inst: Instance, rng: random.Random, star: bool = False) -> None:
        self.inst = inst
        self.rng = rng
        self.star = star
        n = inst.n
        self.score = inst.score
        self.members: list[list[int]] = []
        self.min_size: list[int] = []
        self.max_size: list[int] = []
        self.head: list[int] = []  # locked mentor of the group or -1
        self.group_of = [-1] * n
        self.slot = [0] * n
        self.own = [0.0] * n
        self.locked = [False] * n
        self.time_pen: list[float] = []
        # Shared-time bookkeeping, kept current by refresh(): AND of the availability of each
        # member's circle-mates (and how many of them gave any), and of each whole circle.
        self.mates_mask = [WEEK] * n
        self.mates_count = [0] * n
        self.circle_mask: list[int] = []
        self.circle_count: list[int] = []
        self.circle_time = inst.min_hours > 0 and not inst.pairwise_time
        self.near: dict[int, list[int]] = {}
        self.work = 0
        self.limit = 0
        self.bench = -1
        self.objective = 0.0
        self.log: MoveLog | None = None
        # Pods: every mentor who could lead one, their circle bound and promising mentees.
        self.spare: list[int] = []
        self.spare_max: dict[int, int] = {}
        self.spare_near: dict[int, list[int]] = {}
        # Small instances and 1:1 mentoring look at every member of a neighbouring group.
        self.whole = star or n <= SMALL
        # Small instances keep every pair score in memory; the local search then only adds.
        self.matrix: list[list[float]] | None = None
        if n <= SMALL:
            score = inst.score
            m = self.matrix = [[0.0] * n for _ in range(n)]
            for i in range(n):  # scores are symmetric: each pair once
                row = m[i]
                for j in range(i + 1, n):
                    row[j] = m[j][i] = score(i, j)
            self.score = lambda i, j, m=self.matrix: m[i][j]

    # -- structure
    def add_group(self, lo: int, hi: int, head: int = -1) -> int:
        g = len(self.members)
        self.members.append([])
        self.min_size.append(lo)
        self.max_size.append(hi)
        self.head.append(head)
        self.time_pen.append(0.0)
        self.circle_mask.append(WEEK)
        self.circle_count.append(0)
        if head >= 0:
            self.locked[head] = True
            self._put(head, g)
        return g

    def open_bench(self) -> None:
        """Everyone not yet in a group starts on the bench; construction places them."""
        self.bench = self.add_group(0, 1 << 60)
        for x in range(self.inst.n):
            if self.group_of[x] < 0:
                self._put(x, self.bench)

    def _put(self, x: int, g: int) -> None:
        lst = self.members[g]
        self.group_of[x] = g
        self.slot[x] = len(lst)
        lst.append(x)

    def _take(self, x: int) -> None:
        g = self.group_of[x]
        lst = self.members[g]
        p = self.slot[x]
        last = lst.pop()
        if last != x:
            lst[p] = last
            self.slot[last] = p

    def place(self, x: int, g: int) -> None:
        """Construction-time move (no scoring)."""
        self._take(x)
        self._put(x, g)

    # -- evaluation
    def linked(self, x: int, g: int, excl: int) -> float:
        """x's summed score with the members of group g, leaving out `excl` (-1: nobody)."""
        if g == self.bench:
            return 0.0
        if self.star:
            return self.score(x, self.head[g])
        mem = self.members[g]
        if self.matrix is not None:
            row = self.matrix[x]
            self.work += 1
            return sum(map(row.__getitem__, mem)) - (row[excl] if excl >= 0 else 0.0)
        score = self.score
        s = 0.0
        self.work += len(mem)
        for b in mem:
            if b != x and b != excl:
                s += score(x, b)
        return s

    def time_pen_with(self, g: int, out: int, inn: int) -> float:
        """Shared-time penalty of circle g without `out` and with `inn` (-1: nobody)."""
        if not self.circle_time or g == self.bench:
            return 0.0
        hours = self.inst.hours
        mask, count = shared_hours(hours, [b for b in self.members[g] if b != out])
        if inn >= 0:
            mask, count = shared_hours(hours, (inn,), mask, count)
        return time_penalty(mask, count, self.inst.min_hours)

    def refresh(self, g: int) -> None:
        """Recompute each member's `own` score within group g and g's shared-time penalty."""
        mem = self.members[g]
        if g == self.bench:
            for x in mem:
                self.own[x] = 0.0
            return
        score, own = self.score, self.own
        if self.star:
            h = self.head[g]
            tot = 0.0
            for x in mem:
                if x != h:
                    own[x] = v = score(x, h)
                    tot += v
            own[h] = tot
        else:
            for x in mem:
                own[x] = 0.0
            for i in range(len(mem)):
                a = mem[i]
                for j in range(i + 1, len(mem)):
                    b = mem[j]
                    v = score(a, b)
                    own[a] += v
                    own[b] += v
            self.work += len(mem) * len(mem) // 2
        if self.circle_time:
            self._refresh_masks(g)
        else:
            self.time_pen[g] = self.time_pen_with(g, -1, -1)

    def _refresh_masks(self, g: int) -> None:
        """Recompute circle g's shared hours and, per member, those of their circle-mates.

        Prefix/suffix ANDs give every member's "rest of the circle" in one pass, so the
        penalty after a swap is one AND away (`time_pen_out`).
        """
        hours, mem = self.inst.hours, self.members[g]
        k = len(mem)
        suf = [WEEK] * (k + 1)
        for i in range(k - 1, -1, -1):
            suf[i] = suf[i + 1] & (hours[mem[i]] or WEEK)
        cnt = sum(1 for x in mem if hours[x])
        pre = WEEK
        rm, rc = self.mates_mask, self.mates_count
        for i, x in enumerate(mem):
            rm[x] = pre & suf[i + 1]
            rc[x] = cnt - (1 if hours[x] else 0)
            pre &= hours[x] or WEEK
        self.circle_mask[g], self.circle_count[g] = suf[0], cnt
        self.time_pen[g] = time_penalty(suf[0], cnt, self.inst.min_hours)

    def time_pen_out(self, out: int, inn: int) -> float:
        """Shared-time penalty of out's circle once `inn` (or nobody, -1) takes out's place."""
        mask, count = self.mates_mask[out], self.mates_count[out]
        if inn >= 0:
            a = self.inst.hours[inn]
            if a:  # inlined shared_hours for one member: this runs for every candidate move
                mask &= a
                count += 1
        return time_penalty(mask, count, self.inst.min_hours)

    def time_pen_in(self, g: int, inn: int) -> float:
        """Shared-time penalty of circle g once `inn` joins it."""
        mask, count = self.circle_mask[g], self.circle_count[g]
        a = self.inst.hours[inn]
        if a:  # inlined shared_hours for one member, as in time_pen_out
            mask &= a
            count += 1
        return time_penalty(mask, count, self.inst.min_hours)

    def total(self) -> float:
        """The objective from scratch: placements, scores inside circles, time penalties."""
        s = 0.0
        for g, mem in enumerate(self.members):
            if g == self.bench:
                continue
            s += P_PLACE * len(mem) - self.time_pen[g]
            if self.star:
                s += self.own[self.head[g]]
            else:
                s += sum(self.own[x] for x in mem) / 2
        return s

    def rebuild(self, group_of: Sequence[int]) -> None:
        """Put everyone into the given groups and recompute every score."""
        for mem in self.members:
            mem.clear()
        for x in range(self.inst.n):
            self._put(x, group_of[x])
        for g in range(len(self.members)):
            self.refresh(g)
        self.objective = self.total()

    def swap_delta(self, x: int, y: int, sums: dict[int, float] | None = None) -> float:
        """Objective change if x and y trade groups; `sums` caches x's linked sum per group."""
        ga, gb = self.group_of[x], self.group_of[y]
        own = self.own
        d = 0.0
        if self.bench != ga:
            d += self.linked(y, ga, x) - own[x]
            if self.circle_time:
                d += self.time_pen[ga] - self.time_pen_out(x, y)
        if self.bench != gb:
            if sums is not None and not self.star:
                sb = sums.get(gb)
                if sb is None:
                    sums[gb] = sb = self.linked(x, gb, -1)
                d += sb - self.score(x, y) - own[y]
            else:
                d += self.linked(x, gb, y) - own[y]
            if self.circle_time:
                d += self.time_pen[gb] - self.time_pen_out(y, x)
        return d

    def move_ok(self, x: int, gb: int) -> bool:
        """Whether x may move to gb without breaking either group's size bounds."""
        ga = self.group_of[x]
        return (self.bench == ga or len(self.members[ga]) > self.min_size[ga]) and (
            self.bench == gb or len(self.members[gb]) < self.max_size[gb]
        )

    def move_delta(self, x: int, gb: int, sums: dict[int, float] | None = None) -> float:
        """Objective change if x moves to group gb."""
        ga = self.group_of[x]
        d = 0.0
        if self.bench != ga:
            d -= self.own[x]
            if self.circle_time:
                d += self.time_pen[ga] - self.time_pen_out(x, -1)
        else:
            d += P_PLACE
        if self.bench != gb:
            if sums is not None and not self.star:
                sb = sums.get(gb)
                if sb is None:
                    sums[gb] = sb = self.linked(x, gb, -1)
                d += sb
            else:
                d += self.linked(x, gb, -1)
            if self.circle_time:
                d += self.time_pen[gb] - self.time_pen_in(gb, x)
        else:
            d -= P_PLACE
        return d

    def do_swap(self, x: int, y: int, d: float) -> tuple[int, int]:
        ga, gb = self.group_of[x], self.group_of[y]
        px, py = self.slot[x], self.slot[y]
        self.members[ga][px] = y
        self.members[gb][py] = x
        self.group_of[x], self.group_of[y] = gb, ga
        self.slot[x], self.slot[y] = py, px
        self.refresh(ga)
        self.refresh(gb)
        self.objective += d
        if self.log is not None:
            self.log.append((1, x, y, d))
        return ga, gb

    def do_move(self, x: int, gb: int, d: float) -> tuple[int, int]:
        ga = self.group_of[x]
        self._take(x)
        self._put(x, gb)
        self.refresh(ga)
        self.refresh(gb)
        self.objective += d
        if self.log is not None:
            self.log.append((0, x, ga, d))
        return ga, gb

    def undo(self, log: MoveLog) -> None:
        """Replay a move log backwards (a kick that did not pay off)."""
        self.log = None
        for op, x, t, d in reversed(log):
            if op:
                self.do_swap(x, t, -d)
            else:
                self.do_move(x, t, -d)
