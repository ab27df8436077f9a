"""Placing somebody who joined after the round formed into a running circle with room."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from circles.matching.explain import explain
from circles.matching.form import namer
from circles.matching.penalties import pair_key, time_penalty
from circles.matching.scoring import Instance
from circles.matching.types import PAIR_KINDS, Candidate, MatchSettings


def place_late_joiner(
    candidate: Candidate,
    circles: Mapping[int, Sequence[Candidate]],
    settings: MatchSettings,
    recent_pairs: Collection[frozenset[int]] = (),
) -> tuple[int | None, str]:
    """Put somebody who joined after the round formed into the best circle with room."""
    kind = settings.kind
    pool: dict[int, Candidate] = {candidate.id: candidate}
    for cid in sorted(circles):
        for c in circles[cid]:
            pool.setdefault(c.id, c)
    inst = Instance(sorted(pool.values(), key=lambda c: c.id), settings, recent_pairs)
    me = inst.index[candidate.id]
    max_size = 2 if kind in PAIR_KINDS else settings.max_size
    full = blocked_rule = blocked_time = 0
    best: tuple[float, int, int] | None = None
    best_cid: int | None = None
    for cid in sorted(circles):
        members = [inst.index[c.id] for c in circles[cid] if c.id != candidate.id]
        if kind in ("pod", "mentor_pair"):
            mentors = [x for x in members if inst.is_mentor[x]]
            mentees = len(members) - len(mentors)
            if (
                inst.is_mentor[me]
                or not mentors
                or mentees >= inst.candidates[mentors[0]].capacity
                or len(members) >= max_size
            ):
                full += 1
                continue
            if kind == "mentor_pair" and len(members) >= 2:
                full += 1
                continue
        elif len(members) >= max_size:
            full += 1
            continue
        if any(pair_key(me, x) in inst.forbidden for x in members):
            blocked_rule += 1
            continue
        shared, cnt = inst.circle_hours([*members, me])
        if inst.hours[me] and time_penalty(shared, cnt, inst.min_hours):
            blocked_time += 1
            continue
        score = sum(inst.compat(me, x) for x in members)
        key = (score, -len(members), -cid)
        if best is None or key > best:
            best, best_cid = key, cid
    if best_cid is not None:
        members = sorted(
            [inst.index[c.id] for c in circles[best_cid] if c.id != candidate.id] + [me]
        )
        mentor = (
            next((x for x in members if inst.is_mentor[x]), None)
            if kind in ("pod", "mentor_pair")
            else None
        )
        return best_cid, explain(inst, members, mentor, namer(None))
    if blocked_rule or blocked_time:
        why = []
        if blocked_rule:
            why.append("include someone you met recently or opted out of")
        if blocked_time:
            why.append(f"share less than {inst.min_hours}h of weekly time with you")
        return (
            None,
            f"the circles with room {' or '.join(why)}; you're on the waitlist for next round",
        )
    if kind in ("pod", "mentor_pair") and inst.is_mentor[me]:
        return None, "every circle already has its mentor; you're on the waitlist for next round"
    if kind in ("pod", "mentor_pair"):
        return None, "there was no mentor with free capacity; you're on the waitlist for next round"
    return None, "every circle is full this round; you're on the waitlist for next round"
