"""The weekly sweep for a big round: 10,000 circles of 5 members, the moment their first
prompt is due. The sweep (circles.cycle.run_due, as the scheduler calls it) writes one
occurrence marker, one prompt post and one outbox message per circle; the same rows are then
written again by a bare bulk ``INSERT ... SELECT`` in the same run, as the yardstick.

    .venv/bin/python -m benchmarks.sweep [--circles 10000] [--members 5]

Target: the sweep within 5x the bulk INSERT. PostgreSQL from CIRCLES_BENCH_DATABASE_URL
(default: the ``test`` database on 127.0.0.1:5432), in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from sqlalchemy import Engine, text

from benchmarks._pgschema import analyze, bench_schema, table
from bot.config import SchedulingConfig
from circles.cycle import run_due
from circles.db import session_factory

TARGET_RATIO = 5.0
STARTS = dt.date(2026, 6, 1)  # a Monday
NOW = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)  # cycle 1's prompt time
TABLES = ("job_runs", "prompt_posts", "outbox")


def seed(engine: Engine, circles: int, members: int) -> None:
    p = {"circles": circles, "members": members, "people": circles * members, "starts": STARTS,
         "ends": STARTS + dt.timedelta(weeks=6), "now": NOW}
    steps = [
        "INSERT INTO workspaces (id, platform, external_id, name, active, settings, created_at) "
        "VALUES (1, 'slack', 'T1', 'Acme', true, '{}', :now)",
        "INSERT INTO programs (id, workspace_id, name, kind, min_size, max_size, cadence, day, time, timezone,"
        " enrolment_open, repeat_window, min_shared_hours, round_weeks, weights, settings, created_at)"
        " VALUES (1, 1, 'Peer Circles', 'peer', 4, 6, 'weekly', 'mon', '10:00', 'UTC', true, 3, 1, 6,"
        " '{}', '{}', :now)",
        "INSERT INTO rounds (id, workspace_id, program_id, number, status, starts_on, ends_on, seed, score,"
        " broken_rules, waitlist, created_at) VALUES (1, 1, 1, 1, 'active', :starts, :ends, 0, 0, '[]', '{}', :now)",
        "INSERT INTO members (id, workspace_id, external_id, display_name, is_coordinator, enrolled, created_at)"
        " SELECT g, 1, 'U' || g, 'Member' || g, false, true, :now FROM generate_series(1, :people) g",
        "INSERT INTO circles (id, workspace_id, round_id, number, name, kind, explanation, score, space_id, archived)"
        " SELECT g, 1, 1, g, 'Peer Circles · circle ' || g, 'peer', '', 0, 'C' || g, false"
        " FROM generate_series(1, :circles) g",
        "INSERT INTO memberships (workspace_id, circle_id, member_id, role, active)"
        " SELECT 1, (g - 1) / :members + 1, g, 'peer', true FROM generate_series(1, :people) g",
    ]
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # consistent by construction
        for sql in steps:
            conn.execute(text(sql), p)
        for tbl in ("workspaces", "programs", "rounds", "members", "circles"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{tbl}', 'id'), (SELECT max(id) FROM {tbl}))"))
    analyze(engine)


def bulk_insert_same_rows(engine: Engine) -> float:
    """Copy aside what the sweep wrote, delete it, and time writing exactly those rows back
    with one INSERT ... SELECT per table in one transaction (foreign keys checked as usual)."""
    with engine.begin() as conn:
        for tbl in TABLES:
            conn.execute(text(f"CREATE TABLE copy_{tbl} AS SELECT * FROM {tbl}"))
        for tbl in TABLES:
            conn.execute(text(f"DELETE FROM {tbl}"))
    analyze(engine)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for tbl in TABLES:
            conn.execute(text(f"INSERT INTO {tbl} SELECT * FROM copy_{tbl}"))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--circles", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=5)
    args = parser.parse_args()
    cfg = SchedulingConfig(digest_day="sun")
    with bench_schema("bench_sweep") as engine:
        t0 = time.perf_counter()
        seed(engine, args.circles, args.members)
        seeded = time.perf_counter() - t0
        sessions = session_factory(engine)
        t0 = time.perf_counter()
        done = run_due(sessions, NOW, cfg)
        sweep = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = run_due(sessions, NOW + dt.timedelta(minutes=1), cfg)
        resweep = time.perf_counter() - t0
        with engine.connect() as conn:
            rows = {tbl: conn.execute(text(f"SELECT count(*) FROM {tbl}")).scalar_one() for tbl in TABLES}
        bulk = bulk_insert_same_rows(engine)
    ratio = sweep / bulk
    table([
        ("circles / members", f"{args.circles} / {args.circles * args.members}"),
        ("seed (set-based SQL + VACUUM ANALYZE)", f"{seeded:.1f} s"),
        ("prompts queued by the sweep", f"{done['prompt']}"),
        ("rows written (job_runs / prompt_posts / outbox)",
         f"{rows['job_runs']} / {rows['prompt_posts']} / {rows['outbox']}"),
        ("weekly sweep (run_due)", f"{sweep:.2f} s"),
        ("same sweep a minute later (nothing new)", f"{resweep:.2f} s, {sum(again.values())} occurrences"),
        ("bulk INSERT ... SELECT of the same rows", f"{bulk:.2f} s"),
        ("sweep / bulk INSERT", f"{ratio:.1f}x"),
    ])
    met = "met" if ratio <= TARGET_RATIO and done["prompt"] == args.circles else "NOT met"
    print(f"weekly sweep for {args.circles} circles: {sweep:.2f} s vs bulk INSERT {bulk:.2f} s = {ratio:.1f}x "
          f"(target <= {TARGET_RATIO:.0f}x): {met}")


if __name__ == "__main__":
    main()
