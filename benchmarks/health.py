"""`/circle health` for a big program: 10,000 circles of 10 members (100,000 people), eleven
weekly prompts each, about 1,000,000 answers, and pulses and check-ins in proportion (about
half of the members rate and check in each week). Seeded with set-based SQL, then asked
through the bot exactly as a coordinator would (CircleBot.handle_command_sync).

    .venv/bin/python -m benchmarks.health [--circles 10000] [--members 10] [--cycles 11] [--calls 7]

Target: the median `/circle health` under 500 ms. PostgreSQL from CIRCLES_BENCH_DATABASE_URL
(default: the ``test`` database on 127.0.0.1:5432), in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from sqlalchemy import Engine, func, select, text

from benchmarks._pgschema import analyze, bench_schema, table
from bot.config import Config
from bot.core import CircleBot
from circles.db import session_factory
from circles.health import program_health
from circles.model import CheckIn, Program, Pulse, Response
from tests.builders import COORD

TARGET_MS = 500.0
NOW = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)
STARTS = dt.date(2026, 6, 15)  # a Monday; eleven weekly prompts have gone out by NOW


def seed(engine: Engine, circles: int, members: int, cycles: int) -> None:
    """Everything with INSERT ... SELECT generate_series: seconds, not minutes. Some members
    stop answering for the last two weeks and some rate their circle low, so the rematch
    list and the at-risk list have something to find."""
    people = circles * members
    p = {"circles": circles, "members": members, "people": people, "cycles": cycles,
         "starts": STARTS, "ends": STARTS + dt.timedelta(weeks=cycles + 1), "now": NOW}
    steps = [
        "INSERT INTO workspaces (id, platform, external_id, name, active, settings, created_at) "
        "VALUES (1, 'console', 'acme', 'Acme', true, '{}', :now)",
        "INSERT INTO programs (id, workspace_id, name, kind, min_size, max_size, cadence, day, time, timezone,"
        " enrolment_open, repeat_window, min_shared_hours, round_weeks, weights, settings, created_at)"
        " VALUES (1, 1, 'Spring circles', 'peer', 4, 10, 'weekly', 'mon', '10:00', 'UTC', true, 3, 1, :cycles,"
        " '{}', '{}', :now)",
        "INSERT INTO rounds (id, workspace_id, program_id, number, status, starts_on, ends_on, seed, score,"
        " broken_rules, waitlist, created_at) VALUES (1, 1, 1, 1, 'active', :starts, :ends, 0, 0, '[]', '{}', :now)",
        "INSERT INTO members (id, workspace_id, external_id, display_name, is_coordinator, enrolled, created_at)"
        " SELECT g, 1, 'u' || g, 'Member' || g, false, true, :now FROM generate_series(1, :people) g",
        "INSERT INTO members (id, workspace_id, external_id, display_name, is_coordinator, enrolled, created_at)"
        " VALUES (:people + 1, 1, 'coord', 'Casey', true, false, :now)",
        "INSERT INTO circles (id, workspace_id, round_id, number, name, kind, explanation, score, archived)"
        " SELECT g, 1, 1, g, 'Spring circles · circle ' || g, 'peer', '', 0, false"
        " FROM generate_series(1, :circles) g",
        "INSERT INTO memberships (workspace_id, circle_id, member_id, role, active)"
        " SELECT 1, (g - 1) / :members + 1, g, 'peer', true FROM generate_series(1, :people) g",
        "ANALYZE members, circles, memberships",
        "INSERT INTO prompt_posts (id, workspace_id, circle_id, cycle, prompt_key, text, posted_at)"
        " SELECT (c - 1) * :cycles + k, 1, c, k, 'bank-' || k, 'What surprised you this week?',"
        " CAST(:starts AS timestamptz) + (k - 1) * interval '7 days' + interval '10 hours'"
        " FROM generate_series(1, :circles) c, generate_series(1, :cycles) k",
        "ANALYZE prompt_posts",
        # about 10 in 11 answer; every 50th member goes silent for the last two prompts
        "INSERT INTO responses (workspace_id, prompt_post_id, member_id, text, created_at)"
        " SELECT 1, pp.id, ms.member_id, 'went well', pp.posted_at + interval '5 hours'"
        " FROM prompt_posts pp JOIN memberships ms ON ms.circle_id = pp.circle_id"
        " WHERE (ms.member_id + pp.cycle) % 11 <> 0"
        " AND NOT (ms.member_id % 50 = 0 AND pp.cycle > :cycles - 2)",
        # half rate their circle each week; every 40th member rates it low
        "INSERT INTO pulses (workspace_id, circle_id, cycle, member_id, rating, comment, created_at)"
        " SELECT 1, pp.circle_id, pp.cycle, ms.member_id,"
        " CASE WHEN ms.member_id % 40 = 0 THEN 1 + pp.cycle % 2 ELSE 3 + (ms.member_id + pp.cycle) % 3 END,"
        " '', pp.posted_at + interval '4 days'"
        " FROM prompt_posts pp JOIN memberships ms ON ms.circle_id = pp.circle_id"
        " WHERE (ms.member_id + pp.cycle) % 2 = 0",
        "INSERT INTO checkins (workspace_id, circle_id, cycle, member_id, status, created_at)"
        " SELECT 1, pp.circle_id, pp.cycle, ms.member_id,"
        " CASE WHEN (pp.circle_id + pp.cycle) % 7 = 0 THEN 'not_yet' ELSE 'met' END,"
        " pp.posted_at + interval '5 days'"
        " FROM prompt_posts pp JOIN memberships ms ON ms.circle_id = pp.circle_id"
        " WHERE (ms.member_id + pp.cycle) % 2 = 1",
    ]
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # seed rows are consistent by construction
        for sql in steps:
            conn.execute(text(sql), p)
        for tbl in ("workspaces", "programs", "rounds", "members", "circles", "prompt_posts"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{tbl}', 'id'), (SELECT max(id) FROM {tbl}))"))
    analyze(engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--circles", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--cycles", type=int, default=11)
    parser.add_argument("--calls", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print the plans of the health queries")
    args = parser.parse_args()
    with bench_schema("bench_health") as engine:
        t0 = time.perf_counter()
        seed(engine, args.circles, args.members, args.cycles)
        seeded = time.perf_counter() - t0
        sessions = session_factory(engine)
        with sessions() as s:
            counts = {name: s.scalar(select(func.count()).select_from(model))
                      for name, model in (("responses", Response), ("pulses", Pulse), ("check-ins", CheckIn))}
        cfg = Config()
        cfg.bot.coordinators = ["console:acme:coord"]
        bot = CircleBot(sessions, cfg, clock=lambda: NOW)
        if args.explain:
            explain(engine, sessions)
        times, engine_times = [], []
        reply = None
        for _ in range(args.calls):
            t0 = time.perf_counter()
            reply = bot.handle_command_sync(COORD, "health")
            times.append(1000 * (time.perf_counter() - t0))
            with sessions() as s:
                program = s.scalar(select(Program))
                t0 = time.perf_counter()
                health = program_health(s, program, NOW)  # type: ignore[arg-type]
                engine_times.append(1000 * (time.perf_counter() - t0))
        assert reply is not None and reply.tone != "error", reply
        body = reply.plain_text()
    median = statistics.median(times)
    table([
        ("circles / members", f"{args.circles} / {args.circles * args.members}"),
        ("responses / pulses / check-ins", f"{counts['responses']} / {counts['pulses']} / {counts['check-ins']}"),
        ("seed (set-based SQL + VACUUM ANALYZE)", f"{seeded:.1f} s"),
        ("circles at risk / members to rematch", f"{len(health.at_risk)} / {len(health.rematch)}"),
        ("program_health (engine), median", f"{statistics.median(engine_times):.0f} ms"),
        (f"/circle health, median of {args.calls}", f"{median:.0f} ms"),
        ("/circle health, slowest", f"{max(times):.0f} ms"),
        ("reply size", f"{len(body.encode())} bytes, {body.count(chr(10)) + 1} lines"),
    ])
    met = "met" if median < TARGET_MS else "NOT met"
    print(f"/circle health for {args.circles} circles and {counts['responses']} responses: "
          f"{median:.0f} ms (target < {TARGET_MS:.0f} ms): {met}")


def explain(engine: Engine, sessions) -> None:  # type: ignore[no-untyped-def]
    """EXPLAIN ANALYZE of each statement `program_health` runs (captured as it runs)."""
    from sqlalchemy import event

    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    with sessions() as s:
        program_health(s, s.scalar(select(Program)), NOW)
    event.remove(engine, "before_cursor_execute", capture)
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS OFF) " + statement, parameters).all()
            print("\n".join(r[0] for r in plan))
            print("-" * 60)


if __name__ == "__main__":
    main()
