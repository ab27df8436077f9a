"""Why a circle's members meet: shared topics, who can help whom, shared time.

`why_of` returns the facts (names, tags, counts) for a circle's current members, or for one
newcomer joining it; the bot's presenters word them. `explain` is the older one-sentence form
the matcher stores on a circle when it forms a round."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from circles import rules
from circles.matching.scoring import Instance
from circles.matching.types import Candidate

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


# ------------------------------------------------------------------------------------------
# Facts instead of sentences: `why_of` says why the people in a circle meet as names, tags
# and counts, computed from whoever is in the circle now; the bot's presenters word them.
# (`explain` above is the old sentence the matcher still stores on a new circle; nothing
# shown to people reads it any more.)


@dataclass(frozen=True)
class Common:
    """Tags several members share (``what`` is "interest" or "goal") and who has them."""

    what: str
    tags: list[str]
    names: list[str]


@dataclass(frozen=True)
class Teaching:
    teacher: str
    learner: str
    topics: list[str]


@dataclass(frozen=True)
class Why:
    """Why these people meet. With ``newcomer`` set, the facts are that person's own: what
    they share with the circle, who can teach them, their time with the others. Shared time
    is counted only over the members who gave their availability (``gave_availability`` of
    ``size``); ``shared_days`` are weekday keys ("mon") in UTC."""

    size: int
    newcomer: str | None = None
    everyone: list[Common] = field(default_factory=list)  # tags all of them have
    some: list[Common] = field(default_factory=list)  # the tag most of them share, per kind
    mentor: str | None = None
    mentor_helps: list[str] = field(default_factory=list)
    teaching: list[Teaching] = field(default_factory=list)
    ahead: str | None = None  # near-peer: who is ahead, and by how many levels
    ahead_levels: int = 0
    departments: list[str] = field(default_factory=list)
    gave_availability: list[str] = field(default_factory=list)  # names, in circle order
    shared_hours: int = 0
    shared_days: list[str] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Why:
        """Read back from a stored notice payload (``dataclasses.asdict``)."""
        return cls(**{**data, "everyone": [Common(**c) for c in data.get("everyone", [])],
                      "some": [Common(**c) for c in data.get("some", [])],
                      "teaching": [Teaching(**t) for t in data.get("teaching", [])]})


def _tags(c: Candidate, what: str) -> frozenset[str]:
    return c.interests if what == "interest" else c.goals


def why_of(members: Sequence[Candidate], kind: str, mentor_id: int | None,
           names: Mapping[int, str], newcomer_id: int | None = None, limit: int = 3) -> Why:
    """The facts behind a circle of ``members`` (its current members, in circle order)."""
    cands = sorted(members, key=lambda c: c.id)
    name = lambda i: names.get(i) or "a member"  # noqa: E731  (never an internal id)
    me = next((c for c in cands if c.id == newcomer_id), None)
    others = [c for c in cands if me is None or c.id != me.id]
    everyone: list[Common] = []
    some: list[Common] = []
    for what in ("interest", "goal"):
        sets = [_tags(c, what) for c in cands]
        all_have = sorted(frozenset.intersection(*sets)) if sets and len(cands) > 1 else []
        if all_have:
            everyone.append(Common(what, all_have[:limit], [name(c.id) for c in cands]))
            continue
        pool = sorted(_tags(me, what)) if me is not None else sorted(set().union(*sets))
        best: tuple[int, str] | None = None
        for tag in pool:
            n = sum(1 for c in (others if me is not None else cands) if tag in _tags(c, what))
            if n and (best is None or n > best[0]):
                best = (n, tag)
        if best is not None and (me is not None or best[0] >= 2):
            holders = [name(c.id) for c in (others if me is not None else cands)
                       if best[1] in _tags(c, what)]
            some.append(Common(what, [best[1]], holders))
    mentor = next((c for c in cands if c.id == mentor_id), None)
    helps: list[str] = []
    teaching: list[Teaching] = []
    if mentor is not None and kind in ("pod", "mentor_pair"):
        learners = [me] if me is not None and me.id != mentor.id else \
            [c for c in cands if c.id != mentor.id]
        helps = sorted({t for c in learners for t in (c.skills_wanted | c.goals) & mentor.skills_offered})
    else:
        for a in cands:
            for b in cands:
                if a.id == b.id or (me is not None and me.id not in (a.id, b.id)):
                    continue
                topics = sorted(a.skills_offered & b.skills_wanted)
                if topics:
                    teaching.append(Teaching(name(a.id), name(b.id), topics[:2]))
    ahead, levels = None, 0
    if kind == "near_peer" and len(cands) == 2 and mentor is not None:
        other = cands[0] if cands[1].id == mentor.id else cands[1]
        if mentor.experience > other.experience:
            ahead, levels = name(mentor.id), mentor.experience - other.experience
    depts = sorted({c.department for c in cands if c.department}) if kind == "cross_functional" else []
    gave = [c for c in cands if c.availability]
    shared = frozenset.intersection(*(c.availability for c in gave)) if len(gave) >= 2 else frozenset()
    days = [d for i, d in enumerate(rules.WEEKDAYS) if any(24 * i <= h < 24 * (i + 1) for h in shared)]
    return Why(len(cands), name(me.id) if me is not None else None, everyone, some,
               name(mentor.id) if mentor is not None else None, helps[:limit], teaching[:limit],
               ahead, levels, depts if len(depts) >= 2 else [], [name(c.id) for c in gave],
               len(shared), days)
