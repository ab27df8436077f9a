"""Matching benchmark: quality against an exact optimum, scale, baselines, pairs.

Run ``python -m benchmarks.matching`` (``--quick`` for a fast subset). Prints a plain-text table.
Scale runs happen in a fresh subprocess each so peak memory (ru_maxrss) belongs to one run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import subprocess
import sys
import time
from collections.abc import Sequence

from benchmarks.instances import generate, previous_round
from circles.matching import Candidate, MatchResult, MatchSettings, form_circles
from circles.matching.form import circle_sizes
from circles.matching.scoring import Instance


def group_value(inst: Instance, ids: Sequence[int], pairwise_only: bool = False) -> float:
    """The matcher's internal objective for one circle: compatibility minus rule penalties."""
    idx = [inst.index[i] for i in ids]
    v = sum(inst.score(a, b) for k, a in enumerate(idx) for b in idx[k + 1 :])
    return v if pairwise_only else v - inst.circle_time_penalty(idx)


def violations(inst: Instance, groups: Sequence[Sequence[int]]) -> tuple[int, int]:
    """(recent pairs re-met, circles below the shared-hours minimum)."""
    repeats = tz = 0
    for ids in groups:
        idx = sorted(inst.index[i] for i in ids)
        repeats += sum((a, b) in inst.recent for k, a in enumerate(idx) for b in idx[k + 1 :])
        tz += inst.circle_time_penalty(idx) > 0
    return repeats, tz


def breaks(inst: Instance, groups: Sequence[Sequence[int]]) -> int:
    """Hard rules broken: repeated pairs, opted-out pairs, circles without shared time."""
    repeats, tz = violations(inst, groups)
    never = 0
    for ids in groups:
        idx = sorted(inst.index[i] for i in ids)
        never += sum((a, b) in inst.never for k, a in enumerate(idx) for b in idx[k + 1 :])
    return repeats + tz + never


def compat(inst: Instance, groups: Sequence[Sequence[int]]) -> float:
    """Compatibility alone: the pair scores inside circles, no penalties."""
    total = 0.0
    for ids in groups:
        idx = [inst.index[i] for i in ids]
        total += sum(inst.compat(a, b) for k, a in enumerate(idx) for b in idx[k + 1 :])
    return total


def random_baseline(
    cands: Sequence[Candidate], s: MatchSettings, recent: set[frozenset[int]]
) -> list[list[int]]:
    """What simple pairing bots do: shuffle, then fill circles skipping people met recently."""
    rng = random.Random(s.seed)
    pool = [c.id for c in cands]
    rng.shuffle(pool)
    groups: list[list[int]] = []
    for size in circle_sizes(len(pool), s.min_size, s.max_size):
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


def exact_optimum(inst: Instance, size: int, exclude: bool = True) -> tuple[float, list[list[int]]]:
    """Set partitioning over every circle of `size`, solved to optimality with HiGHS.

    Returns the optimal value and circles (member ids)."""
    import highspy
    import numpy as np

    n = inst.n
    cols = list(itertools.combinations(range(n), size))
    ids = [c.id for c in inst.candidates]
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
        return -float("inf"), []
    x = h.getSolution().col_value
    groups = [[ids[i] for i in cols[k]] for k in range(len(cols)) if x[k] > 0.5]
    return float(h.getInfo().objective_function_value), groups


def quality(instances: int) -> list[tuple[str, str]]:
    """Matcher and baselines against the exact optimum of the same penalised objective.

    Columns: `% of optimum` is 100 when the penalised objective reaches the optimum's, 0 when
    the circles break more hard rules than the optimum (worse than any loss of compatibility),
    otherwise compatibility as a share of the optimum's. `compat %` is compatibility alone
    (rules ignored), so baselines that break rules still show how well they group people.
    `breaks` sums hard-rule breaks over all instances for the method / for the optimum.
    """
    names = ["matcher", "greedy start", "random+avoid"]
    ratios: dict[str, list[float]] = {k: [] for k in names}
    compats: dict[str, list[float]] = {k: [] for k in names}
    brk: dict[str, int] = dict.fromkeys(names, 0)
    brk_opt = 0
    sizes = [16, 20, 24, 28, 32]
    t_ilp = t_match = 0.0
    for k in range(instances):
        n = sizes[k % len(sizes)]
        cands = generate(n, 1000 + k, regions=(0, 1), never_with_rate=0.03)
        recent = previous_round(cands, 4, k)
        s = MatchSettings(min_size=4, max_size=4, seed=k)
        inst = Instance(cands, s, recent)
        t = time.perf_counter()
        opt, opt_groups = exact_optimum(inst, 4)
        if opt == -float("inf"):  # no rule-keeping partition; rerun with penalties
            opt, opt_groups = exact_optimum(inst, 4, exclude=False)
        t_ilp += time.perf_counter() - t
        opt_compat = compat(inst, opt_groups)
        opt_breaks = breaks(inst, opt_groups)
        brk_opt += opt_breaks
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
            c = compat(inst, groups)
            b = breaks(inst, groups)
            brk[name] += b
            compats[name].append(100.0 * c / opt_compat if opt_compat > 0 else 100.0)
            if val >= opt - 1e-6:
                ratios[name].append(100.0)
            elif (c - val) > (opt_compat - opt) + 1e-6:  # more penalty than the optimum
                ratios[name].append(0.0)
            else:
                ratios[name].append(100.0 * c / opt_compat if opt_compat > 0 else 0.0)
    out = []
    for name in names:
        rs, cs = ratios[name], compats[name]
        out.append(
            (
                f"quality 16-32, size 4 ({instances} inst): {name}",
                f"% of optimum mean {sum(rs) / len(rs):6.2f} / worst {min(rs):6.2f}   "
                f"compat % of optimum mean {sum(cs) / len(cs):6.2f} / worst {min(cs):6.2f}   "
                f"hard-rule breaks {brk[name]} / {brk_opt} (optimum)",
            )
        )
    out.append(("  (time: exact ILP total / matcher total)", f"{t_ilp:.1f}s / {t_match:.1f}s"))
    return out


# ----------------------------------------------------------------------------- scale


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in kB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def scale_one(n: int, method: str) -> dict[str, float]:
    cands = generate(n, 42)
    recent = previous_round(cands, 5, 42)
    s = MatchSettings(
        min_size=4, max_size=6, seed=1, time_budget_s=0 if method == "greedy" else 1.0
    )
    rss_before = _status_kb("VmRSS")
    t = time.perf_counter()
    if method == "random":
        groups = random_baseline(cands, s, recent)
    else:
        res: MatchResult = form_circles(cands, s, recent)
        groups = [list(g.member_ids) for g in res.groups]
    elapsed = time.perf_counter() - t
    inst = Instance(cands, s, recent)
    reps, tz = violations(inst, groups)
    return {
        "time": elapsed,
        # VmHWM is this process's own high-water mark (ru_maxrss would also include the parent's
        # footprint at fork time, which is why every run used to read the same 118 MB).
        "rss_mb": _status_kb("VmHWM") / 1024,
        "grow_mb": max(0, _status_kb("VmHWM") - rss_before) / 1024,
        "repeats": reps,
        "tz": tz,
        "groups": len(groups),
        "compat": compat(inst, groups),
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
                    f"{r['time']:6.2f}s  peak RSS {r['rss_mb']:5.0f} MB (+{r['grow_mb']:4.0f} MB in run)  circles {int(r['groups'])}  "
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
            inst = Instance(cands, s, recent)
            t = time.perf_counter()
            res = form_circles(cands, s, recent)
            t_m = time.perf_counter() - t
            got = sum(
                inst.score(inst.index[g.member_ids[0]], inst.index[g.member_ids[1]])
                for g in res.groups
            )
            g = nx.Graph()
            # Seats: a mentor with capacity c becomes c nodes, so the matching respects capacity.
            if kind == "mentor_pair":
                seats = [
                    (i, k)
                    for i in range(n)
                    if inst.is_mentor[i]
                    for k in range(max(0, inst.candidates[i].capacity))
                ]
                mentees = [i for i in range(n) if not inst.is_mentor[i]]
                for m, k in seats:
                    for e in mentees:
                        g.add_edge(("m", m, k), ("e", e), weight=inst.score(m, e) + 2e6)
            else:
                for a in range(n):
                    for b in range(a + 1, n):
                        g.add_edge(a, b, weight=inst.score(a, b) + 2e6)
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
        rows += quality(30)
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
