"""Prove the round: compare the search's circles with the exact solve, keep the better, and
say how far from the best possible the kept circles can be.

The comparison is the matcher's priority order as a tuple (`Profile.key`), so no weight can
let compatibility outrank a rule or a waitlisted person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from circles.matching.exact import (
    EXACT_N,
    Column,
    Solved,
    column_cap,
    column_count,
    compat_matrix,
    enumerate_columns,
    evaluate,
    solve,
)
from circles.matching.partition import Partition
from circles.matching.scoring import Instance
from circles.matching.subsets import SUBSET_N, solve_subsets
from circles.matching.types import Optimality


@dataclass(frozen=True)
class Profile:
    """What a round costs, tier by tier, in the priority order."""

    never: int
    waitlisted: int
    repeats: int
    hours: int
    near: int
    compat: float

    def key(self) -> tuple[float, ...]:
        """Smaller is better: never-with, waitlist, repeats, shared hours, near-peer gap, then
        compatibility (negated; rounded so float noise never outranks a tie)."""
        return (self.never, self.waitlisted, self.repeats, self.hours, self.near,
                -round(self.compat, 6))  # fmt: skip


def profile(n: int, columns: Sequence[Column], star: bool) -> Profile:
    """The profile of a round made of these circles (everybody else waits)."""
    placed: set[int] = set()
    for c in columns:
        placed.update(c.members)
    return Profile(
        sum(c.never for c in columns),
        n - len(placed),
        sum(c.repeats for c in columns),
        sum(c.hours for c in columns),
        sum(c.near for c in columns),
        sum(c.compat for c in columns),
    )


@dataclass
class Chosen:
    """Circles picked by the solver, shaped like the search's state for `build_result`."""

    members: list[list[int]]
    head: list[int]
    max_size: list[int]
    bench: int
    star: bool
    group_of: list[int] = field(default_factory=list)


def search_columns(s: Partition, compat: list[list[float]]) -> list[Column]:
    """The search's circles as columns (1:1 mentoring: one per mentor–mentee pair)."""
    return _columns(s.inst, s.members, s.head, s.bench, s.star, compat)


def _columns(inst: Instance, members: Sequence[Sequence[int]], head: Sequence[int], bench: int, star: bool,
             compat: list[list[float]]) -> list[Column]:
    out = []
    for g, mem in enumerate(members):
        if g == bench or not mem:
            continue
        h = head[g]
        if star:
            out.extend(evaluate(inst, (h, e), h, compat) for e in sorted(mem) if e != h)
        elif h >= 0:
            out.append(evaluate(inst, (h, *sorted(x for x in mem if x != h)), h, compat))
        else:
            out.append(evaluate(inst, tuple(sorted(mem)), -1, compat))
    return out


def keep_better(s: Partition, chosen: Chosen | None) -> Chosen | None:
    """After the search had its full budget: the solver's circles only while they are still
    better than the search's (an unproven solve is not repeated: it would redo the same
    node-limited work from a different start)."""
    if chosen is None:
        return None
    inst = s.inst
    compat = compat_matrix(inst)
    ours = profile(inst.n, search_columns(s, compat), s.star)
    theirs = profile(inst.n, _columns(inst, chosen.members, chosen.head, chosen.bench, chosen.star, compat),
                     chosen.star)
    return None if ours.key() <= theirs.key() else chosen


def exact_inputs(s: Partition, lo: int, hi: int) -> tuple[list[int], list[int]] | None:
    """Mentors and mentees for the exact solve, or None when the round is too big for it."""
    inst = s.inst
    n, kind = inst.n, inst.kind
    if n > EXACT_N:
        return None
    mentees = [x for x in range(n) if not inst.is_mentor[x]]
    if kind == "pod":
        mentors = list(s.spare)
    elif kind == "mentor_pair":
        mentors = sorted(x for x in range(n) if inst.is_mentor[x] and inst.candidates[x].capacity > 0)
    else:
        mentors, mentees = [], []
    if column_count(inst, lo, hi, mentors, mentees) > column_cap(kind):
        return None
    return mentors, mentees


def prove(s: Partition, lo: int, hi: int) -> tuple[Chosen | None, Optimality]:
    """Solve exactly when the round is small enough; returns the solver's circles when they
    beat the search's (None: keep the search's) and what is known about optimality."""
    inst = s.inst
    n, kind = inst.n, inst.kind
    star = kind == "mentor_pair"
    if n == 0:
        return None, Optimality(True, 0.0)
    inputs = exact_inputs(s, lo, hi)
    if inputs is None:
        return None, Optimality(False, None)
    mentors, mentees = inputs
    compat = compat_matrix(inst)
    columns = enumerate_columns(inst, lo, hi, mentors, mentees)
    index = {(c.head, c.members): k for k, c in enumerate(columns)}
    mine = search_columns(s, compat)
    incumbent = [index[(c.head, c.members)] for c in mine if (c.head, c.members) in index]
    if len(incumbent) != len(mine):
        incumbent = []
    capacity = {m: inst.candidates[m].capacity for m in mentors} if star else {}
    if kind != "pod" and not star and n <= SUBSET_N:
        solved: Solved | None = solve_subsets(n, columns, hi)  # exact and always proven
    else:
        solved = solve(inst, columns, capacity, incumbent, (lo, hi))
    if solved is None:
        return None, Optimality(False, None)
    theirs = profile(n, solved.columns, star)
    ours = profile(n, mine, star)
    if ours.key() <= theirs.key():  # the search already found circles as good
        gap = solved.gap if not solved.proven else 0.0
        if gap is not None and not solved.proven and theirs.compat > 0:
            gap = max(0.0, 1 - ours.compat / (theirs.compat / (1 - gap)))
        return None, Optimality(solved.proven, gap)
    return _chosen(s, solved.columns, star, mentors), Optimality(solved.proven, solved.gap)


def _chosen(s: Partition, columns: Sequence[Column], star: bool, mentors: Sequence[int]) -> Chosen:
    """The solver's circles as groups; everybody else on the bench."""
    n = s.inst.n
    members: list[list[int]] = []
    head: list[int] = []
    max_size: list[int] = []
    cands = s.inst.candidates
    if star:  # every mentor keeps a group, alone when no mentee was left (as in the search)
        by_mentor = {m: [m] for m in mentors}
        for c in columns:
            by_mentor[c.head].append(c.members[1])
        for m in mentors:
            members.append(by_mentor[m])
            head.append(m)
            max_size.append(1 + cands[m].capacity)
    else:
        for c in columns:
            members.append(list(c.members))
            head.append(c.head)
            max_size.append(s.spare_max.get(c.head, len(c.members)))
    placed = {x for mem in members for x in mem}
    members.append([x for x in range(n) if x not in placed])
    head.append(-1)
    max_size.append(1 << 60)
    bench = len(members) - 1
    group_of = [bench] * n
    for g, mem in enumerate(members):
        for x in mem:
            group_of[x] = g
    return Chosen(members, head, max_size, bench, star, group_of)
