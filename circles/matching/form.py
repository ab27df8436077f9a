"""`form_circles`: one round's circles, from candidates to a `MatchResult`.

Each circle kind sets up its groups and neighbour lists and builds a greedy start; the local
search then improves it within the budget and `results` turns the groups into `Group`s.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping, Sequence

from circles.matching.chunked import CHUNKED_KINDS, form_chunked
from circles.matching.construct import greedy_fill, greedy_pairs, greedy_star
from circles.matching.neighbours import SMALL, neighbours
from circles.matching.optimal import Chosen, exact_inputs, keep_better, prove
from circles.matching.results import build_result
from circles.matching.scoring import Instance
from circles.matching.search import LocalSearch
from circles.matching.types import PAIR_KINDS, Candidate, MatchResult, MatchSettings, Optimality

_QUICK = 0.1  # share of the search budget spent before an exact solve


def circle_sizes(n: int, lo: int, hi: int) -> list[int]:
    """As many circles as the minimum size allows; extra people make some circles bigger."""
    k = n // lo
    if k == 0:
        return []
    base, rem = divmod(n, k)
    return [min(base + 1, hi)] * rem + [min(base, hi)] * (k - rem)


def namer(names: Mapping[int, str] | None) -> Callable[[int], str]:
    """Display names for explanations; members without one are "member <id>"."""

    def name(i: int) -> str:
        if names and i in names:
            return names[i]
        return f"member {i}"

    return name


def form_circles(
    candidates: Sequence[Candidate],
    settings: MatchSettings,
    recent_pairs: Collection[frozenset[int]] = (),
    names: Mapping[int, str] | None = None,
) -> MatchResult:
    """Partition the candidates into circles (or pairs) for one round."""
    seen_ids: set[int] = set()
    cands: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: c.id):
        if c.id not in seen_ids:
            seen_ids.add(c.id)
            cands.append(c)
    if settings.kind in CHUNKED_KINDS and len(cands) > SMALL:
        return form_chunked(form_circles, cands, settings, recent_pairs, names)
    inst = Instance(cands, settings, recent_pairs)
    n = inst.n
    rng = random.Random(settings.seed)
    perm = list(range(n))
    rng.shuffle(perm)
    rank = [0] * n
    for r, x in enumerate(perm):
        rank[x] = r
    # Most constrained first: most forbidden partners, then fewest hours (unknown = any).
    hours = [a.bit_count() if a else 999 for a in inst.hours]
    order = sorted(range(n), key=lambda i: (-inst.forbidden_count[i], hours[i], rank[i]))
    kind = settings.kind
    lo = max(1, settings.min_size)
    hi = max(lo, settings.max_size)
    waitlist: dict[int, str] = {}
    s = LocalSearch(inst, rng, star=kind == "mentor_pair")
    if kind == "pod":
        _start_pods(s, order, rank, lo, hi, waitlist)
    elif kind == "mentor_pair":
        _start_mentor_pairs(s, order, rank, waitlist)
    elif kind in PAIR_KINDS:
        groups = [s.add_group(2, 2) for _ in range(n // 2)]
        s.open_bench()
        s.near = neighbours(inst, range(n), range(n), 10, rank)
        greedy_pairs(s, groups, order, rank)
    else:
        sizes = circle_sizes(n, lo, hi)
        groups = [s.add_group(lo, hi) for _ in sizes]
        s.open_bench()
        s.near = neighbours(inst, range(n), range(n), 10, rank, score=s.score)
        greedy_fill(s, list(zip(groups, sizes, strict=True)), order, [True] * n)

    budget = settings.time_budget_s
    chosen: Chosen | None = None
    optimality = Optimality(False)
    if budget > 0 and exact_inputs(s, lo, hi) is not None:
        # Small rounds: a short search gives the solver a start, the solver proves or beats it;
        # only if the solver's node limits stop it first does the search get its full budget.
        s.run(budget * _QUICK)
        chosen, optimality = prove(s, lo, hi)
        if not optimality.proven:
            s.run(budget)
            chosen = keep_better(s, chosen)
    else:
        s.run(budget)
    final: LocalSearch | Chosen = chosen or s
    for m in s.spare:
        if final.group_of[m] == final.bench:
            waitlist[cands[m].id] = "there were not enough mentees for another pod this round"
    return build_result(inst, final, waitlist, namer(names), optimality)


def _start_pods(
    s: LocalSearch,
    order: Sequence[int],
    rank: Sequence[int],
    lo: int,
    hi: int,
    waitlist: dict[int, str],
) -> None:
    """Pods: the mentors most in demand lead one each; the others may take one over later."""
    inst = s.inst
    cands, n = inst.candidates, inst.n
    need = max(1, lo - 1)
    mentors = [i for i in range(n) if inst.is_mentor[i]]
    mentees = [i for i in range(n) if not inst.is_mentor[i]]
    eligible = [m for m in mentors if min(cands[m].capacity, hi - 1) >= need]
    for m in mentors:
        if m not in eligible:
            waitlist[cands[m].id] = (
                f"a pod needs at least {need} mentees, more than your mentee capacity of "
                f"{max(0, cands[m].capacity)} (or the maximum pod size of {hi})"
            )
    pre = neighbours(inst, eligible, mentees, 16, rank)
    demand = {
        m: sum(sorted((inst.score(m, e) for e in pre.get(m, ())), reverse=True)[: need + 1])
        for m in eligible
    }
    eligible.sort(key=lambda m: (-demand[m], rank[m]))
    npods = min(len(eligible), len(mentees) // need)
    chosen, unused = eligible[:npods], eligible[npods:]
    for m in unused:
        s.locked[m] = True
    # Local search may hand a pod to an unused mentor who suits its mentees better.
    s.spare = sorted(eligible, key=lambda m: rank[m])
    s.spare_max = {m: min(cands[m].capacity, hi - 1) + 1 for m in eligible}
    s.spare_near = {m: pre.get(m, []) for m in eligible}
    caps = [min(cands[m].capacity, hi - 1) for m in chosen]
    alloc = [need] * npods
    left = len(mentees) - need * npods
    while left > 0:
        grew = False
        for i in range(npods):
            if left and alloc[i] < caps[i]:
                alloc[i] += 1
                left -= 1
                grew = True
        if not grew:
            break
    groups = [s.add_group(need + 1, caps[i] + 1, head=m) for i, m in enumerate(chosen)]
    s.open_bench()
    chosen_set = set(chosen)
    for m in mentors:  # mentors never become mentees in someone else's pod
        if m not in chosen_set:
            s.locked[m] = True
    near = neighbours(inst, mentees, mentees, 10, rank)
    to_mentors = neighbours(inst, mentees, chosen, 5, rank) if chosen else {}
    for e in mentees:
        near[e] = near.get(e, []) + to_mentors.get(e, [])
    near.update(neighbours(inst, chosen, mentees, 16, rank))
    s.near = near
    free = [not inst.is_mentor[x] for x in range(n)]
    greedy_fill(s, [(g, alloc[i] + 1) for i, g in enumerate(groups)], order, free)


def _start_mentor_pairs(
    s: LocalSearch, order: Sequence[int], rank: Sequence[int], waitlist: dict[int, str]
) -> None:
    """1:1 mentoring: each mentor is a group of up to `capacity` mentor–mentee pairs."""
    inst = s.inst
    cands, n = inst.candidates, inst.n
    mentors = [i for i in range(n) if inst.is_mentor[i] and cands[i].capacity > 0]
    mentees = [i for i in range(n) if not inst.is_mentor[i]]
    for i in range(n):
        if inst.is_mentor[i] and cands[i].capacity <= 0:
            waitlist[cands[i].id] = "your mentee capacity is 0 this round"
    for m in mentors:
        s.add_group(1, 1 + cands[m].capacity, head=m)
    s.open_bench()
    for i in range(n):
        if inst.is_mentor[i] and cands[i].capacity <= 0:
            s.locked[i] = True
    near = neighbours(inst, mentees, mentors, 8, rank) if mentors else {}
    to_mentees = neighbours(inst, mentees, mentees, 6, rank)
    for e in mentees:
        near[e] = near.get(e, []) + to_mentees.get(e, [])
    for m, cs in neighbours(inst, mentors, mentees, 12, rank).items():
        near[m] = cs
        for e in cs:
            if m not in near.get(e, ()):
                near.setdefault(e, []).append(m)
    s.near = near
    greedy_star(s, [e for e in order if not inst.is_mentor[e]], rank)
