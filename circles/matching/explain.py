"""Why a circle was formed, in one sentence per circle (shared topics, who helps, shared time)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from circles import rules
from circles.matching.scoring import Instance

_DAYS = tuple(d.capitalize() for d in rules.WEEKDAYS)


def _join(items: Sequence[str]) -> str:
    """Join for a sentence: "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _common(sets: Sequence[frozenset[str]]) -> tuple[list[str], str | None, int]:
    """Tags everyone has, and the most shared tag with how many have it."""
    inter = sorted(frozenset.intersection(*sets)) if sets else []
    counts: dict[str, int] = {}
    for st in sets:
        for t in st:
            counts[t] = counts.get(t, 0) + 1
    best = min(counts.items(), key=lambda kv: (-kv[1], kv[0]), default=(None, 0))
    return inter, best[0], best[1]


def explain(inst: Instance, mem: list[int], mentor: int | None, name: Callable[[int], str]) -> str:
    """A short human sentence on why these people meet: shared topics, who can help, shared time."""
    cands = [inst.candidates[x] for x in mem]
    everyone = "you both" if len(mem) == 2 else "you all"
    parts: list[str] = []
    inter, top, cnt = _common([c.interests for c in cands])
    if inter:
        parts.append(f"{everyone} enjoy {_join(inter[:3])}")
    elif top is not None and cnt >= 2:
        parts.append(f"{cnt} of you share an interest in {top}")
    inter, top, cnt = _common([c.goals for c in cands])
    if inter:
        parts.append(f"{everyone} want to grow in {_join(inter[:3])}")
    elif top is not None and cnt >= 2:
        parts.append(f"{cnt} of you want to grow in {top}")
    if mentor is not None and inst.kind in ("pod", "mentor_pair"):
        m = inst.candidates[mentor]
        helps = sorted(
            {
                t
                for c in cands
                if c.id != m.id
                for t in (c.skills_wanted | c.goals) & m.skills_offered
            }
        )
        if helps:
            parts.append(f"{name(m.id)} can help with {_join(helps[:3])}")
    else:
        offers = []
        for a in cands:
            for b in cands:
                if a.id != b.id:
                    t = sorted(a.skills_offered & b.skills_wanted)
                    if t:
                        offers.append(f"{name(a.id)} can teach {name(b.id)} {_join(t[:2])}")
        if offers:
            parts.append("; ".join(offers[:3]))
    if inst.kind == "near_peer" and len(mem) == 2 and mentor is not None:
        other = mem[0] if mem[1] == mentor else mem[1]
        gap = inst.experience[mentor] - inst.experience[other]
        if gap > 0:
            parts.append(
                f"{name(inst.candidates[mentor].id)} is {gap} level{'s' if gap > 1 else ''} ahead"
            )
    if inst.kind == "cross_functional":
        depts = sorted({c.department for c in cands if c.department})
        if len(depts) >= 2:
            parts.append(f"{len(depts)} departments meet ({_join(depts)})")
    shared, n_avail = inst.circle_hours(mem)
    if n_avail == 0:
        parts.append("no availability given yet, so agree on a time together")
    else:
        h = shared.bit_count()
        if h:
            days = [d for i, d in enumerate(_DAYS) if (shared >> (24 * i)) & 0xFFFFFF]
            parts.append(f"{h}h of shared time on {'/'.join(days)} (UTC)")
        else:
            parts.append("no shared hours in your availability, so you'll need to find a time")
    if len(parts) == 1:
        parts.insert(0, "matched to balance the round")
    return "; ".join(parts)
