"""Pair compatibility and the penalised pair score, over members encoded as bitsets.

`Instance` turns candidates into integer arrays and bitsets so a pair score is a few ANDs and
popcounts. Two functions per instance drive everything else:

- `compat(i, j)`: why two people benefit from meeting, by circle kind (what the result reports);
- `score(i, j)`: compat minus the pair's rule penalties (what the search maximises).

Peer circles with equal tag weights use a flat specialisation of `score` (one AND, one
popcount) because they run at tens of thousands of members.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence

from circles.matching.penalties import (
    P_AVAIL,
    P_NEAR,
    P_NEVER,
    P_REPEAT,
    hours_mask,
    near_gap_ok,
    pair_key,
    pair_short_of_time,
    shared_hours,
    time_penalty,
)
from circles.matching.types import PAIR_KINDS, Candidate, MatchSettings

PairFn = Callable[[int, int], float]


class Instance:
    """One round's members as arrays indexed 0..n-1 (in candidate order), plus the rules."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        settings: MatchSettings,
        recent_pairs: Collection[frozenset[int]] = (),
    ) -> None:
        self.candidates = list(candidates)
        self.settings = settings
        self.kind = settings.kind
        n = self.n = len(self.candidates)
        self.index = {c.id: i for i, c in enumerate(self.candidates)}
        self.ids = [c.id for c in self.candidates]
        vocab: dict[str, int] = {}
        for tag in sorted(
            {
                t
                for c in self.candidates
                for tags in (c.interests, c.goals, c.skills_offered, c.skills_wanted)
                for t in tags
            }
        ):
            vocab[tag] = len(vocab)
        depts = {
            d: i
            for i, d in enumerate(sorted({c.department for c in self.candidates if c.department}))
        }

        def bits(tags: Iterable[str]) -> int:
            m = 0
            for t in tags:
                m |= 1 << vocab[t]
            return m

        self.interests = [bits(c.interests) for c in self.candidates]
        self.goals = [bits(c.goals) for c in self.candidates]
        self.offers = [bits(c.skills_offered) for c in self.candidates]
        self.wants = [bits(c.skills_wanted) for c in self.candidates]
        self.hours = [hours_mask(c.availability) for c in self.candidates]  # 0 = unknown/any
        self.experience = [c.experience for c in self.candidates]
        self.department = [depts.get(c.department, -1) for c in self.candidates]  # -1 = none
        self.is_mentor = [c.role == "mentor" for c in self.candidates]
        self.never: set[tuple[int, int]] = set()
        self.recent: set[tuple[int, int]] = set()
        for i, c in enumerate(self.candidates):
            for other in c.never_with:
                j = self.index.get(other)
                if j is not None and j != i:
                    self.never.add(pair_key(i, j))
        for p in recent_pairs:
            if len(p) != 2:
                continue
            a, b = sorted(p)
            i, j = self.index.get(a), self.index.get(b)
            if i is not None and j is not None and i != j:
                self.recent.add(pair_key(i, j))
        # Pairs that must not meet (repeats, opt-outs) and their combined penalty.
        self.forbidden: dict[tuple[int, int], float] = {}
        for k in self.recent:
            self.forbidden[k] = P_REPEAT
        for k in self.never:
            self.forbidden[k] = self.forbidden.get(k, 0.0) + P_NEVER
        self.min_hours = max(0, settings.min_shared_hours)
        # Pair kinds and 1:1 mentoring check shared time pair by pair; circles check the group.
        self.pairwise_time = self.kind in PAIR_KINDS
        # Integer keys (i * n + j, i < j) make the hot-path lookup cheap.
        self.forbidden_by_key = {a * n + b: v for (a, b), v in self.forbidden.items()}
        self.compat: PairFn = make_compat(self)
        self.score: PairFn = make_fast_peer_score(self) or make_score(self)
        self.forbidden_count = [0] * n
        for a, b in self.forbidden:
            self.forbidden_count[a] += 1
            self.forbidden_count[b] += 1

    def pair_penalty(self, i: int, j: int) -> float:
        """The rule penalties alone of a pair (0.0 when the pair breaks no rule)."""
        s = self.forbidden_by_key.get(i * self.n + j if i < j else j * self.n + i, 0.0)
        if (
            self.pairwise_time
            and self.min_hours > 0
            and pair_short_of_time(self.hours[i], self.hours[j], self.min_hours)
        ):
            s += P_AVAIL
        if self.kind == "near_peer" and not near_gap_ok(self.experience[i], self.experience[j]):
            s += P_NEAR
        return s

    def circle_hours(self, members: Iterable[int]) -> tuple[int, int]:
        """Hours every member who gave any shares (0 if nobody did), and how many gave any."""
        mask, count = shared_hours(self.hours, members)
        return (mask if count else 0), count

    def circle_time_penalty(self, members: Iterable[int]) -> float:
        """The shared-time penalty of a whole circle (0.0 for pair kinds: checked per pair)."""
        if self.min_hours <= 0 or self.pairwise_time:
            return 0.0
        return time_penalty(*shared_hours(self.hours, members), self.min_hours)


def make_score(inst: Instance) -> PairFn:
    """Compatibility minus the pair's rule penalties, for any circle kind."""
    compat, forbidden, hours, exp = inst.compat, inst.forbidden_by_key, inst.hours, inst.experience
    min_hours, n = inst.min_hours, inst.n
    pairwise = inst.pairwise_time and min_hours > 0
    near = inst.kind == "near_peer"
    fget = forbidden.get

    def score(i: int, j: int) -> float:
        s = compat(i, j)
        if forbidden:
            s -= fget(i * n + j if i < j else j * n + i, 0.0)
        if pairwise and pair_short_of_time(hours[i], hours[j], min_hours):
            s -= P_AVAIL
        if near and not near_gap_ok(exp[i], exp[j]):
            s -= P_NEAR
        return s

    return score


def make_fast_peer_score(inst: Instance) -> PairFn | None:
    """`make_score` flattened for peer circles with equal tag weights (None otherwise).

    Interests, goals and both skill directions are packed into one bitset per side so that a
    pair costs a single AND and popcount; the terms are those of `make_compat`'s peer score.
    """
    if inst.kind not in ("peer", "cross_functional") or inst.pairwise_time:
        return None
    w = inst.settings.weights
    if not (w.interests == w.goals == w.skills):
        return None
    fields = (inst.interests, inst.goals, inst.offers, inst.wants)
    v = 1 + max((m.bit_length() for f in fields for m in f), default=0)
    interests, goals, offers, wants = fields
    gives = [
        interests[i] | goals[i] << v | offers[i] << 2 * v | wants[i] << 3 * v for i in range(inst.n)
    ]
    takes = [
        interests[i] | goals[i] << v | wants[i] << 2 * v | offers[i] << 3 * v for i in range(inst.n)
    ]
    w_tag = w.interests
    closeness = _closeness(w.experience)
    by_hours = _hours_bonus(w.availability)
    w_dept = _department_weight(inst)
    hours, exp, dept, n = inst.hours, inst.experience, inst.department, inst.n
    forbidden = inst.forbidden_by_key
    fget = forbidden.get

    def score(i: int, j: int) -> float:
        s = w_tag * (gives[i] & takes[j]).bit_count() + closeness[abs(exp[i] - exp[j])]
        hi = hours[i]
        if hi:
            hj = hours[j]
            if hj:
                s += by_hours[(hi & hj).bit_count()]
        if w_dept:
            di = dept[i]
            if di >= 0:
                dj = dept[j]
                if dj >= 0 and di != dj:
                    s += w_dept
        if forbidden:
            s -= fget(i * n + j if i < j else j * n + i, 0.0)
        return s

    return score


def _closeness(w_exp: float) -> list[float]:
    """Bonus by experience gap for kinds that like peers close in experience."""
    return [w_exp, w_exp / 2] + [0.0] * 200


def _hours_bonus(w_avail: float) -> list[float]:
    """Bonus by shared weekly hours, capped at 8 hours."""
    return [w_avail * (h if h < 8 else 8) * 0.25 for h in range(169)]


def _department_weight(inst: Instance) -> float:
    """Cross-functional circles value other departments even when the program weight is 0."""
    w = inst.settings.weights
    return w.department if (inst.kind != "cross_functional" or w.department != 0) else 1.0


def make_compat(inst: Instance) -> PairFn:
    """Pairwise compatibility for the circle kind (why two people benefit from meeting)."""
    w = inst.settings.weights
    kind = inst.kind
    interests, goals, offers, wants = inst.interests, inst.goals, inst.offers, inst.wants
    hours, exp, dept, mentor = inst.hours, inst.experience, inst.department, inst.is_mentor
    wi, wg, ws, we, wa = w.interests, w.goals, w.skills, w.experience, w.availability
    wd = _department_weight(inst)
    close = _closeness(we)

    def base(i: int, j: int) -> float:
        s = wi * (interests[i] & interests[j]).bit_count() + wg * (goals[i] & goals[j]).bit_count()
        hi, hj = hours[i], hours[j]
        if hi and hj and wa:
            h = (hi & hj).bit_count()
            s += wa * (h if h < 8 else 8) * 0.25
        if wd:
            di, dj = dept[i], dept[j]
            if di >= 0 and dj >= 0 and di != dj:
                s += wd
        return s

    def peer(i: int, j: int) -> float:
        return (
            base(i, j)
            + ws * ((offers[i] & wants[j]).bit_count() + (offers[j] & wants[i]).bit_count())
            + close[abs(exp[i] - exp[j])]
        )

    if kind in ("peer", "cross_functional"):
        return peer

    if kind in ("pod", "mentor_pair"):

        def mentoring(i: int, j: int) -> float:
            if mentor[i] == mentor[j]:
                return peer(i, j)
            m, e = (i, j) if mentor[i] else (j, i)
            teach = (offers[m] & (wants[e] | goals[e])).bit_count()
            back = (offers[e] & wants[m]).bit_count()
            gap = exp[m] - exp[e]
            return base(i, j) + ws * (2 * teach + 0.5 * back) + we * (gap if gap < 3 else 3)

        return mentoring

    if kind == "near_peer":

        def near(i: int, j: int) -> float:
            g = abs(exp[i] - exp[j])
            x = 2 * we if 1 <= g <= 2 else (0.0 if g == 0 else -we * (g - 2))
            return (
                base(i, j)
                + ws * ((offers[i] & wants[j]).bit_count() + (offers[j] & wants[i]).bit_count())
                + x
            )

        return near

    if kind == "reverse":

        def reverse(i: int, j: int) -> float:
            a = (offers[i] & wants[j]).bit_count()
            b = (offers[j] & wants[i]).bit_count()
            if exp[i] < exp[j]:
                t, back = a, b
            elif exp[j] < exp[i]:
                t, back = b, a
            else:
                t, back = max(a, b), min(a, b)
            g = abs(exp[i] - exp[j])
            return base(i, j) + ws * (2 * t + 0.5 * back) + we * (g if g < 3 else 3)

        return reverse

    def swap(i: int, j: int) -> float:
        a = (offers[i] & wants[j]).bit_count()
        b = (offers[j] & wants[i]).bit_count()
        s = base(i, j) + ws * (a + b) + close[abs(exp[i] - exp[j])]
        if a and b:  # reciprocity is the point of a skill swap
            s += ws * (3 + 2 * min(a, b))
        return s

    return swap


def pair_score(a: Candidate, b: Candidate, settings: MatchSettings) -> float:
    """Compatibility of two people for this kind of circle; the objective sums it inside circles."""
    inst = Instance([a, b] if a.id != b.id else [a, a], settings)
    return inst.compat(0, 1)
