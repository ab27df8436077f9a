"""Behaviour of circle formation: what members and organisers can rely on."""

from __future__ import annotations

from circles.matching import (
    Candidate,
    MatchSettings,
    Weights,
    form_circles,
    pair_score,
    place_late_joiner,
)

# Monday and Tuesday 14:00–17:00 UTC
OFFICE = frozenset({14, 15, 16, 24 + 14, 24 + 15, 24 + 16})
# Thursday 02:00–05:00 UTC: no overlap with OFFICE
NIGHT = frozenset({3 * 24 + 2, 3 * 24 + 3, 3 * 24 + 4})


def people(n: int, **kw: object) -> list[Candidate]:
    return [Candidate(id=i, **kw) for i in range(n)]  # type: ignore[arg-type]


def placed_ids(result) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(m for g in result.groups for m in g.member_ids)


def test_everyone_is_placed_or_waitlisted_never_both() -> None:
    result = form_circles(people(11), MatchSettings(min_size=4, max_size=6))
    placed = placed_ids(result)
    assert sorted(placed + list(result.waitlist)) == list(range(11))
    assert not set(placed) & set(result.waitlist)


def test_odd_counts_make_a_bigger_circle_instead_of_leaving_someone_out() -> None:
    result = form_circles(people(9), MatchSettings(min_size=4, max_size=6))
    assert sorted(len(g.member_ids) for g in result.groups) == [4, 5]
    assert result.waitlist == {}


def test_leftovers_that_cannot_fit_are_waitlisted_with_a_reason() -> None:
    result = form_circles(people(10), MatchSettings(min_size=4, max_size=4))
    assert len(result.groups) == 2
    assert len(result.waitlist) == 2
    assert all("size bounds" in why for why in result.waitlist.values())


def test_too_few_people_are_all_waitlisted() -> None:
    result = form_circles(people(3), MatchSettings(min_size=4, max_size=6))
    assert result.groups == []
    assert set(result.waitlist) == {0, 1, 2}


def test_people_with_shared_interests_end_up_together() -> None:
    chess = [Candidate(i, interests=frozenset({"chess"})) for i in range(4)]
    cooking = [Candidate(i + 4, interests=frozenset({"cooking"})) for i in range(4)]
    result = form_circles(chess + cooking, MatchSettings(min_size=4, max_size=4))
    assert sorted(g.member_ids for g in result.groups) == [(0, 1, 2, 3), (4, 5, 6, 7)]


def test_recent_pairs_are_avoided_when_possible() -> None:
    cands = people(8, interests=frozenset({"go"}))
    recent = {frozenset({0, 1}), frozenset({2, 3}), frozenset({4, 5}), frozenset({6, 7})}
    result = form_circles(cands, MatchSettings(min_size=4, max_size=4), recent_pairs=recent)
    for g in result.groups:
        assert not any(p <= set(g.member_ids) for p in recent)
    assert result.broken_rules == []


def test_unavoidable_repeat_is_reported_with_names() -> None:
    result = form_circles(
        people(2),
        MatchSettings(kind="skill_swap"),
        recent_pairs={frozenset({0, 1})},
        names={0: "Ana", 1: "Bo"},
    )
    assert len(result.groups) == 1
    assert result.broken_rules == ["Ana and Bo met in a recent round (no alternative)"]


def test_never_with_is_honoured_in_both_directions() -> None:
    cands = [Candidate(0, never_with=frozenset({1}))] + [Candidate(i) for i in range(1, 8)]
    cands[2] = Candidate(2, never_with=frozenset({3}))
    result = form_circles(cands, MatchSettings(min_size=4, max_size=4))
    for g in result.groups:
        assert not {0, 1} <= set(g.member_ids)
        assert not {2, 3} <= set(g.member_ids)


def test_circles_share_weekly_hours_when_possible() -> None:
    cands = [Candidate(i, availability=OFFICE if i % 2 else NIGHT) for i in range(8)]
    result = form_circles(cands, MatchSettings(min_size=4, max_size=4))
    for g in result.groups:
        assert len({i % 2 for i in g.member_ids}) == 1
    assert result.broken_rules == []


def test_explanation_mentions_shared_interests_and_hours() -> None:
    cands = [
        Candidate(i, interests=frozenset({"public speaking"}), availability=OFFICE)
        for i in range(4)
    ]
    result = form_circles(cands, MatchSettings(min_size=4, max_size=4))
    (group,) = result.groups
    assert "public speaking" in group.explanation
    assert "6h of shared time on Mon/Tue (UTC)" in group.explanation


def test_pod_has_exactly_one_mentor_and_respects_capacity() -> None:
    mentors = [
        Candidate(
            100 + i, role="mentor", experience=5, capacity=3, skills_offered=frozenset({"sql"})
        )
        for i in range(3)
    ]
    mentees = [Candidate(i, role="mentee", goals=frozenset({"sql"})) for i in range(10)]
    result = form_circles(mentors + mentees, MatchSettings(kind="pod", min_size=3, max_size=5))
    placed = set()
    for g in result.groups:
        in_pod = [m for m in g.member_ids if m >= 100]
        assert in_pod == [g.mentor_id]
        assert 3 <= len(g.member_ids) <= 4  # capacity 3 mentees + mentor
        placed |= set(g.member_ids)
    assert len(result.waitlist) == 1
    (reason,) = result.waitlist.values()
    assert "no mentor with free capacity" in reason
    assert placed.isdisjoint(result.waitlist)


def test_pod_mentor_without_enough_mentees_is_waitlisted_with_reason() -> None:
    mentors = [Candidate(100 + i, role="mentor", capacity=4) for i in range(3)]
    mentees = [Candidate(i, role="mentee") for i in range(4)]
    result = form_circles(mentors + mentees, MatchSettings(kind="pod", min_size=3, max_size=5))
    assert len(result.groups) == 2
    assert len([m for m in result.waitlist if m >= 100]) == 1
    assert all("mentees" in why for why in result.waitlist.values())


def test_pod_mentees_go_to_the_mentor_who_offers_what_they_want() -> None:
    sql = Candidate(100, role="mentor", capacity=3, skills_offered=frozenset({"sql"}))
    ux = Candidate(101, role="mentor", capacity=3, skills_offered=frozenset({"ux research"}))
    mentees = [
        Candidate(i, role="mentee", skills_wanted=frozenset({"sql" if i < 3 else "ux research"}))
        for i in range(6)
    ]
    result = form_circles([sql, ux, *mentees], MatchSettings(kind="pod", min_size=3, max_size=4))
    by_mentor = {g.mentor_id: set(g.member_ids) for g in result.groups}
    assert by_mentor == {100: {0, 1, 2, 100}, 101: {3, 4, 5, 101}}
    assert "can help with sql" in next(g for g in result.groups if g.mentor_id == 100).explanation


def test_mentor_pairs_respect_mentor_capacity() -> None:
    mentors = [Candidate(100, role="mentor", capacity=2), Candidate(101, role="mentor", capacity=1)]
    mentees = [Candidate(i, role="mentee") for i in range(5)]
    result = form_circles(mentors + mentees, MatchSettings(kind="mentor_pair"))
    assert all(len(g.member_ids) == 2 for g in result.groups)
    per_mentor = {m: sum(g.mentor_id == m for g in result.groups) for m in (100, 101)}
    assert per_mentor == {100: 2, 101: 1}
    assert len(result.waitlist) == 2
    assert all("no mentor with free capacity" in why for why in result.waitlist.values())


def test_skill_swap_pairs_are_reciprocal_when_possible() -> None:
    cands = [
        Candidate(0, skills_offered=frozenset({"sql"}), skills_wanted=frozenset({"figma"})),
        Candidate(1, skills_offered=frozenset({"figma"}), skills_wanted=frozenset({"sql"})),
        Candidate(2, skills_offered=frozenset({"go"}), skills_wanted=frozenset({"rust"})),
        Candidate(3, skills_offered=frozenset({"rust", "sql"}), skills_wanted=frozenset({"go"})),
    ]
    result = form_circles(cands, MatchSettings(kind="skill_swap"))
    assert sorted(g.member_ids for g in result.groups) == [(0, 1), (2, 3)]
    s = MatchSettings(kind="skill_swap")
    assert pair_score(cands[0], cands[1], s) > pair_score(cands[0], cands[3], s)


def test_near_peer_pairs_are_one_or_two_levels_apart_and_senior_leads() -> None:
    cands = [Candidate(i, experience=lvl) for i, lvl in enumerate([1, 5, 2, 4])]
    result = form_circles(cands, MatchSettings(kind="near_peer"))
    assert sorted(g.member_ids for g in result.groups) == [(0, 2), (1, 3)]
    assert {g.mentor_id for g in result.groups} == {2, 1}


def test_reverse_mentoring_junior_who_offers_what_senior_wants_leads() -> None:
    senior = Candidate(0, experience=5, skills_wanted=frozenset({"tiktok"}))
    junior = Candidate(1, experience=1, skills_offered=frozenset({"tiktok"}))
    result = form_circles([senior, junior], MatchSettings(kind="reverse"))
    (group,) = result.groups
    assert group.mentor_id == 1


def test_odd_number_of_pairs_waitlists_one_with_reason() -> None:
    result = form_circles(people(5), MatchSettings(kind="skill_swap"))
    assert len(result.groups) == 2
    (reason,) = result.waitlist.values()
    assert "odd number" in reason


def test_cross_functional_mixes_departments() -> None:
    cands = [Candidate(i, department="Eng" if i < 4 else "Sales") for i in range(8)]
    result = form_circles(cands, MatchSettings(kind="cross_functional", min_size=4, max_size=4))
    for g in result.groups:
        assert {cands[m].department for m in g.member_ids} == {"Eng", "Sales"}
    assert "departments meet" in result.groups[0].explanation


def test_department_weight_can_penalise_mixing() -> None:
    cands = [Candidate(i, department="Eng" if i % 2 else "Sales") for i in range(8)]
    settings = MatchSettings(min_size=4, max_size=4, weights=Weights(department=-1.0))
    result = form_circles(cands, settings)
    for g in result.groups:
        assert len({cands[m].department for m in g.member_ids}) == 1


def test_same_seed_same_result() -> None:
    cands = [Candidate(i, interests=frozenset({f"t{i % 3}", f"u{i % 5}"})) for i in range(30)]
    a = form_circles(cands, MatchSettings(seed=7))
    b = form_circles(list(reversed(cands)), MatchSettings(seed=7))
    assert a == b


def test_late_joiner_goes_to_circle_with_room_else_waitlist() -> None:
    joiner = Candidate(99, interests=frozenset({"chess"}), availability=OFFICE)
    circles = {
        1: [Candidate(i, interests=frozenset({"chess"})) for i in range(6)],  # full
        2: [Candidate(i, interests=frozenset({"chess"})) for i in range(6, 10)],
        3: [Candidate(i) for i in range(10, 14)],
    }
    settings = MatchSettings(min_size=4, max_size=6)
    cid, why = place_late_joiner(joiner, circles, settings)
    assert cid == 2
    assert "chess" in why

    full = {1: circles[1]}
    cid, why = place_late_joiner(joiner, full, settings)
    assert cid is None
    assert "waitlist" in why


def test_late_joiner_avoids_recent_partners_and_opt_outs() -> None:
    joiner = Candidate(99, never_with=frozenset({0}))
    circles = {1: [Candidate(0), Candidate(1), Candidate(2)], 2: [Candidate(3), Candidate(4)]}
    settings = MatchSettings(min_size=2, max_size=4)
    assert place_late_joiner(joiner, circles, settings)[0] == 2
    cid, why = place_late_joiner(joiner, circles, settings, recent_pairs={frozenset({99, 3})})
    assert cid is None
    assert "met recently or opted out" in why


def test_late_joiner_in_pods_needs_mentor_capacity() -> None:
    mentor = Candidate(100, role="mentor", capacity=2)
    circles = {1: [mentor, Candidate(1, role="mentee"), Candidate(2, role="mentee")]}
    settings = MatchSettings(kind="pod", min_size=3, max_size=6)
    cid, why = place_late_joiner(Candidate(9, role="mentee"), circles, settings)
    assert cid is None
    assert "no mentor with free capacity" in why


def test_pair_score_rewards_shared_interests_and_goals() -> None:
    s = MatchSettings()
    a = Candidate(1, interests=frozenset({"go", "chess"}), goals=frozenset({"speak"}))
    b = Candidate(2, interests=frozenset({"go", "chess"}), goals=frozenset({"speak"}))
    c = Candidate(3, interests=frozenset({"knitting"}))
    assert pair_score(a, b, s) > pair_score(a, c, s)
    assert pair_score(a, b, s) == pair_score(b, a, s)


def test_small_round_keeps_shared_hours_where_plain_swaps_got_stuck() -> None:
    """28 people in two timezone regions with last round's circles as history.

    Circles that all share time are rare here; the earlier matcher stopped at a local optimum
    with one circle sharing no hours (seeds 0 and 3). Restarts from an exact-cover search and
    compound repair moves now find circles that keep every rule.
    """
    from benchmarks.instances import generate, previous_round

    cands = generate(28, 1013, regions=(0, 1), never_with_rate=0.03)
    recent = previous_round(cands, 4, 13)
    for seed in (0, 3):
        result = form_circles(cands, MatchSettings(min_size=4, max_size=4, seed=seed), recent)
        assert result.broken_rules == []
        assert placed_ids(result) == sorted(c.id for c in cands)


def test_pod_goes_to_an_unused_mentor_when_that_keeps_shared_hours() -> None:
    # The first choice by skills fits the mentees but shares no hours with them.
    sql = Candidate(
        100,
        role="mentor",
        capacity=3,
        experience=5,
        skills_offered=frozenset({"sql"}),
        availability=NIGHT,
    )
    near = Candidate(101, role="mentor", capacity=3, experience=4, availability=OFFICE)
    mentees = [
        Candidate(i, role="mentee", skills_wanted=frozenset({"sql"}), availability=OFFICE)
        for i in range(3)
    ]
    result = form_circles([sql, near, *mentees], MatchSettings(kind="pod", min_size=3, max_size=4))
    (group,) = result.groups
    assert group.mentor_id == 101 and group.member_ids == (0, 1, 2, 101)
    assert group.broken_rules == []
    assert "not enough mentees" in result.waitlist[100]
