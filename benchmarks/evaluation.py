"""`/circle health chart` and the program-evaluation export for a big program: the world of
benchmarks/health.py (10,000 circles of 10 members, eleven weekly prompts, about 1,000,000
answers, pulses and check-ins in proportion), plus a goal per member (a third of them met)
and a comment on every fifth pulse. Asked through the bot as a coordinator would
(CircleBot.handle_command_sync) and through `circlebot export`'s own function.

    .venv/bin/python -m benchmarks.evaluation [--circles 10000] [--members 10] [--cycles 11] [--calls 5]

Targets: the median chart under 1 s, the export to a folder under 30 s. PostgreSQL from
CIRCLES_BENCH_DATABASE_URL (default: the ``test`` database on 127.0.0.1:5432), in a schema
of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from benchmarks._pgschema import analyze, bench_schema, table
from benchmarks.health import NOW, seed
from bot.config import Config
from bot.core import CircleBot
from bot.export_cli import run_export
from circles.db import session_factory
from circles.evaluation.export import TABLES
from circles.evaluation.series import program_series
from circles.model import CheckIn, Goal, Program, Pulse, Response
from tests.builders import COORD

CHART_TARGET_MS = 1000.0
EXPORT_TARGET_S = 30.0


def seed_more(engine: Engine, people: int) -> None:
    """What health's world lacks for an evaluation: a goal for every member (health's world
    gives some of them one already) and pulse comments."""
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO goals (workspace_id, member_id, number, text, due_on, done, notes, created_at)"
            " SELECT 1, g, 1, 'Give a talk', NULL, g % 3 = 0, '[]', :now FROM generate_series(1, :people) g"
            " WHERE NOT EXISTS (SELECT 1 FROM goals WHERE goals.member_id = g AND goals.number = 1)"),
            {"people": people, "now": NOW})
        conn.execute(text("UPDATE pulses SET comment = 'more structure please' WHERE id % 5 = 0"))
    analyze(engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--circles", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--cycles", type=int, default=11)
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args()
    with bench_schema("bench_eval") as engine:
        t0 = time.perf_counter()
        seed(engine, args.circles, args.members, args.cycles)
        seed_more(engine, args.circles * args.members)
        seeded = time.perf_counter() - t0
        sessions = session_factory(engine)
        with sessions() as s:
            counts = {name: s.scalar(select(func.count()).select_from(model)) for name, model in
                      (("responses", Response), ("pulses", Pulse), ("check-ins", CheckIn), ("goals", Goal))}
        cfg = Config()
        cfg.bot.coordinators = ["console:acme:coord"]
        bot = CircleBot(sessions, cfg, clock=lambda: NOW)
        bot.handle_command_sync(COORD, "health chart")  # matplotlib's first import is not the chart's cost
        chart_ms, series_ms, png = [], [], b""
        for _ in range(args.calls):
            t0 = time.perf_counter()
            reply = bot.handle_command_sync(COORD, "health chart")
            chart_ms.append(1000 * (time.perf_counter() - t0))
            assert reply.files, reply.text
            png = reply.files[0].data
            with sessions() as s:
                t0 = time.perf_counter()
                series = program_series(s, s.scalar(select(Program)))  # type: ignore[arg-type]
                series_ms.append(1000 * (time.perf_counter() - t0))
        health_ms = []  # the same scans `/circle health` makes: what this machine gives now
        for _ in range(args.calls):
            t0 = time.perf_counter()
            bot.handle_command_sync(COORD, "health")
            health_ms.append(1000 * (time.perf_counter() - t0))
        with tempfile.TemporaryDirectory() as tmp:
            progress = io.StringIO()
            t0 = time.perf_counter()
            code = run_export(sessions, cfg, "", str(Path(tmp) / "export"), "console:acme",
                              stdout=io.StringIO(), stderr=progress)
            export_s = time.perf_counter() - t0
            assert code == 0, progress.getvalue()
            files = sorted(Path(tmp, "export").iterdir())
            sizes = {p.name: p.stat().st_size for p in files}
            lines = {p.name: sum(1 for _ in p.open()) - 1 for p in files}
    chart = statistics.median(chart_ms)
    table([
        ("circles / members", f"{args.circles} / {args.circles * args.members}"),
        ("responses / pulses / check-ins / goals",
         f"{counts['responses']} / {counts['pulses']} / {counts['check-ins']} / {counts['goals']}"),
        ("seed (set-based SQL + VACUUM ANALYZE)", f"{seeded:.1f} s"),
        ("weekly series (engine), median", f"{statistics.median(series_ms):.0f} ms"),
        (f"/circle health chart, median of {args.calls}", f"{chart:.0f} ms"),
        ("/circle health chart, slowest", f"{max(chart_ms):.0f} ms"),
        ("/circle health on the same data, median (reference)", f"{statistics.median(health_ms):.0f} ms"),
        ("chart PNG", f"{len(png) / 1024:.0f} kB, {len(series.weeks)} weeks, "
                      f"{series.weeks[-1].at_risk} circles at risk in the last"),
        (f"circlebot export ({len(TABLES)} CSV files)", f"{export_s:.1f} s"),
        ("export rows", f"{sum(lines.values()):,} ({lines.get('participation.csv', 0):,} participation)"),
        ("export size", f"{sum(sizes.values()) / 1e6:.0f} MB"),
    ])
    try:
        load = f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count() or 1} cores)"
    except OSError:
        load = ""
    print(f"measured{load}")
    ok_chart, ok_export = chart < CHART_TARGET_MS, export_s < EXPORT_TARGET_S
    print(f"chart {chart:.0f} ms (target < {CHART_TARGET_MS:.0f} ms): {'met' if ok_chart else 'NOT met'}; "
          f"export {export_s:.1f} s (target < {EXPORT_TARGET_S:.0f} s): {'met' if ok_export else 'NOT met'}")


if __name__ == "__main__":
    main()
