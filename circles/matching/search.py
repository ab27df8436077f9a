"""Local search over a constructed partition: descent, kicks, restarts, mentor swaps.

Small instances (at most `SMALL` members) keep every pair score in a matrix and are climbed
from several starts (the greedy one, random shuffles, exact-cover starts while the best circles
still break a rule); large ones get one descent with kicks over neighbour lists.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from circles.matching.construct import cover_start
from circles.matching.partition import MoveLog, Partition
from circles.matching.penalties import EPS, P_PLACE
from circles.matching.repair import breaks_rule, repair

# Work units (pairwise evaluations) per second of time_budget_s; keeps runs reproducible.
_WORK_PER_S = 1_500_000
_RESTARTS = 8  # seeded starts on small instances (each climbed, the best kept)
_STALL_SMALL = 150  # kicks without improvement before a small instance's start is done
_COVER_N = 64  # up to this many members, restarts may come from an exact-cover search
_COVER_NODES = 200_000  # search nodes per exact-cover start
_HITS = 3  # a small instance is done once its best circles are reached from this many starts


class LocalSearch(Partition):
    """Move/swap local search with iterated kicks on top of the incremental `Partition`.

    Group ``bench`` holds the waitlist; placing somebody earns P_PLACE, so the search only leaves
    people out when sizes or capacities force it (or the only option is an explicit opt-out).
    """

    def improve_member(self, x: int) -> tuple[int, int] | None:
        """Apply x's best improving move or swap among its neighbours' groups, if any.

        Returns the two groups touched, or None when x is at a local optimum.
        """
        ga = self.group_of[x]
        best = EPS
        op: tuple[int, int] | None = None  # (kind 0 move/1 swap, target)
        seen_groups = {ga}
        sums: dict[int, float] = {}  # x's linked sum into each neighbouring group
        whole = self.whole
        locked = self.locked
        for y in self.near.get(x, ()):
            gb = self.group_of[y]
            if gb == ga:
                continue
            if gb not in seen_groups:
                seen_groups.add(gb)
                if self.move_ok(x, gb):
                    d = self.move_delta(x, gb, sums)
                    if d > best:
                        best, op = d, (0, gb)
                if whole:
                    for z in self.members[gb]:
                        if not locked[z]:
                            d = self.swap_delta(x, z)
                            if d > best:
                                best, op = d, (1, z)
                    continue
            if not whole and not locked[y]:
                d = self.swap_delta(x, y, sums)
                if d > best:
                    best, op = d, (1, y)
        if op is None:
            return None
        if op[0] == 0:
            return self.do_move(x, op[1], best)
        return self.do_swap(x, op[1], best)

    def out_of_budget(self) -> bool:
        """Work units are the only budget: the same input gives the same circles however busy
        the machine is (a wall-clock stop made results depend on load)."""
        return self.work > self.limit

    def descend(self, start: Sequence[int]) -> bool:
        """First-improvement descent driven by a queue of members whose circle changed."""
        queue = deque(x for x in start if not self.locked[x])
        inq = [False] * self.inst.n
        for x in queue:
            inq[x] = True
        improved = False
        steps = 0
        while queue:
            steps += 1
            if steps & 63 == 0 and self.out_of_budget():
                break
            x = queue.popleft()
            inq[x] = False
            res = self.improve_member(x)
            if res is None:
                continue
            improved = True
            for g in res:
                if g == self.bench:
                    continue
                for z in self.members[g]:
                    if not inq[z] and not self.locked[z]:
                        inq[z] = True
                        queue.append(z)
            if not inq[x]:
                inq[x] = True
                queue.append(x)
        return improved

    def run(self, budget_s: float) -> None:
        """Improve the constructed groups within the budget (0: keep the construction)."""
        if budget_s <= 0:  # construction only (the benchmark's greedy baseline)
            return
        n = self.inst.n
        # A floor of work for small budgets, except for the shares of a chunked round.
        self.limit = int(budget_s * _WORK_PER_S) + (20_000 if budget_s >= 0.05 else 0)
        self.objective = self.total()
        movable = [x for x in range(n) if not self.locked[x]]
        if len(movable) < 2 and not self.spare:
            return
        if self.matrix is None:
            self.climb(movable, max(30, min(3 * len(movable), 300)))
            return
        # Small instances: several seeded starts (the greedy one first), each climbed to a local
        # optimum with repairs and kicks; the best is kept. Stops early once the best has been
        # reached from three different starts, which on easy instances happens at once.
        best = (self.objective, list(self.group_of), list(self.head), list(self.max_size),
                list(self.min_size))
        hits = 0
        # While the best circles still break a rule, restarts start from an exact-cover search
        # for circles that break none: the rules can make such partitions rare and far apart.
        broken, cover = False, n <= _COVER_N
        for r in range(_RESTARTS):
            if r:
                start = cover_start(self, _COVER_NODES) if broken and cover else None
                if start is None:
                    cover = cover and not broken
                    self.shuffle_start(movable)
                else:
                    self.rebuild(start)
            self.climb(movable, _STALL_SMALL)
            if self.objective > best[0] + EPS:
                best = (self.objective, list(self.group_of), list(self.head), list(self.max_size),
                        list(self.min_size))
                broken = any(breaks_rule(self, g) for g in range(len(self.members)))
                hits = 1
            elif self.objective > best[0] - EPS:
                hits += 1
            if hits >= _HITS or self.out_of_budget():
                break
        self.head, self.max_size, self.min_size = best[2], best[3], best[4]
        self.rebuild(best[1])
        while not self.out_of_budget() and self.descend(movable):
            pass

    def climb(self, movable: list[int], stall_limit: int) -> None:
        """Descent, mentor swaps and rule repairs to a local optimum, then iterated kicks."""
        while not self.out_of_budget():
            order = movable[:]
            self.rng.shuffle(order)
            improved = self.descend(order)
            improved = self.swap_mentors() or improved
            improved = repair(self) or improved
            if not improved:
                break
        if len(movable) >= 2:
            self.perturb(movable, stall_limit)
        while not self.out_of_budget() and (self.swap_mentors() or repair(self)):
            pass

    def shuffle_start(self, movable: list[int]) -> None:
        """A random start: the movable members trade places at random, sizes stay as they are."""
        slots = [self.group_of[x] for x in movable]
        self.rng.shuffle(slots)
        assignment = list(self.group_of)
        for x, g in zip(movable, slots, strict=True):
            assignment[x] = g
        self.rebuild(assignment)

    def perturb(self, movable: list[int], stall_limit: int) -> None:
        """Iterated local search: small random kicks, keep the best; stops when kicks stall."""
        rng = self.rng
        best = self.objective
        stall = 0
        placed = movable
        while stall < stall_limit and not self.out_of_budget():
            log: MoveLog = []
            self.log = log
            touched: list[int] = []
            for _ in range(rng.choice((1, 2, 2, 3))):
                x = placed[rng.randrange(len(placed))]
                y = placed[rng.randrange(len(placed))]
                if self.group_of[x] == self.group_of[y]:
                    continue
                d = self.swap_delta(x, y)
                for g in self.do_swap(x, y, d):
                    touched.extend(self.members[g])
            self.descend(touched)
            self.log = None
            if self.objective > best + EPS:
                best = self.objective
                stall = 0
            else:
                stall += 1
                if self.objective < best - EPS:
                    self.undo(log)

    def swap_mentors(self) -> bool:
        """Replace a pod's mentor by an unused one when that scores better and capacity allows."""
        if not self.spare:
            return False
        improved = False
        circle_time = self.circle_time
        # Mentees waiting on the bench: a mentor with more room places some of them, and
        # placing a person outranks compatibility, so a swap counts them (the old comparison
        # of compatibility alone kept a waitlisted mentee out while mentors with room sat out).
        waiting = sum(1 for x in self.members[self.bench] if not self.locked[x])
        for u in self.spare:
            if self.group_of[u] != self.bench or self.out_of_budget():
                continue
            cap = self.spare_max[u]
            best, bg = EPS, -1
            seen: set[int] = set()
            for e in self.spare_near.get(u, ()):
                g = self.group_of[e]
                if g in seen or g == self.bench or self.head[g] < 0:
                    continue
                seen.add(g)
                h = self.head[g]
                if len(self.members[g]) > cap:
                    continue
                d = self.linked(u, g, h) - self.own[h]
                if waiting and cap > self.max_size[g]:
                    d += P_PLACE * min(waiting, cap - self.max_size[g])
                if circle_time:
                    d += self.time_pen[g] - self.time_pen_out(h, u)
                if d > best:
                    best, bg = d, g
            if bg >= 0 and self._take_over(u, bg, cap):
                improved = True
                waiting = sum(1 for x in self.members[self.bench] if not self.locked[x])
        return improved

    def _take_over(self, u: int, g: int, cap: int) -> bool:
        """Mentor u leads pod g instead of its mentor, then waiting mentees fill the new room;
        undone unless the objective rose."""
        h = self.head[g]
        old_max, before = self.max_size[g], self.objective
        log: MoveLog = []
        self.log = log
        self.do_swap(h, u, self.swap_delta(h, u))
        self.head[g], self.max_size[g] = u, cap
        waiting = [x for x in self.members[self.bench] if not self.locked[x]]
        waiting.sort(key=lambda x: -self.linked(x, g, -1))
        for x in waiting:
            if len(self.members[g]) >= self.max_size[g]:
                break
            d = self.move_delta(x, g)
            if d > EPS:
                self.do_move(x, g, d)
        self.log = None
        if self.objective > before + EPS:
            return True
        self.undo(log)
        self.head[g], self.max_size[g] = h, old_max
        return False
