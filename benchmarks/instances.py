"""Realistic generated members for the matching benchmark.

Why generated and how: tags follow a skewed (Zipf-like) popularity because a few topics
("leadership", "python") dominate real communities; people live in 3–4 timezone regions and
offer a few working-hour windows in local time, converted to UTC hour-of-week slots; the
previous round groups similar people, so the repeat rule bites where it hurts.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from circles.matching import Candidate

INTERESTS = [
    "leadership", "python", "public speaking", "career growth", "design systems", "data science",
    "machine learning", "product management", "writing", "mentoring", "devops", "security",
    "frontend", "backend", "testing", "accessibility", "ux research", "negotiation",
    "management", "open source", "cloud", "databases", "mobile", "hiring", "remote work",
    "wellbeing", "parenting", "photography", "running", "cooking", "music", "books",
    "startups", "finance", "sales", "marketing", "analytics", "rust", "go", "typescript",
    "kubernetes", "observability", "architecture", "performance", "game dev", "ethics",
    "diversity", "community", "teaching", "statistics",
]  # fmt: skip
GOALS = [
    "grow as a public speaker", "become a manager", "get promoted", "switch careers",
    "learn to delegate", "give better feedback", "build a network", "write more",
    "lead a project", "improve work-life balance", "learn a new language", "start a side project",
    "get better at interviews", "mentor others", "deepen technical skills", "present to execs",
    "run better meetings", "build confidence", "learn system design", "ship faster",
]  # fmt: skip
SKILLS = [
    "python", "sql", "statistics", "figma", "public speaking", "writing", "kubernetes", "react",
    "negotiation", "budgeting", "hiring", "coaching", "system design", "testing", "go", "rust",
    "excel", "storytelling", "facilitation", "product strategy", "ux research", "security",
    "data viz", "machine learning", "typescript", "terraform", "career planning", "feedback",
    "time management", "mentoring",
]  # fmt: skip
DEPARTMENTS = [
    "Engineering",
    "Product",
    "Design",
    "Sales",
    "Marketing",
    "Support",
    "Finance",
    "People",
]
# (name, UTC offsets, share of members)
REGIONS = [
    ("Americas", (-8, -7, -6, -5, -4, -3), 0.35),
    ("Europe", (0, 1, 2), 0.35),
    ("India", (5,), 0.15),
    ("APAC", (8, 9, 10), 0.15),
]


def _zipf(rng: random.Random, items: Sequence[str], k: int, s: float = 1.1) -> frozenset[str]:
    weights = [1.0 / (r + 1) ** s for r in range(len(items))]
    out: set[str] = set()
    while len(out) < k:
        out.add(rng.choices(items, weights)[0])
    return frozenset(out)


def _availability(rng: random.Random, offset: int, wide: bool) -> frozenset[int]:
    slots: set[int] = set()
    days = range(5) if wide else sorted(rng.sample(range(5), rng.randint(3, 5)))
    for d in days:
        start = 9 if wide else rng.randint(9, 13)
        length = 8 if wide else rng.randint(3, 6)
        for h in range(start, start + length):
            slots.add((d * 24 + h - offset) % 168)
    return frozenset(slots)


def generate(
    n: int,
    seed: int,
    *,
    roles: bool = False,
    regions: Sequence[int] = (0, 1, 2, 3),
    wide_hours: bool = False,
    unknown_availability: float = 0.05,
    never_with_rate: float = 0.01,
    zones: int = 0,
    mentor_share: float = 0.2,
) -> list[Candidate]:
    """n members; with roles, about `mentor_share` are mentors with capacity 2–5. With
    `zones`, people spread evenly over that many time zones around the world instead."""
    rng = random.Random(seed)
    regs = [REGIONS[i] for i in regions]
    if zones:
        regs = [
            (f"zone {k}", (round(-10 + 22 * k / max(1, zones - 1)),), 1.0 / zones)
            for k in range(zones)
        ]
    out = []
    for i in range(n):
        _, offsets, _ = rng.choices(regs, [r[2] for r in regs])[0]
        offset = rng.choice(offsets)
        mentor = roles and rng.random() < mentor_share
        exp = rng.choices([1, 2, 3, 4, 5], [0.2, 0.3, 0.25, 0.15, 0.1])[0]
        if mentor:
            exp = max(exp, rng.choice([3, 4, 5]))
        never: frozenset[int] = frozenset()
        if n > 1 and rng.random() < never_with_rate:
            never = frozenset({rng.randrange(n)} - {i})
        out.append(
            Candidate(
                id=i,
                role=("mentor" if mentor else "mentee") if roles else "peer",
                experience=exp,
                department=rng.choice(DEPARTMENTS),
                interests=_zipf(rng, INTERESTS, rng.randint(2, 5)),
                goals=_zipf(rng, GOALS, rng.randint(1, 2)),
                skills_offered=_zipf(rng, SKILLS, rng.randint(1, 3)),
                skills_wanted=_zipf(rng, SKILLS, rng.randint(1, 2)),
                availability=frozenset()
                if rng.random() < unknown_availability
                else _availability(rng, offset, wide_hours),
                never_with=never,
                capacity=rng.randint(2, 5) if mentor else 1,
            )
        )
    return out


def previous_round(cands: Sequence[Candidate], size: int, seed: int) -> set[frozenset[int]]:
    """Pairs from a plausible previous round: similar people (same hours, same top interest)."""
    rng = random.Random(seed + 7919)

    def key(c: Candidate) -> tuple[int, str, float]:
        first = min(c.availability) if c.availability else -1
        return (first % 24, min(c.interests) if c.interests else "", rng.random())

    ordered = sorted(cands, key=key)
    pairs: set[frozenset[int]] = set()
    for s in range(0, len(ordered), size):
        chunk = ordered[s : s + size]
        for i, a in enumerate(chunk):
            for b in chunk[i + 1 :]:
                pairs.add(frozenset({a.id, b.id}))
    return pairs


def history(cands: Sequence[Candidate], rounds: int, size: int, seed: int) -> set[frozenset[int]]:
    """Pairs from several earlier rounds: the first groups similar people, later ones mix."""
    pairs = previous_round(cands, size, seed)
    for r in range(1, rounds):
        rng = random.Random(seed * 31 + r)
        order = [c.id for c in cands]
        rng.shuffle(order)
        for s in range(0, len(order), size):
            chunk = order[s : s + size]
            pairs |= {frozenset({a, b}) for i, a in enumerate(chunk) for b in chunk[i + 1 :]}
    return pairs


# name -> (kind, min size, max size, member counts, generate() options, history rounds, min hours)
FAMILIES: dict[str, tuple[str, int, int, tuple[int, ...], dict[str, object], int, int]] = {
    "peer 3-5 odd": ("peer", 3, 5, (13, 14, 15, 16, 17), {"regions": (0, 1)}, 1, 1),
    "peer 4-6 odd": ("peer", 4, 6, (13, 14, 15, 15, 13), {"regions": (0, 1)}, 1, 1),
    "pods scarce mentors": ("pod", 3, 4, (18, 21, 24, 27, 29), {"roles": True, "mentor_share": 0.15}, 1, 1),
    "pods many mentors": ("pod", 3, 4, (18, 18, 20, 22, 25), {"roles": True, "mentor_share": 0.7}, 1, 1),
    "heavy history 4-5": ("peer", 4, 5, (13, 14, 15, 17, 17), {"regions": (0, 1)}, 4, 1),
    "tight hours 3-4": ("peer", 3, 4, (15, 17, 19, 20, 18), {"regions": (0, 1, 2, 3)}, 1, 3),
    "never-with 3-5": ("peer", 3, 5, (13, 14, 15, 16, 17), {"never_with_rate": 0.35}, 1, 1),
    "skill-swap pairs": ("skill_swap", 2, 2, (13, 19, 24, 29, 27), {}, 2, 1),
    "mentor pairs": ("mentor_pair", 2, 2, (13, 19, 24, 29, 27), {"roles": True, "mentor_share": 0.3}, 2, 1),
    "reverse pairs": ("reverse", 2, 2, (13, 19, 24, 29, 27), {}, 2, 1),
    "near-peer pairs": ("near_peer", 2, 2, (13, 19, 24, 29, 27), {}, 2, 1),
}  # fmt: skip
