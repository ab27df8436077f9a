"""Matching benchmark: quality against an exact optimum, scale, baselines, pairs.

Run ``python -m benchmarks.matching`` (``--quick`` for a fast subset). Prints a plain-text table.
Scale runs happen in a fresh subprocess each so peak memory (ru_maxrss) belongs to one run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Sequence

from benchmarks.instances import generate, previous_round
from circles.matching import (
    P_AVAIL,
    Candidate,
    MatchResult,
    MatchSettings,
    _Inst,
    _sizes,
    form_circles,
)


def group_value(inst: _Inst, ids: Sequence[int], pairwise_only: bool = False) -> float:
    """The matcher's internal objective for one circle: compatibility minus rule penalties."""
    idx = [inst.index[i] for i in ids]
    v = sum(inst.pen(a, b) for k, a in enumerate(idx) for b in idx[k + 1 :])
    return v if pairwise_only else v - inst.avail_pen(idx)


def violations(inst: _Inst, groups: Sequence[Sequence[int]]) -> tuple[int, int]:
    """(recent pairs re-met, circles below the shared-hours minimum)."""
    repeats = tz = 0
    for ids in groups:
        idx = sorted(inst.index[i] for i in ids)
        repeats += sum((a, b) in inst.recent for k, a in enumerate(idx) for b in idx[k + 1 :])
        tz += inst.avail_pen(idx) > 0
    return repeats, tz


def random_baseline(
    cands: Sequence[Candidate], s: MatchSettings, recent: set[frozenset[int]]
) -> list[list[int]]:
    """What simple pairing bots do: shuffle, then fill circles skipping people met recently."""
    rng = random.Random(s.seed)
    pool = [c.id for c in cands]
    rng.shuffle(pool)
    groups: list[list[int]] = []
    for size in _sizes(len(pool), s.min_size, s.max_size):
        g = [pool.pop()]
        while len(g) < size and pool:
            pick = next(
                (
                    k
                    for k in range(len(pool) - 1, -1, -1)
                    if all(frozenset({pool[k], m}) not in recent for m in g)
                ),
                len(pool) - 1,
            )
            g.append(pool.pop(pick))
        groups.append(g)
    return groups


# ----------------------------------------------------------------------------- exact optimum


def exact_optimum(inst: _Inst, size: int, exclude: bool = True) -> float:
    """Set partitioning over every circle of `size`, solved to optimality with HiGHS."""
    import highspy
    import numpy as np

    n = inst.n
    cols = list(itertools.combinations(range(n), size))
    ids = [c.id for c in inst.cands]
    values = [group_value(inst, [ids[x] for x in col]) for col in cols]
    # Circles that break a rule are left out (keeps the ILP small); if that leaves no
    # partition, fall back to all circles with the matcher's penalties.
    kept = [k for k, v in enumerate(values) if v > -1000]
    covered = {x for k in kept for x in cols[k]}
    if exclude and len(covered) == n:
        cols = [cols[k] for k in kept]
        values = [values[k] for k in kept]
    cost = np.array(values)
    lp = highspy.HighsLp()
    lp.num_col_ = len(cols)
    lp.num_row_ = n
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(len(cols))
    lp.col_upper_ = np.ones(len(cols))
    lp.row_lower_ = np.ones(n)
    lp.row_upper_ = np.ones(n)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, size * len(cols) + 1, size, dtype=np.int32)
    lp.a_matrix_.index_ = np.array([x for col in cols for x in col], dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(size * len(cols))
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(cols)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return -float("inf")
    return float(h.getInfo().objective_function_value)


def quality(instances: int) -> list[tuple[str, str]]:
    ratios: dict[str, list[float]] = {"matcher": [], "greedy start": [], "random+avoid": []}
    rep: dict[str, int] = dict.fromkeys(ratios, 0)
    sizes = [16, 20, 24, 28, 32]
    t_ilp = t_match = 0.0
    for k in range(instances):
        n = sizes[k % len(sizes)]
        cands = generate(n, 1000 + k, regions=(0, 1), never_with_rate=0.03)
        recent = previous_round(cands, 4, k)
        s = MatchSettings(min_size=4, max_size=4, seed=k)
        inst = _Inst(cands, s, recent)
        t = time.perf_counter()
        opt = exact_optimum(inst, 4)
        if opt == -float("inf"):  # no rule-keeping partition; rerun with penalties
            opt = exact_optimum(inst, 4, exclude=False)
        t_ilp += time.perf_counter() - t
        t = time.perf_counter()
        runs = {
            "matcher": [list(g.member_ids) for g in form_circles(cands, s, recent).groups],
        }
        t_match += time.perf_counter() - t
        greedy = form_circles(
            cands, MatchSettings(min_size=4, max_size=4, seed=k, time_budget_s=0), recent
        )
        runs["greedy start"] = [list(g.member_ids) for g in greedy.groups]
        runs["random+avoid"] = random_baseline(cands, s, recent)
        for name, groups in runs.items():
            val = sum(group_value(inst, g) for g in groups)
            # A rule broken that the optimum keeps costs >= 1000 (penalty), i.e. counts as 0 %.
            if val >= opt - 1e-6:
                ratios[name].append(100.0)
            else:
                ratios[name].append(max(0.0, 100.0 * val / opt) if opt > 0 else 0.0)
            rep[name] += violations(inst, groups)[0]
    out = []
    for name, rs in ratios.items():
        out.append(
            (
                f"quality 16-32, size 4 ({instances} inst): {name}",
                f"mean {sum(rs) / len(rs):7.2f}% / worst {min(rs):7.2f}% of optimum, repeats {rep[name]} (a broken rule the optimum keeps scores 0%)",
            )
        )
    out.append(("  (time: exact ILP total / matcher total)", f"{t_ilp:.1f}s / {t_match:.1f}s"))
    return out


# ----------------------------------------------------------------------------- scale


def scale_one(n: int, method: str) -> dict[str, float]:
    cands = generate(n, 42)
    recent = previous_round(cands, 5, 42)
    s = MatchSettings(
        min_size=4, max_size=6, seed=1, time_budget_s=0 if method == "greedy" else 1.0
    )
    t = time.perf_counter()
    if method == "random":
        groups = random_baseline(cands, s, recent)
    else:
        res: MatchResult = form_circles(cands, s, recent)
        groups = [list(g.member_ids) for g in res.groups]
    elapsed = time.perf_counter() - t
    inst = _Inst(cands, s, recent)
    reps, tz = violations(inst, groups)
    score = sum(
        group_value(inst, g) + (P_AVAIL if inst.avail_pen([inst.index[i] for i in g]) else 0)
        for g in groups
    )
    score += P_AVAIL * 0  # compatibility with forbidden-pair penalties removed below
    compat = sum(
        inst.raw(inst.index[a], inst.index[b])
        for g in groups
        for k, a in enumerate(g)
        for b in g[k + 1 :]
    )
    return {
        "time": elapsed,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "repeats": reps,
        "tz": tz,
        "groups": len(groups),
        "compat": compat,
    }


def scale(sizes: Sequence[int], methods: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for n in sizes:
        for m in methods:
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks.matching", "--one", str(n), m],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            out.append(
                (
                    f"scale {n:>6} members, 4-6: {m}",
                    f"{r['time']:6.2f}s  peak RSS {r['rss_mb']:5.0f} MB  circles {int(r['groups'])}  "
                    f"compat {r['compat']:9.1f}  repeats {int(r['repeats'])}  tz violations {int(r['tz'])}",
                )
            )
    return out


# ----------------------------------------------------------------------------- pairs


def pairs(sizes: Sequence[int]) -> list[tuple[str, str]]:
    """Pair kinds against networkx's exact maximum-weight matching."""
    import networkx as nx

    out = []
    for kind in ("skill_swap", "mentor_pair"):
        for n in sizes:
            cands = generate(n, 7 + n, roles=kind == "mentor_pair", regions=(0, 1))
            recent = previous_round(cands, 2, n)
            s = MatchSettings(kind=kind, seed=3)  # type: ignore[arg-type]
            inst = _Inst(cands, s, recent)
            t = time.perf_counter()
            res = form_circles(cands, s, recent)
            t_m = time.perf_counter() - t
            got = sum(
                inst.pen(inst.index[g.member_ids[0]], inst.index[g.member_ids[1]])
                for g in res.groups
            )
            g = nx.Graph()
            # Seats: a mentor with capacity c becomes c nodes, so the matching respects capacity.
            if kind == "mentor_pair":
                seats = [
                    (i, k)
                    for i in range(n)
                    if inst.mentor[i]
                    for k in range(max(0, inst.cands[i].capacity))
                ]
                mentees = [i for i in range(n) if not inst.mentor[i]]
                for m, k in seats:
                    for e in mentees:
                        g.add_edge(("m", m, k), ("e", e), weight=inst.pen(m, e) + 2e6)
            else:
                for a in range(n):
                    for b in range(a + 1, n):
                        g.add_edge(a, b, weight=inst.pen(a, b) + 2e6)
            t = time.perf_counter()
            mate = nx.max_weight_matching(g, maxcardinality=True)
            t_x = time.perf_counter() - t
            opt = sum(g[a][b]["weight"] - 2e6 for a, b in mate)
            out.append(
                (
                    f"pairs {kind:<11} n={n:<4}",
                    f"{100 * got / opt:7.2f}% of networkx optimum  (matcher {t_m:.2f}s, networkx {t_x:.1f}s)",
                )
            )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fast subset")
    ap.add_argument("--one", nargs=2, metavar=("N", "METHOD"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(scale_one(int(args.one[0]), args.one[1])))
        return
    rows: list[tuple[str, str]] = []
    if args.quick:
        rows += quality(5)
        rows += scale([1000], ["matcher", "greedy", "random"])
        rows += pairs([60])
    else:
        rows += quality(20)
        rows += scale([1000, 10000], ["matcher", "greedy", "random"])
        rows += scale([50000], ["matcher"])
        rows += pairs([100, 200])
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  result")
    print("-" * (width + 2 + max(len(r[1]) for r in rows)))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
