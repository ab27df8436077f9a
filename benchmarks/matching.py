"""Matching benchmark: every instance family against its exact optimum, and large rounds.

Run ``python -m benchmarks.matching`` (everything, a few minutes), ``--families`` for the
quality table only (optionally naming families, e.g. ``--families "mentor pairs"``),
``--scale`` for the large rounds only, ``--quick`` for one instance per family and 10,000
members. Prints a table and ends with one line: each figure beside its target, met or not.

Quality: each instance is solved exactly (every possible circle; HiGHS to proven optimality, or
for peer rounds of up to 16 members the subset DP, which is exact by construction, under the
matcher's priorities: never-with, waitlist, repeats, shared hours, near-peer gap,
then compatibility) and compared with what `form_circles` returns. Scale: 10,000 and 50,000
members over 10 time zones, each run in a fresh subprocess (peak memory belongs to one run),
the matcher twice (identical output?) and the same matcher on random chunks of 240 members
with the same total budget, joined.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import time
from collections.abc import Sequence

from benchmarks.instances import FAMILIES, generate, history, previous_round
from circles.matching import MatchResult, MatchSettings, exact, form_circles
from circles.matching.exact import Column, Solved, compat_matrix, enumerate_columns, evaluate, solve
from circles.matching.optimal import Profile, profile
from circles.matching.scoring import Instance
from circles.matching.subsets import SUBSET_N, solve_subsets

PAIRS = ("skill_swap", "mentor_pair", "reverse", "near_peer")


def result_profile(inst: Instance, res: MatchResult, compat: list[list[float]]) -> Profile:
    """The matcher's round, tier by tier (as the exact solve counts it)."""
    return profile(inst.n, result_columns(inst, res, compat), inst.kind == "mentor_pair")


def result_columns(inst: Instance, res: MatchResult, compat: list[list[float]]) -> list[Column]:
    """The matcher's circles as the exact solve's columns (mentor first)."""
    cols = []
    for g in res.groups:
        idx = [inst.index[i] for i in g.member_ids]
        head = -1
        if inst.kind in ("pod", "mentor_pair") and g.mentor_id is not None:
            head = inst.index[g.mentor_id]
            idx = [head] + [x for x in idx if x != head]
        cols.append(evaluate(inst, tuple(idx), head, compat))
    return cols


def reference(inst: Instance, lo: int, hi: int, start: MatchResult) -> tuple[Profile, bool]:
    """The exact optimum with a generous node limit. The matcher's circles are only a start
    for the solver: optimality is proven by its bound, not assumed from the start."""
    n = inst.n
    mentors = [x for x in range(n) if inst.is_mentor[x]] if inst.kind in ("pod", "mentor_pair") else []
    if inst.kind == "mentor_pair":
        mentors = [m for m in mentors if inst.candidates[m].capacity > 0]
    mentees = [x for x in range(n) if not inst.is_mentor[x]] if mentors else []
    cols = enumerate_columns(inst, lo, hi, mentors, mentees)
    cap = {m: inst.candidates[m].capacity for m in mentors} if inst.kind == "mentor_pair" else {}
    index = {(c.head, c.members): k for k, c in enumerate(cols)}
    given = result_columns(inst, start, compat_matrix(inst))
    incumbent = [index[(c.head, c.members)] for c in given if (c.head, c.members) in index]
    if len(incumbent) != len(given):
        incumbent = []
    if n <= SUBSET_N and inst.kind not in ("pod", "mentor_pair"):
        # branch-and-bound can need hours to prove a round where many partitions tie on
        # repeats; the subset DP is exact (checked against HiGHS in tests/test_matching_exact.py)
        solved: Solved | None = solve_subsets(n, cols, hi)
    else:
        saved = exact._NODES
        exact._NODES = 1_000_000
        try:
            solved = solve(inst, cols, cap, incumbent, (lo, hi))
        finally:
            exact._NODES = saved
    assert solved is not None
    return profile(n, solved.columns, inst.kind == "mentor_pair"), solved.proven


def breaks(p: Profile) -> int:
    return p.never + p.repeats + p.hours + p.near


def families(names: Sequence[str], per_family: int) -> tuple[list[tuple[str, str]], dict[str, float]]:
    """One row per family: at optimum, breaks and waitlist beyond it, compat % of it."""
    rows: list[tuple[str, str]] = []
    tot = {"inst": 0, "at_opt": 0, "rules_ok": 0, "compat_sum": 0.0, "compat_min": 100.0, "proven": 0}
    for name in names:
        kind, lo, hi, counts, opts, rounds, min_hours = FAMILIES[name]
        at_opt = extra_b = extra_w = proven = 0
        ratios: list[float] = []
        t_m = t_x = 0.0
        for k, n in enumerate(counts[:per_family]):
            seed = 1000 + 37 * k + sum(map(ord, name))
            cands = generate(n, seed, **opts)  # type: ignore[arg-type]
            recent = history(cands, rounds, 2 if kind in PAIRS else hi, seed)
            s = MatchSettings(kind=kind, min_size=lo, max_size=hi, min_shared_hours=min_hours, seed=k)  # type: ignore[arg-type]
            inst = Instance(cands, s, recent)
            t = time.perf_counter()
            res = form_circles(cands, s, recent)
            t_m += time.perf_counter() - t
            compat = compat_matrix(inst)
            mine = result_profile(inst, res, compat)
            t = time.perf_counter()
            opt, ok = reference(inst, lo, hi, res)
            t_x += time.perf_counter() - t
            assert ok, f"{name} n={n}: the reference solve did not prove its optimum"
            same_rules = mine.key()[:5] == opt.key()[:5]
            extra_b += max(0, breaks(mine) - breaks(opt))
            extra_w += max(0, mine.waitlisted - opt.waitlisted)
            ratio = 100.0 * mine.compat / opt.compat if opt.compat > 0 else 100.0
            ratio = min(ratio, 100.0) if same_rules else 0.0
            ratios.append(ratio)
            at_opt += same_rules and mine.compat >= opt.compat - 1e-6
            proven += res.optimality.proven
            tot["rules_ok"] += same_rules
        m = len(ratios)
        tot["inst"] += m
        tot["at_opt"] += at_opt
        tot["proven"] += proven
        tot["compat_sum"] += sum(ratios)
        tot["compat_min"] = min(tot["compat_min"], min(ratios))
        rows.append(
            (
                f"{name} ({kind} {lo}-{hi}, n={min(counts[:m])}-{max(counts[:m])}, {m} inst)",
                f"at optimum {at_opt}/{m}  proven by matcher {proven}/{m}  "
                f"breaks beyond optimum {extra_b}  waitlist beyond optimum {extra_w}  "
                f"compat % mean {sum(ratios) / m:6.2f} / worst {min(ratios):6.2f}  "
                f"(matcher {t_m:.1f}s, reference {t_x:.1f}s)",
            )
        )
        print("  ".join(rows[-1]), file=sys.stderr, flush=True)  # progress on a long run
    return rows, tot


# ----------------------------------------------------------------------------- scale


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in kB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def scale_one(n: int, method: str) -> dict[str, float | str]:
    """One large round in this process: the matcher, or random chunks of 240 joined."""
    cands = generate(n, 42, zones=10)
    recent = previous_round(cands, 5, 42)
    s = MatchSettings(min_size=4, max_size=6, seed=1)
    t, c = time.perf_counter(), time.process_time()
    if method == "chunk240":
        rng = random.Random(1)
        pool = list(cands)
        rng.shuffle(pool)
        partners: dict[int, list[frozenset[int]]] = {}
        for p in recent:
            for x in p:
                partners.setdefault(x, []).append(p)
        groups = []
        for i in range(0, n, 240):
            part = pool[i : i + 240]
            ids = {x.id for x in part}
            mine = {p for x in part for p in partners.get(x.id, ()) if p <= ids}
            share = MatchSettings(min_size=4, max_size=6, seed=1 + i, time_budget_s=len(part) / n)
            groups += form_circles(part, share, mine).groups
    else:
        groups = form_circles(cands, s, recent).groups
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    inst = Instance(cands, s, recent)
    tz = sum(inst.circle_time_penalty([inst.index[i] for i in g.member_ids]) > 0 for g in groups)
    reps = sum(
        (a, b) in inst.recent
        for g in groups
        for k, a in enumerate(sorted(inst.index[i] for i in g.member_ids))
        for b in sorted(inst.index[i] for i in g.member_ids)[k + 1 :]
    )
    digest = hashlib.sha256(repr(sorted(g.member_ids for g in groups)).encode()).hexdigest()[:12]
    return {
        "time": elapsed,
        "cpu": cpu,
        "rss_mb": _status_kb("VmHWM") / 1024,
        "tz": tz,
        "repeats": reps,
        "groups": len(groups),
        "placed": sum(len(g.member_ids) for g in groups),
        "compat": sum(g.score for g in groups),
        "digest": digest,
    }


def _sub(n: int, method: str) -> dict[str, float | str]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.matching", "--one", str(n), method],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scale(sizes: Sequence[int]) -> tuple[list[tuple[str, str]], dict[int, dict[str, dict]]]:
    rows, out = [], {}
    for n in sizes:
        runs = {"matcher": _sub(n, "matcher"), "matcher again": _sub(n, "matcher"),
                "chunk240": _sub(n, "chunk240")}  # fmt: skip
        out[n] = runs
        for m, r in runs.items():
            rows.append(
                (
                    f"scale {n:>6} members, 4-6, 10 time zones: {m}",
                    f"{r['time']:6.2f}s (cpu {r['cpu']:5.2f}s)  peak RSS {r['rss_mb']:5.0f} MB  "
                    f"circles {int(r['groups'])}  placed {int(r['placed'])}  "
                    f"without shared hours {int(r['tz'])}  repeats {int(r['repeats'])}  "
                    f"compat {float(r['compat']):9.1f}  output {r['digest']}",
                )
            )
    return rows, out


def verdict(tot: dict[str, float] | None, big: dict[int, dict[str, dict]]) -> str:
    """One line: each figure beside its target, and whether it is met."""
    parts = []
    if tot:
        n = int(tot["inst"])
        mean = tot["compat_sum"] / n
        parts += [
            f"instances at optimum's breaks+waitlist {int(tot['rules_ok'])}/{n} (target {n}/{n}) "
            f"{'met' if tot['rules_ok'] == n else 'NOT met'}",
            f"compat mean {mean:.2f}% (>= 99.5) {'met' if mean >= 99.5 else 'NOT met'}",
            f"compat worst {tot['compat_min']:.2f}% (>= 99) {'met' if tot['compat_min'] >= 99 else 'NOT met'}",
        ]
    limits = {10000: 5.0, 50000: 30.0}
    for n, runs in big.items():
        m, again, ch = runs["matcher"], runs["matcher again"], runs["chunk240"]
        parts.append(
            f"{n}: no shared hours {m['tz']} vs chunked {ch['tz']} (<=) "
            f"{'met' if m['tz'] <= ch['tz'] else 'NOT met'}"
        )
        parts.append(f"identical reruns {'met' if m['digest'] == again['digest'] else 'NOT met'}")
        if n in limits:
            t = max(float(m["time"]), float(again["time"]))
            parts.append(
                f"time {t:.1f}s (< {limits[n]:.0f}s) {'met' if t < limits[n] else 'NOT met'}"
            )
        if n == 50000:
            rss = max(float(m["rss_mb"]), float(again["rss_mb"]))
            parts.append(f"RSS {rss:.0f} MB (< 2048) {'met' if rss < 2048 else 'NOT met'}")
    return "targets: " + "; ".join(parts)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="one instance per family, 10,000 members")
    ap.add_argument("--families", nargs="*", metavar="NAME", help="quality table only (all if none named)")
    ap.add_argument("--scale", nargs="*", type=int, metavar="N", help="large rounds only (10000 50000 if none)")
    ap.add_argument("--one", nargs=2, metavar=("N", "METHOD"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(scale_one(int(args.one[0]), args.one[1])))
        return
    both = args.families is None and args.scale is None
    rows: list[tuple[str, str]] = []
    tot = None
    big: dict[int, dict[str, dict]] = {}
    if both or args.families is not None:
        names = args.families or list(FAMILIES)
        fam_rows, tot = families(names, 1 if args.quick else 5)
        rows += fam_rows
    if both or args.scale is not None:
        sizes = args.scale or ([10000] if args.quick else [10000, 50000])
        scale_rows, big = scale(sizes)
        rows += scale_rows
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  result")
    print("-" * (width + 2 + max(len(r[1]) for r in rows)))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(verdict(tot, big))


if __name__ == "__main__":
    main()
