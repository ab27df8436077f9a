"""Forming circles: pure functions over plain data.

The matcher maximises the sum of pairwise compatibility inside circles. Hard rules (opt-outs,
recent repeats, shared weekly time) are encoded as penalties far larger than any compatibility,
so that the search keeps them whenever it can and the result reports the ones it could not keep.
Everything is deterministic for a given seed: inputs are sorted, tags become integer bitsets and
the search budget is counted in work units rather than wall-clock seconds (a wall-clock guard
only stops runaway searches).
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "CircleKind",
    "Candidate",
    "Weights",
    "MatchSettings",
    "Group",
    "MatchResult",
    "form_circles",
    "place_late_joiner",
    "pair_score",
    "PAIR_KINDS",
]

CircleKind = Literal[
    "peer", "pod", "mentor_pair", "near_peer", "reverse", "skill_swap", "cross_functional"
]
PAIR_KINDS: frozenset[str] = frozenset({"mentor_pair", "near_peer", "reverse", "skill_swap"})


@dataclass(frozen=True)
class Candidate:
    id: int
    role: str = "peer"  # "peer" | "mentor" | "mentee"
    experience: int = 2  # 1 (new) .. 5 (expert)
    department: str = ""
    interests: frozenset[str] = frozenset()
    goals: frozenset[str] = frozenset()
    skills_offered: frozenset[str] = frozenset()
    skills_wanted: frozenset[str] = frozenset()
    availability: frozenset[int] = frozenset()  # UTC hour-of-week 0..167; empty = unknown/any
    never_with: frozenset[int] = frozenset()
    capacity: int = 1


@dataclass(frozen=True)
class Weights:
    interests: float = 1.0
    goals: float = 1.0
    skills: float = 1.0
    experience: float = 0.5
    department: float = 0.0
    availability: float = 0.25


@dataclass(frozen=True)
class MatchSettings:
    kind: CircleKind = "peer"
    min_size: int = 4
    max_size: int = 6
    repeat_window: int = 3
    min_shared_hours: int = 1
    weights: Weights = Weights()
    seed: int = 0
    time_budget_s: float = 1.0


@dataclass
class Group:
    member_ids: tuple[int, ...]
    mentor_id: int | None
    score: float
    explanation: str
    broken_rules: list[str] = field(default_factory=list)


@dataclass
class MatchResult:
    groups: list[Group]
    waitlist: dict[int, str]
    score: float
    broken_rules: list[str]


# Penalties are orders of magnitude above any compatibility score (a handful of shared tags), so
# the search trades compatibility away before it trades a rule away. Placing somebody outweighs a
# repeat or a timezone miss (nobody is left out for a soft reason) but never an explicit opt-out.
P_NEVER = 1e6
P_PLACE = 1e5
P_REPEAT = 1e4
P_AVAIL = 1e4
P_NEAR = 1e3
_EPS = 1e-9
# Work units (pairwise evaluations) per second of time_budget_s; keeps runs reproducible.
_WORK_PER_S = 1_500_000
_SMALL = 240  # below this many members every member is everyone's neighbour
_RESTARTS = 8  # seeded starts on small instances (each climbed, the best kept)
_STALL_SMALL = 150  # kicks without improvement before a small instance's start is done
_COVER_N = 64  # up to this many members, restarts may come from an exact-cover search
_COVER_NODES = 200_000  # search nodes per exact-cover start
_HITS = 3  # a small instance is done once its best circles are reached from this many starts
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEK = (1 << 168) - 1


def _pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


class _Inst:
    """Members as integer arrays and bitsets, so a pair score is a few ANDs and popcounts."""

    def __init__(
        self,
        cands: Sequence[Candidate],
        settings: MatchSettings,
        recent_pairs: Collection[frozenset[int]] = (),
    ) -> None:
        self.cands = list(cands)
        self.settings = settings
        self.kind = settings.kind
        n = self.n = len(self.cands)
        self.index = {c.id: i for i, c in enumerate(self.cands)}
        vocab: dict[str, int] = {}
        for tag in sorted(
            {
                t
                for c in self.cands
                for f in (c.interests, c.goals, c.skills_offered, c.skills_wanted)
                for t in f
            }
        ):
            vocab[tag] = len(vocab)
        depts = {
            d: i for i, d in enumerate(sorted({c.department for c in self.cands if c.department}))
        }

        def bits(tags: Iterable[str]) -> int:
            m = 0
            for t in tags:
                m |= 1 << vocab[t]
            return m

        self.I = [bits(c.interests) for c in self.cands]
        self.G = [bits(c.goals) for c in self.cands]
        self.O = [bits(c.skills_offered) for c in self.cands]
        self.W = [bits(c.skills_wanted) for c in self.cands]
        self.A = [_avail_mask(c.availability) for c in self.cands]
        self.E = [c.experience for c in self.cands]
        self.D = [depts.get(c.department, -1) for c in self.cands]
        self.mentor = [c.role == "mentor" for c in self.cands]
        self.ids = [c.id for c in self.cands]
        self.forb: dict[tuple[int, int], float] = {}
        self.never: set[tuple[int, int]] = set()
        self.recent: set[tuple[int, int]] = set()
        for i, c in enumerate(self.cands):
            for other in c.never_with:
                j = self.index.get(other)
                if j is not None and j != i:
                    self.never.add(_pair_key(i, j))
        for p in recent_pairs:
            if len(p) != 2:
                continue
            a, b = sorted(p)
            i, j = self.index.get(a), self.index.get(b)
            if i is not None and j is not None and i != j:
                self.recent.add(_pair_key(i, j))
        for k in self.recent:
            self.forb[k] = P_REPEAT
        for k in self.never:
            self.forb[k] = self.forb.get(k, 0.0) + P_NEVER
        self.H = max(0, settings.min_shared_hours)
        # Pair kinds and 1:1 mentoring check shared time pair by pair; circles check the group.
        self.pairwise_avail = self.kind in PAIR_KINDS
        # Integer keys (i * n + j, i < j) make the hot-path lookup cheap.
        self.forb_key = {a * n + b: v for (a, b), v in self.forb.items()}
        self.raw = _make_raw(self)
        self.pen = _fast_peer_pen(self) or self._make_pen()
        self.nforb = [0] * n
        for a, b in self.forb:
            self.nforb[a] += 1
            self.nforb[b] += 1

    def _make_pen(self) -> Callable[[int, int], float]:
        raw, forb, A, E, H, n = self.raw, self.forb_key, self.A, self.E, self.H, self.n
        pairwise = self.pairwise_avail and H > 0
        near = self.kind == "near_peer"
        fget = forb.get

        def pen(i: int, j: int) -> float:
            s = raw(i, j)
            if forb:
                s -= fget(i * n + j if i < j else j * n + i, 0.0)
            if pairwise:
                ai, aj = A[i], A[j]
                if ai and aj and (ai & aj).bit_count() < H:
                    s -= P_AVAIL
            if near:
                g = abs(E[i] - E[j])
                if g < 1 or g > 2:
                    s -= P_NEAR
            return s

        return pen

    def pair_pen(self, i: int, j: int) -> float:
        """The rule penalties alone of a pair (0.0 when the pair breaks no rule)."""
        s = self.forb_key.get(i * self.n + j if i < j else j * self.n + i, 0.0)
        if self.pairwise_avail and self.H > 0:
            ai, aj = self.A[i], self.A[j]
            if ai and aj and (ai & aj).bit_count() < self.H:
                s += P_AVAIL
        if self.kind == "near_peer" and not 1 <= abs(self.E[i] - self.E[j]) <= 2:
            s += P_NEAR
        return s

    def avail_pen(self, members: Iterable[int]) -> float:
        if self.H <= 0 or self.pairwise_avail:
            return 0.0
        A = self.A
        m = _WEEK
        cnt = 0
        for x in members:
            a = A[x]
            if a:
                m &= a
                cnt += 1
        return P_AVAIL if cnt >= 2 and m.bit_count() < self.H else 0.0


def _fast_peer_pen(inst: _Inst) -> Callable[[int, int], float] | None:
    """One flat function for peer circles, the kind that runs at tens of thousands of members.

    Interests, goals and both skill directions are packed into one bitset per side so that,
    with equal weights, a pair costs a single AND and popcount.
    """
    if inst.kind not in ("peer", "cross_functional") or inst.pairwise_avail:
        return None
    w = inst.settings.weights
    if not (w.interests == w.goals == w.skills):
        return None
    v = 1 + max((m.bit_length() for f in (inst.I, inst.G, inst.O, inst.W) for m in f), default=0)
    P = [
        inst.I[i] | inst.G[i] << v | inst.O[i] << 2 * v | inst.W[i] << 3 * v for i in range(inst.n)
    ]
    Q = [
        inst.I[i] | inst.G[i] << v | inst.W[i] << 2 * v | inst.O[i] << 3 * v for i in range(inst.n)
    ]
    wt = w.interests
    we, wa = w.experience, w.availability
    wd = w.department if (inst.kind != "cross_functional" or w.department != 0) else 1.0
    close = [we, we / 2] + [0.0] * 200
    av = [wa * (h if h < 8 else 8) * 0.25 for h in range(169)]
    A, E, D, n = inst.A, inst.E, inst.D, inst.n
    forb = inst.forb_key
    fget = forb.get

    def pen(i: int, j: int) -> float:
        s = wt * (P[i] & Q[j]).bit_count() + close[abs(E[i] - E[j])]
        ai = A[i]
        if ai:
            aj = A[j]
            if aj:
                s += av[(ai & aj).bit_count()]
        if wd:
            di = D[i]
            if di >= 0:
                dj = D[j]
                if dj >= 0 and di != dj:
                    s += wd
        if forb:
            s -= fget(i * n + j if i < j else j * n + i, 0.0)
        return s

    return pen


def _avail_mask(slots: Iterable[int]) -> int:
    m = 0
    for s in slots:
        if 0 <= s < 168:
            m |= 1 << s
    return m


def _make_raw(inst: _Inst) -> Callable[[int, int], float]:
    """Pairwise compatibility for the circle kind (why two people benefit from meeting)."""
    w = inst.settings.weights
    kind = inst.kind
    IN, G, OF, W, A, E, D, R = inst.I, inst.G, inst.O, inst.W, inst.A, inst.E, inst.D, inst.mentor
    wi, wg, ws, we, wa = w.interests, w.goals, w.skills, w.experience, w.availability
    wd = w.department if (kind != "cross_functional" or w.department != 0) else 1.0
    close = [we, we / 2] + [0.0] * 200  # closeness bonus by experience gap

    def base(i: int, j: int) -> float:
        s = wi * (IN[i] & IN[j]).bit_count() + wg * (G[i] & G[j]).bit_count()
        ai, aj = A[i], A[j]
        if ai and aj and wa:
            h = (ai & aj).bit_count()
            s += wa * (h if h < 8 else 8) * 0.25
        if wd:
            di, dj = D[i], D[j]
            if di >= 0 and dj >= 0 and di != dj:
                s += wd
        return s

    def peer(i: int, j: int) -> float:
        return (
            base(i, j)
            + ws * ((OF[i] & W[j]).bit_count() + (OF[j] & W[i]).bit_count())
            + close[abs(E[i] - E[j])]
        )

    if kind in ("peer", "cross_functional"):
        return peer

    if kind in ("pod", "mentor_pair"):

        def mentoring(i: int, j: int) -> float:
            if R[i] == R[j]:
                return peer(i, j)
            m, e = (i, j) if R[i] else (j, i)
            teach = (OF[m] & (W[e] | G[e])).bit_count()
            back = (OF[e] & W[m]).bit_count()
            gap = E[m] - E[e]
            return base(i, j) + ws * (2 * teach + 0.5 * back) + we * (gap if gap < 3 else 3)

        return mentoring

    if kind == "near_peer":

        def near(i: int, j: int) -> float:
            g = abs(E[i] - E[j])
            x = 2 * we if 1 <= g <= 2 else (0.0 if g == 0 else -we * (g - 2))
            return base(i, j) + ws * ((OF[i] & W[j]).bit_count() + (OF[j] & W[i]).bit_count()) + x

        return near

    if kind == "reverse":

        def reverse(i: int, j: int) -> float:
            a = (OF[i] & W[j]).bit_count()
            b = (OF[j] & W[i]).bit_count()
            if E[i] < E[j]:
                t, back = a, b
            elif E[j] < E[i]:
                t, back = b, a
            else:
                t, back = max(a, b), min(a, b)
            g = abs(E[i] - E[j])
            return base(i, j) + ws * (2 * t + 0.5 * back) + we * (g if g < 3 else 3)

        return reverse

    def swap(i: int, j: int) -> float:
        a = (OF[i] & W[j]).bit_count()
        b = (OF[j] & W[i]).bit_count()
        s = base(i, j) + ws * (a + b) + close[abs(E[i] - E[j])]
        if a and b:  # reciprocity is the point of a skill swap
            s += ws * (3 + 2 * min(a, b))
        return s

    return swap


def pair_score(a: Candidate, b: Candidate, settings: MatchSettings) -> float:
    """Compatibility of two people for this kind of circle; the objective sums it inside circles."""
    inst = _Inst([a, b] if a.id != b.id else [a, a], settings)
    return inst.raw(0, 1)


# --------------------------------------------------------------------------- neighbourhoods


def _tz_key(mask: int) -> float:
    """Circular mean hour of day of someone's availability: a cheap timezone band."""
    if not mask:
        return -1.0
    day = 0
    for d in range(7):
        day |= (mask >> (24 * d)) & 0xFFFFFF
    sx = sy = 0.0
    for h in range(24):
        if day >> h & 1:
            sx += _COS[h]
            sy += _SIN[h]
    ang = math.atan2(sy, sx)
    return round((ang / (2 * math.pi) * 24) % 24, 3)


_COS = [math.cos(2 * math.pi * h / 24) for h in range(24)]
_SIN = [math.sin(2 * math.pi * h / 24) for h in range(24)]


def _tags(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _neighbours(
    inst: _Inst,
    queries: Sequence[int],
    pool: Sequence[int],
    k: int,
    rank: Sequence[int],
    window: int = 2,
) -> dict[int, list[int]]:
    """Up to k promising partners from pool for each query, without looking at all pairs.

    Pool members are bucketed by tag and sorted by timezone band, so the few entries around a
    query in each of its tag buckets share that tag and roughly its working hours.
    """
    pen = inst.pen
    out: dict[int, list[int]] = {}
    if len(pool) <= max(_SMALL, k + 1):
        for x in queries:
            cs = [c for c in pool if c != x]
            cs.sort(key=lambda c: (-pen(x, c), rank[c]))
            out[x] = cs
        return out
    tz = [_tz_key(a) for a in inst.A]
    alltags = [inst.I[i] | inst.G[i] | inst.O[i] | inst.W[i] for i in range(inst.n)]
    buckets: dict[int, list[tuple[float, int, int]]] = {}
    glob: list[tuple[float, int, int]] = []
    for p in pool:
        key = (tz[p], rank[p], p)
        glob.append(key)
        for t in _tags(alltags[p]):
            buckets.setdefault(t, []).append(key)
    glob.sort()
    for b in buckets.values():
        b.sort()
    w = window
    for x in queries:
        key = (tz[x], rank[x], x)
        seen: set[int] = set()
        for t in _tags(alltags[x]):
            b = buckets.get(t)
            if not b:
                continue
            p = bisect_left(b, key)
            for e in b[max(0, p - w) : p + w + 1]:
                seen.add(e[2])
        p = bisect_left(glob, key)
        for e in glob[max(0, p - w - 1) : p + w + 2]:
            seen.add(e[2])
        seen.discard(x)
        cs = sorted(seen, key=lambda c: (-pen(x, c), rank[c]))
        out[x] = cs[:k]
    return out


# --------------------------------------------------------------------------- search


class _Search:
    """Groups as index lists with delta evaluation of moves and swaps.

    Group ``bench`` holds the waitlist; placing somebody earns P_PLACE, so the search only leaves
    people out when sizes or capacities force it (or the only option is an explicit opt-out).
    In star mode (1:1 mentoring) a group is a mentor with their mentees and only mentor–mentee
    pairs count.
    """

    def __init__(self, inst: _Inst, rng: random.Random, star: bool = False) -> None:
        self.inst = inst
        self.rng = rng
        self.star = star
        n = inst.n
        self.pen = inst.pen
        self.members: list[list[int]] = []
        self.lo: list[int] = []
        self.hi: list[int] = []
        self.head: list[int] = []  # locked mentor of the group or -1
        self.grp = [-1] * n
        self.pos = [0] * n
        self.own = [0.0] * n
        self.locked = [False] * n
        self.gav: list[float] = []
        # Shared-time bookkeeping, kept current by refresh(): AND of the availability of each
        # member's circle-mates (and how many of them gave any), and of each whole circle.
        self.rest_m = [_WEEK] * n
        self.rest_c = [0] * n
        self.gmask: list[int] = []
        self.gcnt: list[int] = []
        self.avmode = inst.H > 0 and not inst.pairwise_avail
        self.cand: dict[int, list[int]] = {}
        self.work = 0
        self.limit = 0
        self.deadline = 0.0
        self.bench = -1
        self.obj = 0.0
        self.log: list[tuple[int, int, int, float]] | None = None
        # Pods: every mentor who could lead one, their circle bound and promising mentees.
        self.spare: list[int] = []
        self.spare_hi: dict[int, int] = {}
        self.spare_cand: dict[int, list[int]] = {}
        # Small instances and 1:1 mentoring look at every member of a neighbouring group.
        self.whole = star or n <= _SMALL
        # Small instances keep every pair score in memory; the local search then only adds.
        self.matrix: list[list[float]] | None = None
        if n <= _SMALL:
            pen = inst.pen
            self.matrix = [[0.0 if i == j else pen(i, j) for j in range(n)] for i in range(n)]
            self.pen = lambda i, j, m=self.matrix: m[i][j]

    # -- structure
    def add_group(self, lo: int, hi: int, head: int = -1) -> int:
        g = len(self.members)
        self.members.append([])
        self.lo.append(lo)
        self.hi.append(hi)
        self.head.append(head)
        self.gav.append(0.0)
        self.gmask.append(_WEEK)
        self.gcnt.append(0)
        if head >= 0:
            self.locked[head] = True
            self._put(head, g)
        return g

    def open_bench(self) -> None:
        """Everyone not yet in a group starts on the bench; construction places them."""
        self.bench = self.add_group(0, 1 << 60)
        for x in range(self.inst.n):
            if self.grp[x] < 0:
                self._put(x, self.bench)

    def _put(self, x: int, g: int) -> None:
        lst = self.members[g]
        self.grp[x] = g
        self.pos[x] = len(lst)
        lst.append(x)

    def _take(self, x: int) -> None:
        g = self.grp[x]
        lst = self.members[g]
        p = self.pos[x]
        last = lst.pop()
        if last != x:
            lst[p] = last
            self.pos[last] = p

    def place(self, x: int, g: int) -> None:
        """Construction-time move (no scoring)."""
        self._take(x)
        self._put(x, g)

    # -- evaluation
    def linked(self, x: int, g: int, excl: int) -> float:
        if g == self.bench:
            return 0.0
        if self.star:
            return self.pen(x, self.head[g])
        mem = self.members[g]
        if self.matrix is not None:
            row = self.matrix[x]
            self.work += 1
            return sum(map(row.__getitem__, mem)) - (row[excl] if excl >= 0 else 0.0)
        pen = self.pen
        s = 0.0
        self.work += len(mem)
        for b in mem:
            if b != x and b != excl:
                s += pen(x, b)
        return s

    def gav_with(self, g: int, out: int, inn: int) -> float:
        if not self.avmode or g == self.bench:
            return 0.0
        A = self.inst.A
        m = _WEEK
        cnt = 0
        for b in self.members[g]:
            if b != out:
                a = A[b]
                if a:
                    m &= a
                    cnt += 1
        if inn >= 0:
            a = A[inn]
            if a:
                m &= a
                cnt += 1
        return P_AVAIL if cnt >= 2 and m.bit_count() < self.inst.H else 0.0

    def refresh(self, g: int) -> None:
        mem = self.members[g]
        if g == self.bench:
            for x in mem:
                self.own[x] = 0.0
            return
        pen, own = self.pen, self.own
        if self.star:
            h = self.head[g]
            tot = 0.0
            for x in mem:
                if x != h:
                    own[x] = v = pen(x, h)
                    tot += v
            own[h] = tot
        else:
            for x in mem:
                own[x] = 0.0
            for i in range(len(mem)):
                a = mem[i]
                for j in range(i + 1, len(mem)):
                    b = mem[j]
                    v = pen(a, b)
                    own[a] += v
                    own[b] += v
            self.work += len(mem) * len(mem) // 2
        if self.avmode:
            self._refresh_masks(g)
        else:
            self.gav[g] = self.gav_with(g, -1, -1)

    def _refresh_masks(self, g: int) -> None:
        A, mem = self.inst.A, self.members[g]
        k = len(mem)
        suf = [_WEEK] * (k + 1)
        for i in range(k - 1, -1, -1):
            suf[i] = suf[i + 1] & (A[mem[i]] or _WEEK)
        cnt = sum(1 for x in mem if A[x])
        pre = _WEEK
        rm, rc = self.rest_m, self.rest_c
        for i, x in enumerate(mem):
            rm[x] = pre & suf[i + 1]
            rc[x] = cnt - (1 if A[x] else 0)
            pre &= A[x] or _WEEK
        self.gmask[g], self.gcnt[g] = suf[0], cnt
        self.gav[g] = P_AVAIL if cnt >= 2 and suf[0].bit_count() < self.inst.H else 0.0

    def _gout(self, out: int, inn: int) -> float:
        """Shared-time penalty of out's circle once `inn` (or nobody, -1) takes out's place."""
        m, c = self.rest_m[out], self.rest_c[out]
        if inn >= 0:
            a = self.inst.A[inn]
            if a:
                m &= a
                c += 1
        return P_AVAIL if c >= 2 and m.bit_count() < self.inst.H else 0.0

    def _gin(self, g: int, inn: int) -> float:
        """Shared-time penalty of circle g once `inn` joins it."""
        m, c = self.gmask[g], self.gcnt[g]
        a = self.inst.A[inn]
        if a:
            m &= a
            c += 1
        return P_AVAIL if c >= 2 and m.bit_count() < self.inst.H else 0.0

    def total(self) -> float:
        s = 0.0
        for g, mem in enumerate(self.members):
            if g == self.bench:
                continue
            s += P_PLACE * len(mem) - self.gav[g]
            if self.star:
                s += self.own[self.head[g]]
            else:
                s += sum(self.own[x] for x in mem) / 2
        return s

    def rebuild(self, grp: Sequence[int]) -> None:
        for mem in self.members:
            mem.clear()
        for x in range(self.inst.n):
            self._put(x, grp[x])
        for g in range(len(self.members)):
            self.refresh(g)
        self.obj = self.total()

    def swap_delta(self, x: int, y: int, sums: dict[int, float] | None = None) -> float:
        A, B = self.grp[x], self.grp[y]
        own = self.own
        d = 0.0
        if self.bench != A:
            d += self.linked(y, A, x) - own[x]
            if self.avmode:
                d += self.gav[A] - self._gout(x, y)
        if self.bench != B:
            if sums is not None and not self.star:
                sb = sums.get(B)
                if sb is None:
                    sums[B] = sb = self.linked(x, B, -1)
                d += sb - self.pen(x, y) - own[y]
            else:
                d += self.linked(x, B, y) - own[y]
            if self.avmode:
                d += self.gav[B] - self._gout(y, x)
        return d

    def move_ok(self, x: int, B: int) -> bool:
        A = self.grp[x]
        return (self.bench == A or len(self.members[A]) > self.lo[A]) and (
            self.bench == B or len(self.members[B]) < self.hi[B]
        )

    def move_delta(self, x: int, B: int, sums: dict[int, float] | None = None) -> float:
        A = self.grp[x]
        d = 0.0
        if self.bench != A:
            d -= self.own[x]
            if self.avmode:
                d += self.gav[A] - self._gout(x, -1)
        else:
            d += P_PLACE
        if self.bench != B:
            if sums is not None and not self.star:
                sb = sums.get(B)
                if sb is None:
                    sums[B] = sb = self.linked(x, B, -1)
                d += sb
            else:
                d += self.linked(x, B, -1)
            if self.avmode:
                d += self.gav[B] - self._gin(B, x)
        else:
            d -= P_PLACE
        return d

    def do_swap(self, x: int, y: int, d: float) -> tuple[int, int]:
        A, B = self.grp[x], self.grp[y]
        px, py = self.pos[x], self.pos[y]
        self.members[A][px] = y
        self.members[B][py] = x
        self.grp[x], self.grp[y] = B, A
        self.pos[x], self.pos[y] = py, px
        self.refresh(A)
        self.refresh(B)
        self.obj += d
        if self.log is not None:
            self.log.append((1, x, y, d))
        return A, B

    def do_move(self, x: int, B: int, d: float) -> tuple[int, int]:
        A = self.grp[x]
        self._take(x)
        self._put(x, B)
        self.refresh(A)
        self.refresh(B)
        self.obj += d
        if self.log is not None:
            self.log.append((0, x, A, d))
        return A, B

    def undo(self, log: list[tuple[int, int, int, float]]) -> None:
        self.log = None
        for op, x, t, d in reversed(log):
            if op:
                self.do_swap(x, t, -d)
            else:
                self.do_move(x, t, -d)

    # -- local search
    def improve_member(self, x: int) -> tuple[int, int] | None:
        A = self.grp[x]
        best = _EPS
        op: tuple[int, int] | None = None  # (kind 0 move/1 swap, target)
        seen_groups = {A}
        sums: dict[int, float] = {}  # x's linked sum into each neighbouring group
        whole = self.whole
        locked = self.locked
        for y in self.cand.get(x, ()):
            B = self.grp[y]
            if B == A:
                continue
            if B not in seen_groups:
                seen_groups.add(B)
                if self.move_ok(x, B):
                    d = self.move_delta(x, B, sums)
                    if d > best:
                        best, op = d, (0, B)
                if whole:
                    for z in self.members[B]:
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
        return self.work > self.limit or time.perf_counter() > self.deadline

    def descend(self, start: Sequence[int]) -> bool:
        """First-improvement descent driven by a queue of members whose circle changed."""
        from collections import deque

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
        if budget_s <= 0:  # construction only (the benchmark's greedy baseline)
            return
        n = self.inst.n
        self.limit = int(budget_s * _WORK_PER_S) + 20_000
        self.deadline = time.perf_counter() + 3 * budget_s + 0.5
        self.obj = self.total()
        movable = [x for x in range(n) if not self.locked[x]]
        if len(movable) < 2 and not self.spare:
            return
        if self.matrix is None:
            self.climb(movable, max(30, min(3 * len(movable), 300)))
            return
        # Small instances: several seeded starts (the greedy one first), each climbed to a local
        # optimum with repairs and kicks; the best is kept. Stops early once the best has been
        # reached from three different starts, which on easy instances happens at once.
        best = (self.obj, list(self.grp), list(self.head), list(self.hi))
        hits = 0
        # While the best circles still break a rule, restarts start from an exact-cover search
        # for circles that break none: the rules can make such partitions rare and far apart.
        broken, cover = False, n <= _COVER_N
        for r in range(_RESTARTS):
            if r:
                start = self.cover_start(_COVER_NODES) if broken and cover else None
                if start is None:
                    cover = cover and not broken
                    self.shuffle_start(movable)
                else:
                    self.rebuild(start)
            self.climb(movable, _STALL_SMALL)
            if self.obj > best[0] + _EPS:
                best = (self.obj, list(self.grp), list(self.head), list(self.hi))
                broken = any(self._bad(g) for g in range(len(self.members)))
                hits = 1
            elif self.obj > best[0] - _EPS:
                hits += 1
            if hits >= _HITS or self.out_of_budget():
                break
        self.head, self.hi = best[2], best[3]
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
            improved = self.repair() or improved
            if not improved:
                break
        if len(movable) >= 2:
            self.perturb(movable, stall_limit)
        while not self.out_of_budget() and (self.swap_mentors() or self.repair()):
            pass

    def cover_start(self, node_limit: int) -> list[int] | None:
        """A partition that breaks no rule, found by exact-cover search (small instances only).

        Members whose compatible partners are scarcest are placed first; partners are tried
        best-scoring first with random tie-breaks, so every call gives a different, decent start.
        Returns None when the search proves there is none or runs out of nodes.
        """
        inst, m, rng = self.inst, self.matrix, self.rng
        assert m is not None
        n, A, H = inst.n, inst.A, inst.H
        bench = self.bench
        gids = [g for g in range(len(self.members)) if g != bench]
        if any(self.head[g] >= 0 for g in gids) or any(self.locked):
            return None
        sizes: dict[int, list[int]] = {}
        for g in gids:
            sizes.setdefault(len(self.members[g]), []).append(g)
        spare = len(self.members[bench]) if bench >= 0 else 0
        av = self.avmode
        pairwise = inst.pairwise_avail and H > 0
        noise = [rng.random() for _ in range(n)]
        ok: list[list[int]] = []
        for x in range(n):
            row = []
            for y in range(n):
                if y == x or inst.pair_pen(x, y):
                    continue
                if (av or pairwise) and A[x] and A[y] and (A[x] & A[y]).bit_count() < H:
                    continue
                row.append(y)
            row.sort(key=lambda y, x=x: (-m[x][y] - 0.5 * noise[y], y))
            ok.append(row)
        free = [True] * n
        grp = [bench] * n
        left = {s: len(g) for s, g in sizes.items()}
        nodes = 0

        def groups_with(x: int, s: int) -> Iterable[list[int]]:
            part = [y for y in ok[x] if free[y]]
            chosen = [x]

            def extend(start: int, mask: int, cnt: int) -> Iterable[list[int]]:
                nonlocal nodes
                if len(chosen) == s:
                    yield chosen
                    return
                for k in range(start, len(part)):
                    y = part[k]
                    nodes += 1
                    if nodes > node_limit:
                        return
                    if any(inst.pair_pen(y, z) for z in chosen[1:]):
                        continue
                    mk, c = mask, cnt
                    if A[y]:
                        mk &= A[y]
                        c += 1
                    if av and c >= 2 and mk.bit_count() < H:
                        continue
                    if pairwise and any(
                        A[y] and A[z] and (A[y] & A[z]).bit_count() < H for z in chosen[1:]
                    ):
                        continue
                    chosen.append(y)
                    yield from extend(k + 1, mk, c)
                    chosen.pop()

            return extend(0, A[x] or _WEEK, 1 if A[x] else 0)

        def solve(benched: int) -> bool:
            nonlocal nodes
            if nodes > node_limit:
                return False
            todo = [x for x in range(n) if free[x]]
            if not todo:
                return True
            need = min((s for s, k in left.items() if k), default=0)
            if not need:  # every circle is full; the rest wait
                return len(todo) <= spare - benched
            deg = {x: sum(1 for y in ok[x] if free[y]) for x in todo}
            x = min(todo, key=lambda x: (deg[x], noise[x]))
            if deg[x] + 1 < need and benched == spare:
                return False
            free[x] = False
            for s in sorted(left, reverse=True):
                if not left[s]:
                    continue
                for g in groups_with(x, s):
                    for y in g:
                        free[y] = False
                    left[s] -= 1
                    gid = sizes[s][left[s]]
                    for y in g:
                        grp[y] = gid
                    if solve(benched):
                        return True
                    left[s] += 1
                    for y in g[1:]:
                        free[y] = True
                    if nodes > node_limit:
                        free[x] = True
                        return False
            if benched < spare:
                grp[x] = bench
                if solve(benched + 1):
                    return True
            free[x] = True
            return False

        found = solve(0)
        self.work += nodes
        return grp if found else None

    def shuffle_start(self, movable: list[int]) -> None:
        """A random start: the movable members trade places at random, sizes stay as they are."""
        slots = [self.grp[x] for x in movable]
        self.rng.shuffle(slots)
        grp = list(self.grp)
        for x, g in zip(movable, slots, strict=True):
            grp[x] = g
        self.rebuild(grp)

    def perturb(self, movable: list[int], stall_limit: int) -> None:
        """Iterated local search: small random kicks, keep the best; stops when kicks stall."""
        rng = self.rng
        best = self.obj
        stall = 0
        placed = movable
        while stall < stall_limit and not self.out_of_budget():
            log: list[tuple[int, int, int, float]] = []
            self.log = log
            touched: list[int] = []
            for _ in range(rng.choice((1, 2, 2, 3))):
                x = placed[rng.randrange(len(placed))]
                y = placed[rng.randrange(len(placed))]
                if self.grp[x] == self.grp[y]:
                    continue
                d = self.swap_delta(x, y)
                for g in self.do_swap(x, y, d):
                    touched.extend(self.members[g])
            self.descend(touched)
            self.log = None
            if self.obj > best + _EPS:
                best = self.obj
                stall = 0
            else:
                stall += 1
                if self.obj < best - _EPS:
                    self.undo(log)

    # -- pods: a mentor left out of the round may take over a pod
    def swap_mentors(self) -> bool:
        """Replace a pod's mentor by an unused one when that scores better and capacity allows."""
        if not self.spare:
            return False
        improved = False
        avmode = self.avmode
        for u in self.spare:
            if self.grp[u] != self.bench or self.out_of_budget():
                continue
            cap = self.spare_hi[u]
            best, bg = _EPS, -1
            seen: set[int] = set()
            for e in self.spare_cand.get(u, ()):
                g = self.grp[e]
                if g in seen or g == self.bench or self.head[g] < 0:
                    continue
                seen.add(g)
                h = self.head[g]
                if len(self.members[g]) > cap:
                    continue
                d = self.linked(u, g, h) - self.own[h]
                if avmode:
                    d += self.gav[g] - self._gout(h, u)
                if d > best:
                    best, bg = d, g
            if bg >= 0:
                h = self.head[bg]
                self.do_swap(h, u, best)
                self.head[bg] = u
                self.hi[bg] = cap
                improved = True
        return improved

    # -- small instances: targeted repair of circles that break a rule
    def _bad(self, g: int) -> bool:
        if g == self.bench or self.star:
            return False
        if self.gav[g] > 0:
            return True
        pp = self.inst.pair_pen
        mem = self.members[g]
        return any(pp(a, b) for i, a in enumerate(mem) for b in mem[i + 1 :])

    def repair(self) -> bool:
        """Exact 3-cycles and 2-for-2 exchanges through every circle that breaks a rule.

        Single moves and swaps cannot fix a circle when the only way out costs something first
        (say, two people with no shared hours must both leave); these compound moves can.
        """
        if self.matrix is None or self.star:
            return False
        improved = False
        while not self.out_of_budget():
            bad = [g for g in range(len(self.members)) if self._bad(g)]
            if not bad:
                break
            move = self._best_compound(bad)
            if move is None:
                break
            touched: list[int] = []
            for x, y in move:
                for g in self.do_swap(x, y, self.swap_delta(x, y)):
                    touched.extend(self.members[g])
            self.descend(touched)
            improved = True
        return improved

    def _best_compound(self, bad: list[int]) -> list[tuple[int, int]] | None:
        m = self.matrix
        assert m is not None
        inst = self.inst
        locked, own, members = self.locked, self.own, self.members
        groups = [g for g in range(len(members)) if g != self.bench and members[g]]
        L = {g: [sum(map(row.__getitem__, members[g])) for row in m] for g in groups}
        self.work += len(groups) * inst.n
        av = self.avmode
        A, H = inst.A, inst.H

        gpen = self._gout  # circle penalty after `inn` replaces `out`

        best = _EPS
        move: list[tuple[int, int]] | None = None
        gav = self.gav
        work = 0
        for ga in bad:
            ma = [x for x in members[ga] if not locked[x]]
            La = L[ga]
            for gb in groups:
                if gb == ga:
                    continue
                mb = [y for y in members[gb] if not locked[y]]
                Lb = L[gb]
                # 2-for-2: {x1, x2} of ga trade places with {y1, y2} of gb
                for i, x1 in enumerate(ma):
                    for x2 in ma[i + 1 :]:
                        for j, y1 in enumerate(mb):
                            for y2 in mb[j + 1 :]:
                                work += 1
                                d = (
                                    La[y1] - m[y1][x1] - m[y1][x2]
                                    + La[y2] - m[y2][x1] - m[y2][x2]
                                    + Lb[x1] - m[x1][y1] - m[x1][y2]
                                    + Lb[x2] - m[x2][y1] - m[x2][y2]
                                    + 2 * m[y1][y2] + 2 * m[x1][x2]
                                    - own[x1] - own[x2] - own[y1] - own[y2]
                                )  # fmt: skip
                                if av and d + gav[ga] + gav[gb] > best:
                                    d += gav[ga] + gav[gb]
                                    d -= _gpen2(A, H, members[ga], (x1, x2), (y1, y2))
                                    d -= _gpen2(A, H, members[gb], (y1, y2), (x1, x2))
                                if d > best:
                                    best, move = d, [(x1, y1), (x2, y2)]
                # 3-cycles: x of ga -> gb, y of gb -> gc, z of gc -> ga
                for x in ma:
                    for y in mb:
                        dxy = Lb[x] - m[x][y] - own[y]
                        if av:
                            dxy += gav[gb] - gpen(y, x)
                        for gc in groups:
                            if gc in (ga, gb):
                                continue
                            Lc = L[gc]
                            base = dxy + Lc[y] - own[x]
                            if av:
                                base += gav[gc] + gav[ga]
                            for z in members[gc]:
                                if locked[z]:
                                    continue
                                work += 1
                                d = base + La[z] - m[z][x] - m[y][z] - own[z]
                                if av and d > best:
                                    d -= gpen(z, y) + gpen(x, z)
                                if d > best:
                                    best, move = d, [(x, y), (y, z)]
        self.work += work
        return move


def _gpen2(
    A: Sequence[int], H: int, mem: Sequence[int], out: tuple[int, int], inn: tuple[int, int]
) -> float:
    """Shared-time penalty of circle `mem` once the two `inn` replace the two `out`."""
    m, cnt = _WEEK, 0
    for b in mem:
        if b != out[0] and b != out[1] and A[b]:
            m &= A[b]
            cnt += 1
    for b in inn:
        if A[b]:
            m &= A[b]
            cnt += 1
    return P_AVAIL if cnt >= 2 and m.bit_count() < H else 0.0


# --------------------------------------------------------------------------- construction


def _greedy_fill(
    s: _Search, plan: Sequence[tuple[int, int]], order: Sequence[int], free: list[bool]
) -> None:
    """Grow each planned group from its seed (or the most constrained free member) greedily.

    Candidates are the neighbours of the members already in the group plus the next few free
    members in constraint order, so late groups are still filled when neighbour lists run dry.
    """
    pen = s.pen
    cand = s.cand
    ptr = 0
    for g, target in plan:
        mem = s.members[g]
        if not mem:
            while ptr < len(order) and not free[order[ptr]]:
                ptr += 1
            if ptr == len(order):
                return
            x = order[ptr]
            s.place(x, g)
            free[x] = False
        acc: dict[int, float] = {}

        def consider(c: int, mem: list[int] = mem, acc: dict[int, float] = acc) -> None:
            if free[c] and c not in acc:
                acc[c] = sum(pen(c, m) for m in mem)

        for m in mem:
            for c in cand.get(m, ()):
                consider(c)
        while len(mem) < target:
            q = ptr
            extra = 0
            while q < len(order) and extra < 3:
                c = order[q]
                if free[c]:
                    consider(c)
                    extra += 1
                q += 1
            best = -1
            bv = -math.inf
            for c, v in acc.items():
                if not free[c]:
                    continue
                if s.avmode:
                    v -= s.gav_with(g, -1, c)
                if v > bv:
                    best, bv = c, v
            if best < 0:
                break
            s.place(best, g)
            free[best] = False
            del acc[best]
            for c in list(acc):
                if free[c]:
                    acc[c] += pen(c, best)
                else:
                    del acc[c]
            for c in cand.get(best, ()):
                consider(c)
    for g in range(len(s.members)):
        s.refresh(g)


def _greedy_pairs(
    s: _Search, groups: Sequence[int], order: Sequence[int], rank: Sequence[int]
) -> None:
    """Heaviest edges first (a 1/2-approximate matching), then pair up the rest in order."""
    pen = s.pen
    free = [s.grp[x] == s.bench and not s.locked[x] for x in range(s.inst.n)]
    edges = []
    for a, cs in s.cand.items():
        for b in cs:
            if a < b or a not in s.cand.get(b, ()):
                edges.append((-pen(a, b), rank[a], rank[b], a, b))
    edges.sort()
    gi = 0
    for _, _, _, a, b in edges:
        if gi == len(groups):
            break
        if free[a] and free[b] and a != b:
            s.place(a, groups[gi])
            s.place(b, groups[gi])
            free[a] = free[b] = False
            gi += 1
    rest = [x for x in order if free[x]]
    taken = [False] * len(rest)
    for i, a in enumerate(rest):
        if gi == len(groups):
            break
        if taken[i]:
            continue
        best, bv = -1, -math.inf
        for j in range(i + 1, min(len(rest), i + 40)):
            if not taken[j]:
                v = pen(a, rest[j])
                if v > bv:
                    best, bv = j, v
        if best < 0:
            continue
        taken[i] = taken[best] = True
        s.place(a, groups[gi])
        s.place(rest[best], groups[gi])
        gi += 1
    for g in range(len(s.members)):
        s.refresh(g)


def _greedy_star(s: _Search, mentees: Sequence[int], rank: Sequence[int]) -> None:
    """Assign mentees to mentors by heaviest edge first, then fill any mentor with room."""
    pen = s.pen
    free = {e: True for e in mentees}
    edges = []
    for e in mentees:
        for m in s.cand.get(e, ()):
            if s.locked[m]:
                edges.append((-pen(e, m), rank[e], rank[m], e, s.grp[m]))
    edges.sort()
    for _, _, _, e, g in edges:
        if free[e] and len(s.members[g]) < s.hi[g]:
            s.place(e, g)
            free[e] = False
    room = [g for g in range(len(s.members)) if g != s.bench and len(s.members[g]) < s.hi[g]]
    for e in mentees:
        if not free[e]:
            continue
        room = [g for g in room if len(s.members[g]) < s.hi[g]]
        if not room:
            break
        g = max(room[:60], key=lambda g: (pen(e, s.head[g]), -g))
        s.place(e, g)
        free[e] = False
    for g in range(len(s.members)):
        s.refresh(g)


# --------------------------------------------------------------------------- public entry points


def _sizes(n: int, lo: int, hi: int) -> list[int]:
    """As many circles as the minimum size allows; extra people make some circles bigger."""
    k = n // lo
    if k == 0:
        return []
    base, rem = divmod(n, k)
    return [min(base + 1, hi)] * rem + [min(base, hi)] * (k - rem)


def _namer(names: Mapping[int, str] | None) -> Callable[[int], str]:
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
    inst = _Inst(cands, settings, recent_pairs)
    n = inst.n
    rng = random.Random(settings.seed)
    perm = list(range(n))
    rng.shuffle(perm)
    rank = [0] * n
    for r, x in enumerate(perm):
        rank[x] = r
    hours = [a.bit_count() if a else 999 for a in inst.A]
    order = sorted(range(n), key=lambda i: (-inst.nforb[i], hours[i], rank[i]))
    kind = settings.kind
    lo = max(1, settings.min_size)
    hi = max(lo, settings.max_size)
    name = _namer(names)
    waitlist: dict[int, str] = {}
    star = kind == "mentor_pair"
    s = _Search(inst, rng, star=star)

    if kind == "pod":
        need = max(1, lo - 1)
        mentors = [i for i in range(n) if inst.mentor[i]]
        mentees = [i for i in range(n) if not inst.mentor[i]]
        eligible = [m for m in mentors if min(cands[m].capacity, hi - 1) >= need]
        for m in mentors:
            if m not in eligible:
                waitlist[cands[m].id] = (
                    f"a pod needs at least {need} mentees, more than your mentee capacity of "
                    f"{max(0, cands[m].capacity)} (or the maximum pod size of {hi})"
                )
        pre = _neighbours(inst, eligible, mentees, 16, rank)
        demand = {
            m: sum(sorted((inst.pen(m, e) for e in pre.get(m, ())), reverse=True)[: need + 1])
            for m in eligible
        }
        eligible.sort(key=lambda m: (-demand[m], rank[m]))
        npods = min(len(eligible), len(mentees) // need)
        chosen, unused = eligible[:npods], eligible[npods:]
        for m in unused:
            s.locked[m] = True
        # Local search may hand a pod to an unused mentor who suits its mentees better.
        s.spare = sorted(eligible, key=lambda m: rank[m])
        s.spare_hi = {m: min(cands[m].capacity, hi - 1) + 1 for m in eligible}
        s.spare_cand = {m: pre.get(m, []) for m in eligible}
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
        cand = _neighbours(inst, mentees, mentees, 10, rank)
        cm = _neighbours(inst, mentees, chosen, 5, rank) if chosen else {}
        for e in mentees:
            cand[e] = cand.get(e, []) + cm.get(e, [])
        cand.update(_neighbours(inst, chosen, mentees, 16, rank))
        s.cand = cand
        free = [not inst.mentor[x] for x in range(n)]
        _greedy_fill(s, [(g, alloc[i] + 1) for i, g in enumerate(groups)], order, free)
    elif star:
        mentors = [i for i in range(n) if inst.mentor[i] and cands[i].capacity > 0]
        mentees = [i for i in range(n) if not inst.mentor[i]]
        for i in range(n):
            if inst.mentor[i] and cands[i].capacity <= 0:
                waitlist[cands[i].id] = "your mentee capacity is 0 this round"
        for m in mentors:
            s.add_group(1, 1 + cands[m].capacity, head=m)
        s.open_bench()
        for i in range(n):
            if inst.mentor[i] and cands[i].capacity <= 0:
                s.locked[i] = True
        cand = _neighbours(inst, mentees, mentors, 8, rank) if mentors else {}
        ce = _neighbours(inst, mentees, mentees, 6, rank)
        for e in mentees:
            cand[e] = cand.get(e, []) + ce.get(e, [])
        for m, cs in _neighbours(inst, mentors, mentees, 12, rank).items():
            cand[m] = cs
            for e in cs:
                if m not in cand.get(e, ()):
                    cand.setdefault(e, []).append(m)
        s.cand = cand
        _greedy_star(s, [e for e in order if not inst.mentor[e]], rank)
    elif kind in PAIR_KINDS:
        groups = [s.add_group(2, 2) for _ in range(n // 2)]
        s.open_bench()
        s.cand = _neighbours(inst, range(n), range(n), 10, rank)
        _greedy_pairs(s, groups, order, rank)
    else:
        sizes = _sizes(n, lo, hi)
        groups = [s.add_group(lo, hi) for _ in sizes]
        s.open_bench()
        s.cand = _neighbours(inst, range(n), range(n), 10, rank)
        _greedy_fill(s, list(zip(groups, sizes, strict=True)), order, [True] * n)

    s.run(settings.time_budget_s)
    for m in s.spare:
        if s.grp[m] == s.bench:
            waitlist[cands[m].id] = "there were not enough mentees for another pod this round"
    return _result(inst, s, waitlist, name)


def _linked_pairs(s: _Search, g: int) -> list[tuple[int, int]]:
    mem = sorted(s.members[g])
    if s.star:
        h = s.head[g]
        return [_pair_key(h, e) for e in mem if e != h]
    return [(a, b) for i, a in enumerate(mem) for b in mem[i + 1 :]]


def _pair_rules(
    inst: _Inst, pairs: Iterable[tuple[int, int]], name: Callable[[int], str]
) -> list[str]:
    out = []
    ids = inst.ids
    for a, b in pairs:
        na, nb = name(ids[a]), name(ids[b])
        if (a, b) in inst.never:
            out.append(f"{na} and {nb} asked not to be matched (no alternative)")
        if (a, b) in inst.recent:
            out.append(f"{na} and {nb} met in a recent round (no alternative)")
        if inst.pairwise_avail and inst.H > 0:
            x, y = inst.A[a], inst.A[b]
            if x and y and (x & y).bit_count() < inst.H:
                h = (x & y).bit_count()
                out.append(
                    f"{na} and {nb} share only {h}h of weekly time, below the {inst.H}h minimum (no alternative)"
                )
        if inst.kind == "near_peer":
            gap = abs(inst.E[a] - inst.E[b])
            if not 1 <= gap <= 2:
                out.append(
                    f"{na} and {nb} are {gap} experience levels apart, not 1–2 (no closer match)"
                )
    return out


def _shared_mask(inst: _Inst, mem: Iterable[int]) -> tuple[int, int]:
    m = _WEEK
    cnt = 0
    for x in mem:
        if inst.A[x]:
            m &= inst.A[x]
            cnt += 1
    return (m if cnt else 0), cnt


def _result(
    inst: _Inst, s: _Search, waitlist: dict[int, str], name: Callable[[int], str]
) -> MatchResult:
    cands = inst.cands
    kind = inst.kind
    lo, hi = inst.settings.min_size, inst.settings.max_size
    groups: list[Group] = []
    bench = sorted(s.members[s.bench]) if s.bench >= 0 else []
    for g, mem in enumerate(s.members):
        if g == s.bench or not mem:
            continue
        if s.star:
            h = s.head[g]
            mentees = sorted(x for x in mem if x != h)
            if not mentees:
                waitlist[cands[h].id] = "no mentee was left to pair with you this round"
            for e in mentees:
                groups.append(_make_group(inst, [h, e], h, name))
            continue
        mem = sorted(mem)
        mentor: int | None = None
        if kind == "pod":
            mentor = s.head[g]
        elif kind in PAIR_KINDS and len(mem) == 2:
            mentor = _pair_lead(inst, mem[0], mem[1])
        groups.append(_make_group(inst, mem, mentor, name))
    free_mentor_room = any(
        g != s.bench and s.head[g] >= 0 and len(s.members[g]) < s.hi[g]
        for g in range(len(s.members))
    )
    for x in bench:
        cid = cands[x].id
        if cid in waitlist:
            continue
        if kind in ("pod", "mentor_pair"):
            if inst.mentor[x]:
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
    groups.sort(key=lambda gr: gr.member_ids)
    broken = [r for gr in groups for r in gr.broken_rules]
    return MatchResult(
        groups, dict(sorted(waitlist.items())), sum(gr.score for gr in groups), broken
    )


def _pair_lead(inst: _Inst, a: int, b: int) -> int | None:
    """Who leads a pair: the senior in near-peer pairs, the junior who teaches in reverse ones."""
    kind = inst.kind
    if kind == "near_peer":
        if inst.E[a] != inst.E[b]:
            return a if inst.E[a] > inst.E[b] else b
        return a
    if kind == "reverse":
        if inst.E[a] != inst.E[b]:
            return a if inst.E[a] < inst.E[b] else b
        ab = (inst.O[a] & inst.W[b]).bit_count()
        ba = (inst.O[b] & inst.W[a]).bit_count()
        return a if ab >= ba else b
    return None


def _make_group(
    inst: _Inst, mem: list[int], mentor: int | None, name: Callable[[int], str]
) -> Group:
    mem = sorted(mem)
    if inst.kind == "mentor_pair" and mentor is not None:
        pairs = [_pair_key(mem[0], mem[1])]
    else:
        pairs = [(a, b) for i, a in enumerate(mem) for b in mem[i + 1 :]]
    score = sum(inst.raw(a, b) for a, b in pairs)
    rules = _pair_rules(inst, pairs, name)
    shared, cnt = _shared_mask(inst, mem)
    if not inst.pairwise_avail and inst.H > 0 and cnt >= 2 and shared.bit_count() < inst.H:
        rules.append(
            f"this circle shares only {shared.bit_count()}h of weekly time, below the {inst.H}h minimum (no alternative)"
        )
    ids = [inst.cands[x].id for x in mem]
    return Group(
        tuple(ids),
        inst.cands[mentor].id if mentor is not None else None,
        round(score, 6),
        _explain(inst, mem, mentor, name),
        rules,
    )


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _common(sets: Sequence[frozenset[str]]) -> tuple[list[str], str | None, int]:
    inter = sorted(frozenset.intersection(*sets)) if sets else []
    counts: dict[str, int] = {}
    for st in sets:
        for t in st:
            counts[t] = counts.get(t, 0) + 1
    best = min(counts.items(), key=lambda kv: (-kv[1], kv[0]), default=(None, 0))
    return inter, best[0], best[1]


def _explain(inst: _Inst, mem: list[int], mentor: int | None, name: Callable[[int], str]) -> str:
    """A short human sentence on why these people meet: shared topics, who can help, shared time."""
    cands = [inst.cands[x] for x in mem]
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
        m = inst.cands[mentor]
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
        gap = inst.E[mentor] - inst.E[other]
        if gap > 0:
            parts.append(
                f"{name(inst.cands[mentor].id)} is {gap} level{'s' if gap > 1 else ''} ahead"
            )
    if inst.kind == "cross_functional":
        depts = sorted({c.department for c in cands if c.department})
        if len(depts) >= 2:
            parts.append(f"{len(depts)} departments meet ({_join(depts)})")
    shared, n_avail = _shared_mask(inst, mem)
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
    inst = _Inst(sorted(pool.values(), key=lambda c: c.id), settings, recent_pairs)
    me = inst.index[candidate.id]
    max_size = 2 if kind in PAIR_KINDS else settings.max_size
    full = blocked_rule = blocked_time = 0
    best: tuple[float, int, int] | None = None
    best_cid: int | None = None
    for cid in sorted(circles):
        members = [inst.index[c.id] for c in circles[cid] if c.id != candidate.id]
        if kind in ("pod", "mentor_pair"):
            mentors = [x for x in members if inst.mentor[x]]
            mentees = len(members) - len(mentors)
            if (
                inst.mentor[me]
                or not mentors
                or mentees >= inst.cands[mentors[0]].capacity
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
        if any(_pair_key(me, x) in inst.forb for x in members):
            blocked_rule += 1
            continue
        shared, cnt = _shared_mask(inst, [*members, me])
        if inst.H > 0 and inst.A[me] and cnt >= 2 and shared.bit_count() < inst.H:
            blocked_time += 1
            continue
        score = sum(inst.raw(me, x) for x in members)
        key = (score, -len(members), -cid)
        if best is None or key > best:
            best, best_cid = key, cid
    if best_cid is not None:
        members = sorted(
            [inst.index[c.id] for c in circles[best_cid] if c.id != candidate.id] + [me]
        )
        mentor = (
            next((x for x in members if inst.mentor[x]), None)
            if kind in ("pod", "mentor_pair")
            else None
        )
        return best_cid, _explain(inst, members, mentor, _namer(None))
    if blocked_rule or blocked_time:
        why = []
        if blocked_rule:
            why.append("include someone you met recently or opted out of")
        if blocked_time:
            why.append(f"share less than {inst.H}h of weekly time with you")
        return (
            None,
            f"the circles with room {' or '.join(why)}; you're on the waitlist for next round",
        )
    if kind in ("pod", "mentor_pair") and inst.mentor[me]:
        return None, "every circle already has its mentor; you're on the waitlist for next round"
    if kind in ("pod", "mentor_pair"):
        return None, "there was no mentor with free capacity; you're on the waitlist for next round"
    return None, "every circle is full this round; you're on the waitlist for next round"
