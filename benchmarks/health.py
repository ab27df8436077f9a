"""`/circle health` for a big program: 10,000 circles of 10 members (100,000 people), eleven
weekly prompts each, about 1,000,000 answers, and pulses and check-ins in proportion (about
half of the members rate and check in each week). Seeded with set-based SQL, then asked
through the bot exactly as a coordinator would (CircleBot.handle_command_sync).

    .venv/bin/python -m benchmarks.health [--circles 10000] [--members 10] [--cycles 11] [--calls 7]

Target: the median `/circle health` under 500 ms (and `/circle health circle N`). Health reads
the tallies the writers keep (``circle_weeks``, ``memberships.last_answer_cycle``); the seed
fills them with the migration's recount. PostgreSQL from CIRCLES_BENCH_DATABASE_URL
(default: the ``test`` database on 127.0.0.1:5432), in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, text

from benchmarks._pgschema import analyze, bench_schema, table
from bot.config import Config
from bot.core import CircleBot
from circles.db import session_factory
from circles.health import program_health
from circles.health.tallies import RECOUNT, RECOUNT_MEMBERSHIPS
from circles.model import CheckIn, Goal, Program, Pulse, Response
from tests.builders import COORD

TARGET_MS = 500.0
NOW = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)
STARTS = dt.date(2026, 6, 15)  # a Monday; eleven weekly prompts have gone out by NOW


def seed(engine: Engine, circles: int = 10_000, members: int = 10, cycles: int = 11) -> None:
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
        # every other member set a goal; one in three of those is met
        "INSERT INTO goals (workspace_id, member_id, number, text, done, notes, created_at)"
        " SELECT 1, g, 1, 'Give a talk', g % 3 = 0, '[]', :now FROM generate_series(2, :people, 2) g",
        # the tallies the writers keep, as the migration's backfill computes them
        "INSERT INTO circle_weeks (workspace_id, circle_id, cycle, answers, checkins, met, pulses, pulse_sum,"
        " last_activity_at) " + RECOUNT,
        RECOUNT_MEMBERSHIPS,
    ]
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # seed rows are consistent by construction
        for sql in steps:
            conn.execute(text(sql), p)
        for tbl in ("workspaces", "programs", "rounds", "members", "circles", "prompt_posts"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{tbl}', 'id'), (SELECT max(id) FROM {tbl}))"))
    analyze(engine)


@dataclass(frozen=True)
class Timed:
    """One measured figure: its timings (ms) beside its target; the table and the verdict
    are built from a list of these, so other measures (chart, export) add rows."""

    name: str
    times_ms: list[float]
    target_ms: float

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def met(self) -> bool:
        return self.median < self.target_ms


#: measures run after the seed: each takes (engine, sessions, args) and returns its rows.
#: eval12 appends the chart and the export here (``MEASURES.append(measure_chart)``).
MEASURES: list[Callable[[Engine, Any, argparse.Namespace], list[Timed]]] = []
NOTES: list[tuple[str, str]] = []  # extra facts a measure wants printed in the table


def measure_health(engine: Engine, sessions, args: argparse.Namespace) -> list[Timed]:  # type: ignore[no-untyped-def]
    cfg = Config()
    cfg.bot.coordinators = ["console:acme:coord"]
    bot = CircleBot(sessions, cfg, clock=lambda: NOW)
    times, engine_times, detail_times = [], [], []
    reply = detail = None
    for _ in range(args.calls):
        t0 = time.perf_counter()
        reply = bot.handle_command_sync(COORD, "health")
        times.append(1000 * (time.perf_counter() - t0))
        with sessions() as s:
            program = s.scalar(select(Program))
            t0 = time.perf_counter()
            health = program_health(s, program, NOW)  # type: ignore[arg-type]
            engine_times.append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        detail = bot.handle_command_sync(COORD, f"health circle {args.circles // 2}")
        detail_times.append(1000 * (time.perf_counter() - t0))
    assert reply is not None and reply.tone != "error", reply
    assert detail is not None and detail.tone != "error", detail
    body = reply.plain_text()
    NOTES.extend([
        ("circles at risk / members to rematch", f"{len(health.at_risk)} / {health.rematch_total}"),
        ("/circle health reply size", f"{len(body.encode())} bytes, {body.count(chr(10)) + 1} lines, "
                                      f"{len(reply.buttons)} buttons"),
    ])
    return [Timed("program_health (engine)", engine_times, TARGET_MS),
            Timed("/circle health", times, TARGET_MS),
            Timed("/circle health circle N", detail_times, TARGET_MS)]


MEASURES.append(measure_health)


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
                      for name, model in (("responses", Response), ("pulses", Pulse), ("check-ins", CheckIn),
                                          ("goals", Goal))}
        if args.explain:
            explain(engine, sessions)
        rows = [row for measure in MEASURES for row in measure(engine, sessions, args)]
    table([
        ("circles / members", f"{args.circles} / {args.circles * args.members}"),
        ("responses / pulses / check-ins / goals",
         f"{counts['responses']} / {counts['pulses']} / {counts['check-ins']} / {counts['goals']}"),
        ("seed (set-based SQL + tallies + VACUUM ANALYZE)", f"{seeded:.1f} s"),
        *NOTES,
        *[(f"{r.name}: median / p95 of {len(r.times_ms)} (target < {r.target_ms:.0f} ms)",
           f"{r.median:.0f} ms / {r.p95:.0f} ms {'met' if r.met else 'NOT met'}") for r in rows],
    ])
    verdict = "; ".join(f"{r.name} {r.median:.0f} ms (target < {r.target_ms:.0f} ms) "
                        f"{'met' if r.met else 'NOT met'}" for r in rows)
    print(f"{args.circles} circles, {counts['responses']} responses: {verdict}; "
          f"{'all met' if all(r.met for r in rows) else 'NOT all met'}")


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
