"""Invariants of circle formation that must hold for any input, checked with hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from circles.matching import PAIR_KINDS, Candidate, MatchResult, MatchSettings, form_circles

TAGS = ["go", "sql", "chess", "speaking", "design", "rust"]
FAST = settings(max_examples=50, deadline=None)


@st.composite
def candidates(draw: st.DrawFn, roles: bool = False, max_n: int = 18) -> list[Candidate]:
    n = draw(st.integers(0, max_n))
    out = []
    for i in range(n):
        tags = st.frozensets(st.sampled_from(TAGS), max_size=3)
        role = draw(st.sampled_from(["mentor", "mentee", "mentee"])) if roles else "peer"
        start = draw(st.sampled_from([0, 8, 16]))
        out.append(
            Candidate(
                id=i * 3 + 1,
                role=role,
                experience=draw(st.integers(1, 5)),
                interests=draw(tags),
                goals=draw(tags),
                skills_offered=draw(tags),
                skills_wanted=draw(tags),
                availability=frozenset(range(start, start + draw(st.integers(0, 10)))),
                capacity=draw(st.integers(0, 4)),
            )
        )
    return out


kinds = st.sampled_from(
    ["peer", "pod", "mentor_pair", "near_peer", "reverse", "skill_swap", "cross_functional"]
)
sizes = st.tuples(st.integers(2, 5), st.integers(0, 3)).map(lambda t: (t[0], t[0] + t[1]))


def check_partition(cands: list[Candidate], result: MatchResult) -> None:
    placed = [m for g in result.groups for m in g.member_ids]
    ids = {c.id for c in cands}
    assert set(placed) | set(result.waitlist) == ids
    assert not set(placed) & set(result.waitlist)
    assert all(why for why in result.waitlist.values())


@FAST
@given(candidates(roles=True), kinds, sizes, st.integers(0, 3))
def test_everyone_placed_or_waitlisted_and_sizes_in_bounds(
    cands: list[Candidate], kind: str, bounds: tuple[int, int], seed: int
) -> None:
    lo, hi = bounds
    s = MatchSettings(kind=kind, min_size=lo, max_size=hi, seed=seed, time_budget_s=0.05)  # type: ignore[arg-type]
    result = form_circles(cands, s)
    check_partition(cands, result)
    by_id = {c.id: c for c in cands}
    for g in result.groups:
        assert list(g.member_ids) == sorted(g.member_ids)
        if kind in PAIR_KINDS:
            assert len(g.member_ids) == 2
        else:
            assert lo <= len(g.member_ids) <= hi
        if kind == "pod":
            mentors = [m for m in g.member_ids if by_id[m].role == "mentor"]
            assert mentors == [g.mentor_id]
            assert len(g.member_ids) - 1 <= by_id[g.mentor_id].capacity
        if kind == "mentor_pair":
            roles = sorted(by_id[m].role for m in g.member_ids)
            assert roles[0] != "mentor" and roles[1] == "mentor"
            assert g.mentor_id is not None and by_id[g.mentor_id].role == "mentor"
    if kind in ("pod", "mentor_pair"):
        # mentors appear in each of their 1:1 pairs; placement counts people, not seats
        load: dict[int, int] = {}
        for g in result.groups:
            assert g.mentor_id is not None
            load[g.mentor_id] = load.get(g.mentor_id, 0) + len(g.member_ids) - 1
        assert all(load[m] <= by_id[m].capacity for m in load)


@FAST
@given(candidates(), st.integers(0, 5))
def test_same_seed_gives_same_result(cands: list[Candidate], seed: int) -> None:
    s = MatchSettings(min_size=3, max_size=5, seed=seed)
    assert form_circles(cands, s) == form_circles(list(reversed(cands)), s)


@st.composite
def avoidable_history(draw: st.DrawFn) -> tuple[list[Candidate], set[frozenset[int]]]:
    """People who met in consecutive blocks of 4 last round: a transversal regrouping exists."""
    blocks = draw(st.integers(4, 6))
    n = blocks * 4
    tags = st.frozensets(st.sampled_from(TAGS), max_size=3)
    cands = [Candidate(i, interests=draw(tags), goals=draw(tags)) for i in range(n)]
    recent = {
        frozenset({b * 4 + i, b * 4 + j})
        for b in range(blocks)
        for i in range(4)
        for j in range(i + 1, 4)
    }
    return cands, recent


@FAST
@given(avoidable_history(), st.integers(0, 3))
def test_no_repeats_when_avoidable(
    data: tuple[list[Candidate], set[frozenset[int]]], seed: int
) -> None:
    cands, recent = data
    result = form_circles(
        cands, MatchSettings(min_size=4, max_size=4, seed=seed), recent_pairs=recent
    )
    for g in result.groups:
        members = set(g.member_ids)
        assert not any(p <= members for p in recent)
    assert result.broken_rules == []
    assert result.waitlist == {}


@FAST
@given(st.integers(2, 12), st.integers(0, 3))
def test_pairs_avoid_repeats_when_avoidable(half: int, seed: int) -> None:
    """Last round paired 2k with 2k+1; a different perfect pairing always exists for 4+ people."""
    n = half * 2
    if n < 4:
        n = 4
    cands = [Candidate(i, interests=frozenset({"go"})) for i in range(n)]
    recent = {frozenset({2 * k, 2 * k + 1}) for k in range(n // 2)}
    result = form_circles(cands, MatchSettings(kind="skill_swap", seed=seed), recent_pairs=recent)
    assert all(frozenset(g.member_ids) not in recent for g in result.groups)
    assert result.broken_rules == []
