"""Query plans at size: the statements members' everyday commands issue, and the pair-history
look-ups of matching, late placement and rematch, under EXPLAIN ANALYZE.

    .venv/bin/python -m benchmarks.plans [--members 100000] [--rounds 6]

Seeds (set-based SQL, as ``benchmarks.load``) a workspace of ``--members`` members in circles
of 5 with one prompt per circle, plus ``--rounds`` past rounds of pair history (10 pairs per
circle of 5: 200,000 rows a round at 100,000 members). Then:

- every SQL statement that status, answer, pulse and goal list issue for one member
  (captured from the real CircleBot) is run under EXPLAIN ANALYZE; the table shows each
  one's time and whether any table was read by a sequential scan;
- the three pair-history queries are explained twice: without and with the indexes of
  migration 0008_perf13b, so the table is the evidence for them.

PostgreSQL from CIRCLES_BENCH_DATABASE_URL (default: the ``test`` database on
127.0.0.1:5432), in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

from sqlalchemy import Engine, event, text

from benchmarks._pgschema import analyze, bench_schema, table
from benchmarks.load import SEED
from bot.config import Config
from bot.core import CircleBot
from bot.ports import Identity
from circles.db import session_factory

PAIR_SEED = """
INSERT INTO rounds (workspace_id, program_id, number, status, starts_on, ends_on, seed, score,
  broken_rules, waitlist, created_at)
SELECT p.workspace_id, p.id, -g, 'ended', current_date - 7 * (g + 1) * 6,
       current_date - 7 * g * 6, 1, 0, '[]', '{}', now()
FROM programs p, generate_series(1, :rounds) g;

INSERT INTO pair_history (workspace_id, program_id, round_id, round_number, member_a, member_b)
SELECT r.workspace_id, r.program_id, r.id, r.number, a.id, b.id
FROM rounds r
JOIN LATERAL (SELECT id, row_number() OVER (ORDER BY md5(id::text || r.number::text)) AS k
              FROM members WHERE enrolled) a ON true
JOIN LATERAL (SELECT id, row_number() OVER (ORDER BY md5(id::text || r.number::text)) AS k
              FROM members WHERE enrolled) b
  ON (a.k - 1) / 5 = (b.k - 1) / 5 AND a.id < b.id
WHERE r.status = 'ended';
"""

PAIR_QUERIES = {
    "matching: recent pairs of the program": """
        SELECT member_a, member_b FROM pair_history
        WHERE workspace_id = :ws AND program_id = :program AND round_number > :upto - 3""",
    "late placement / rematch: my recent pairs": """
        SELECT member_a, member_b FROM pair_history
        WHERE workspace_id = :ws AND program_id = :program AND round_number > :upto - 3
          AND (member_a = :me OR member_b = :me)""",
    "joining a circle: my pairs in this round": """
        SELECT member_a, member_b FROM pair_history
        WHERE workspace_id = :ws AND round_id = :round AND (member_a = :me OR member_b = :me)""",
}
NEW_INDEXES = ("ix_pair_history_member_a", "ix_pair_history_member_b",
               "ix_pair_history_program_round")
EVERYDAY = ["status", "answer I shipped the parser", "pulse 4", "goal list"]


def explain(engine: Engine, sql: str, params: Any) -> tuple[float, str, list[str]]:
    """A captured driver-level statement under EXPLAIN ANALYZE: (execution ms, the plan's
    top node, tables read by a sequential scan)."""
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql, params).scalars().all()
        conn.rollback()
    ms = next(float(m.group(1)) for r in plan if (m := re.search(r"Execution Time: ([\d.]+)", r)))
    seq = sorted({m.group(1) for r in plan if (m := re.search(r"Seq Scan on (\w+)", r))})
    return ms, plan[0].split("  (")[0].strip(), seq


def everyday_plans(engine: Engine) -> list[tuple[str, str]]:
    sessions = session_factory(engine)
    bot = CircleBot(sessions, Config())
    me = Identity(platform="slack", workspace="T1", user="U0050000", display_name="Member",
                  is_admin=False, timezone=None, channel=None)
    captured: list[tuple[str, Any]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    rows: list[tuple[str, str]] = []
    for words in EVERYDAY:
        captured.clear()
        event.listen(engine, "before_cursor_execute", grab)
        try:
            bot.handle_command_sync(me, words)
        finally:
            event.remove(engine, "before_cursor_execute", grab)
        worst = 0.0
        seqs: set[str] = set()
        for statement, params in captured:
            ms, _, seq = explain(engine, statement, params)
            worst = max(worst, ms)
            seqs.update(seq)
        rows.append((f"/circle {words.split()[0] if words != 'goal list' else words}",
                     f"{len(captured)} SELECTs, slowest {worst:.2f} ms, "
                     f"seq scans: {', '.join(sorted(seqs)) or 'none'}"))
    bot.close()
    return rows


def pair_plans(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        ws, program = conn.execute(text("SELECT workspace_id, id FROM programs")).one()
        rnd = conn.execute(text("SELECT id FROM rounds WHERE number = -1")).scalar_one()
        me = conn.execute(text("SELECT member_a FROM pair_history LIMIT 1")).scalar_one()
        total = conn.execute(text("SELECT count(*) FROM pair_history")).scalar_one()
    params = {"ws": ws, "program": program, "round": rnd, "me": me, "upto": 1}
    rows = [("pair_history rows", f"{total}")]
    with engine.begin() as conn:
        for name in NEW_INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))
        before = {k: explain_in(conn, q, params) for k, q in PAIR_QUERIES.items()}
        conn.rollback()  # the indexes are back
    after = {k: explain_in_engine(engine, q, params) for k, q in PAIR_QUERIES.items()}
    for key in PAIR_QUERIES:
        (b_ms, b_top), (a_ms, a_top) = before[key], after[key]
        rows.append((key, f"{b_ms:.1f} ms ({b_top}) -> {a_ms:.2f} ms ({a_top})"))
    return rows


def explain_in(conn: Any, sql: str, params: dict[str, Any]) -> tuple[float, str]:
    plan = conn.execute(text("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql), params).scalars().all()
    ms = next(float(m.group(1)) for r in plan if (m := re.search(r"Execution Time: ([\d.]+)", r)))
    return ms, plan[0].split("  (")[0].strip()


def explain_in_engine(engine: Engine, sql: str, params: dict[str, Any]) -> tuple[float, str]:
    with engine.connect() as conn:
        return explain_in(conn, sql, params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    with bench_schema("bench_plans") as engine:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            for sql in SEED:
                conn.execute(text(sql), {"members": args.members})
            for sql in PAIR_SEED.split(";"):
                if sql.strip():
                    conn.execute(text(sql), {"rounds": args.rounds})
        analyze(engine)
        seeded = time.perf_counter() - t0
        rows = [("members / past rounds", f"{args.members} / {args.rounds}"),
                ("seed (set-based SQL + VACUUM ANALYZE)", f"{seeded:.1f} s")]
        rows += everyday_plans(engine)
        rows += pair_plans(engine)
    table(rows)
    print("plans: see the table (no timing target; the evidence for 0008_perf13b's indexes)")


if __name__ == "__main__":
    main()
