"""From the search's groups to the `MatchResult`: scores, rules left broken, waitlist reasons."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from circles.matching.explain import explain
from circles.matching.optimal import Chosen
from circles.matching.partition import Partition
from circles.matching.penalties import near_gap_ok, pair_key, pair_short_of_time
from circles.matching.scoring import Instance
from circles.matching.types import PAIR_KINDS, Group, MatchResult, Optimality

Namer = Callable[[int], str]
# A broken rule is "without alternative" only when the exact solve proved it; otherwise the
# search merely found none.
PROVEN, UNPROVEN = "(no alternative)", "(no alternative found)"


def build_result(
    inst: Instance,
    s: Partition | Chosen,
    waitlist: dict[int, str],
    name: Namer,
    optimality: Optimality | None = None,
) -> MatchResult:
    """Every non-empty group as a `Group` (1:1 mentoring: one per mentee); the bench waits."""
    optimality = optimality or Optimality(False)
    why = PROVEN if optimality.proven else UNPROVEN
    cands = inst.candidates
    kind = inst.kind
    groups: list[Group] = []
    for g, mem in enumerate(s.members):
        if g == s.bench or not mem:
            continue
        if s.star:
            h = s.head[g]
            mentees = sorted(x for x in mem if x != h)
            if not mentees:
                waitlist[cands[h].id] = "no mentee was left to pair with you this round"
            for e in mentees:
                groups.append(make_group(inst, [h, e], h, name, why))
            continue
        mem = sorted(mem)
        mentor: int | None = None
        if kind == "pod":
            mentor = s.head[g]
        elif kind in PAIR_KINDS and len(mem) == 2:
            mentor = pair_lead(inst, mem[0], mem[1])
        groups.append(make_group(inst, mem, mentor, name, why))
    _waitlist_bench(inst, s, waitlist)
    groups.sort(key=lambda gr: gr.member_ids)
    broken = [r for gr in groups for r in gr.broken_rules]
    return MatchResult(
        groups, dict(sorted(waitlist.items())), sum(gr.score for gr in groups), broken, optimality
    )


def _waitlist_bench(inst: Instance, s: Partition | Chosen, waitlist: dict[int, str]) -> None:
    """Why each benched member waits (unless construction already said why)."""
    cands = inst.candidates
    kind = inst.kind
    lo, hi = inst.settings.min_size, inst.settings.max_size
    bench = sorted(s.members[s.bench]) if s.bench >= 0 else []
    free_mentor_room = any(
        g != s.bench and s.head[g] >= 0 and len(s.members[g]) < s.max_size[g]
        for g in range(len(s.members))
    )
    for x in bench:
        cid = cands[x].id
        if cid in waitlist:
            continue
        if kind in ("pod", "mentor_pair"):
            if inst.is_mentor[x]:
                waitlist[cid] = "there were not enough mentees for you this round"
            elif free_mentor_room:
                waitlist[cid] = (
                    "the mentors with free capacity were people you (or they) opted out of, "
                    "or could not be matched without breaking the pod size bounds"
                )
            else:
                waitlist[cid] = "there was no mentor with free capacity"
        elif kind in PAIR_KINDS:
            waitlist[cid] = (
                "an odd number of people joined, so one person sits out this round; you're first in line next round"
            )
        elif inst.n < lo:
            waitlist[cid] = (
                f"only {inst.n} people joined this round, fewer than the minimum circle size of {lo}; "
                "you're on the waitlist for next round"
            )
        else:
            waitlist[cid] = (
                f"you're on the waitlist for next round because the group of {len(bench)} left over "
                f"could not be placed without breaking size bounds ({lo}–{hi})"
            )


def pair_lead(inst: Instance, a: int, b: int) -> int | None:
    """Who leads a pair: the senior in near-peer pairs, the junior who teaches in reverse ones."""
    kind = inst.kind
    exp = inst.experience
    if kind == "near_peer":
        if exp[a] != exp[b]:
            return a if exp[a] > exp[b] else b
        return a
    if kind == "reverse":
        if exp[a] != exp[b]:
            return a if exp[a] < exp[b] else b
        ab = (inst.offers[a] & inst.wants[b]).bit_count()
        ba = (inst.offers[b] & inst.wants[a]).bit_count()
        return a if ab >= ba else b
    return None


def make_group(
    inst: Instance, mem: list[int], mentor: int | None, name: Namer, why: str = PROVEN
) -> Group:
    """One circle's `Group`: compatibility only (no penalties), rules it breaks, explanation."""
    mem = sorted(mem)
    if inst.kind == "mentor_pair" and mentor is not None:
        pairs = [pair_key(mem[0], mem[1])]
    else:
        pairs = [(a, b) for i, a in enumerate(mem) for b in mem[i + 1 :]]
    score = sum(inst.compat(a, b) for a, b in pairs)
    rules = pair_rules(inst, pairs, name, why)
    if inst.circle_time_penalty(mem):
        shared, _ = inst.circle_hours(mem)
        rules.append(
            f"this circle shares only {shared.bit_count()}h of weekly time, below the {inst.min_hours}h minimum {why}"
        )
    ids = [inst.candidates[x].id for x in mem]
    return Group(
        tuple(ids),
        inst.candidates[mentor].id if mentor is not None else None,
        round(score, 6),
        explain(inst, mem, mentor, name),
        rules,
    )


def pair_rules(
    inst: Instance, pairs: Iterable[tuple[int, int]], name: Namer, why: str = PROVEN
) -> list[str]:
    """The rules each pair breaks, as facts for the coordinator's report."""
    out = []
    ids = inst.ids
    for a, b in pairs:
        na, nb = name(ids[a]), name(ids[b])
        if (a, b) in inst.never:
            out.append(f"{na} and {nb} asked not to be matched {why}")
        if (a, b) in inst.recent:
            out.append(f"{na} and {nb} met in a recent round {why}")
        if inst.pairwise_time and inst.min_hours > 0:
            x, y = inst.hours[a], inst.hours[b]
            if pair_short_of_time(x, y, inst.min_hours):
                h = (x & y).bit_count()
                out.append(
                    f"{na} and {nb} share only {h}h of weekly time, below the {inst.min_hours}h minimum {why}"
                )
        if inst.kind == "near_peer" and not near_gap_ok(inst.experience[a], inst.experience[b]):
            gap = abs(inst.experience[a] - inst.experience[b])
            out.append(
                f"{na} and {nb} are {gap} experience levels apart, not 1–2 (no closer match)"
            )
    return out
