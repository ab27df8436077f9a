"""Many people at once through the real Slack HTTP path, in a big workspace.

    .venv/bin/python -m benchmarks.load [--members 100000] [--people 50] [--requests 20]

The bot runs in a process of its own, built exactly as ``circlebot run`` builds it
(``bot.bootstrap.build`` and ``build_slack``, served by ``adapters.slack.runner``) in HTTP
mode against the fake Slack from the tests (``tests/fakes/slack``) on loopback. This process
seeds PostgreSQL (``CIRCLES_BENCH_DATABASE_URL``, a schema of its own, dropped afterwards)
with ``--members`` members in circles of 5 by set-based SQL, then ``--people`` simulated
people each send ``--requests`` signed slash commands, one after another: a mix of status,
answer, pulse and goal list, and 2 % ``/circle health`` from a coordinator. Ack = the HTTP
answer to the signed request; reply = until the answer reaches the response_url. Bot peak
memory is the bot process's ``VmHWM``. Everything is bounded; it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from sqlalchemy import create_engine, text

from circles.db import normalize_url, upgrade

URL = os.environ.get("CIRCLES_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "bench-signing-secret"
MIX = [("status", 0.25), ("answer", 0.25), ("pulse", 0.24), ("goal list", 0.24),
       ("health", 0.02)]
TARGETS = {"ack p99": 200.0, "reply p99 (whole mix)": 1000.0,
           "reply p99 (member commands)": 1000.0, "errors": 0, "bot peak MB": 300.0}
REPLY_TIMEOUT = 60.0  # a reply later than this counts as an error (and keeps the run bounded)


# ------------------------------------------------------------------ seeding


def schema_url(schema: str) -> str:
    sep = "&" if "?" in URL else "?"
    return f"{URL}{sep}options={quote(f'-csearch_path={schema}')}"


SEED = [
    """INSERT INTO workspaces (platform, external_id, name, active, settings, created_at)
       VALUES ('slack', 'T1', 'Acme', true, '{}', now())""",
    """INSERT INTO programs (workspace_id, name, kind, min_size, max_size, cadence, day, time,
         timezone, enrolment_open, repeat_window, min_shared_hours, round_weeks, weights,
         settings, created_at)
       SELECT id, 'Peer Circles', 'peer', 4, 6, 'weekly', 'mon', '10:00', 'UTC', true, 3, 1, 6,
              '{}', '{}', now() FROM workspaces""",
    """INSERT INTO rounds (workspace_id, program_id, number, status, starts_on, ends_on, seed,
         score, broken_rules, waitlist, created_at)
       SELECT workspace_id, id, 1, 'active', current_date - 7, current_date + 35, 1, 0,
              '[]', '{}', now() FROM programs""",
    """INSERT INTO members (workspace_id, external_id, display_name, is_coordinator, enrolled,
         created_at)
       SELECT w.id, 'U' || lpad(g::text, 7, '0'), 'Member ' || g, false, true, now()
       FROM workspaces w, generate_series(1, :members) g""",
    """INSERT INTO members (workspace_id, external_id, display_name, is_coordinator, enrolled,
         created_at)
       SELECT id, 'U_COORD', 'Cora', true, false, now() FROM workspaces""",
    """INSERT INTO profiles (workspace_id, member_id, experience, department, interests,
         goals, skills_offered, skills_wanted, timezone, availability, never_with)
       SELECT workspace_id, id, 1 + id % 5, '',
              CAST('["rust", "design"]' AS json), CAST('[]' AS json), CAST('[]' AS json),
              CAST('[]' AS json), 'Europe/Berlin', CAST('[["mon", 9, 17]]' AS json),
              CAST('[]' AS json)
       FROM members WHERE enrolled""",
    """INSERT INTO program_members (workspace_id, program_id, member_id, joined_at)
       SELECT m.workspace_id, p.id, m.id, now() FROM members m, programs p
       WHERE m.enrolled""",
    """INSERT INTO circles (workspace_id, round_id, number, name, kind, explanation, score,
         space_id, archived)
       SELECT r.workspace_id, r.id, g, 'Circle ' || g, 'peer', '', 0,
              'C' || lpad(g::text, 7, '0'), false
       FROM rounds r, generate_series(1, (:members + 4) / 5) g""",
    """INSERT INTO memberships (workspace_id, circle_id, member_id, role, active)
       SELECT m.workspace_id, c.id, m.id, 'peer', true
       FROM members m JOIN circles c
         ON c.number = (m.id - (SELECT min(id) FROM members)) / 5 + 1
       WHERE m.enrolled""",
    """INSERT INTO prompt_posts (workspace_id, circle_id, cycle, prompt_key, text, message_ref,
         posted_at)
       SELECT workspace_id, id, 1, 'bank:learned', 'What did you learn this week?',
              '1700000000.' || lpad(id::text, 6, '0'), now() FROM circles""",
]


def seed(schema: str, members: int) -> float:
    admin = create_engine(normalize_url(URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = create_engine(normalize_url(schema_url(schema)))
    upgrade(engine)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for sql in SEED:
            conn.execute(text(sql), {"members": members})
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(
            "ANALYZE members, profiles, program_members, circles, memberships, prompt_posts"))
    engine.dispose()
    return time.perf_counter() - t0


def drop(schema: str) -> None:
    admin = create_engine(normalize_url(URL))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


# ------------------------------------------------------------------ the bot


def serve(db_url: str, api_base: str, token: str, port: int, workers: int) -> None:
    """The bot process: built by the composition root, HTTP mode, until terminated."""
    from adapters.slack.runner import run_slack
    from bot.bootstrap import build, build_slack
    from bot.config import Config

    config = Config()
    config.database.url = db_url
    config.bot.platform = "slack"
    config.bot.coordinators = ["slack:T1:U_COORD"]
    if workers:
        config.bot.workers = workers
    sc = config.slack
    sc.mode, sc.host, sc.port = "http", "127.0.0.1", port
    sc.signing_secret, sc.bot_token, sc.api_base_url = SECRET, token, api_base
    app = build(config, migrate=False)
    slack = build_slack(app.bot, config)
    asyncio.run(run_slack(slack.app, config.slack))


def peak_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ the people


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def drive(args: argparse.Namespace, schema: str) -> dict[str, Any]:
    from tests.fakes.slack.server import FakeSlack
    from tests.fakes.slack.sim import SlackSim

    arrived: dict[str, asyncio.Future[float]] = {}

    class TimedSlack(FakeSlack):
        """The fake Slack, noting when each response_url answer arrives."""

        async def _hook(self, request: web.Request) -> web.Response:
            resp = await super()._hook(request)
            if "working on it" in str(self.responses[-1:]).lower():
                return resp  # an interim answer is not the reply
            fut = arrived.get(request.match_info["tail"])
            if fut is not None and not fut.done():
                fut.set_result(time.perf_counter())
            return resp

    fake = await TimedSlack().start()
    team = fake.add_team("T1", "Acme")
    fake.add_user("T1", "U_COORD", "cora", admin=True)
    rng = random.Random(13)
    people = [f"U{n:07d}" for n in rng.sample(range(1, args.members + 1), args.people)]
    for user in people:
        fake.add_user("T1", user, user.lower())
    sim = SlackSim(fake, SECRET)
    port = free_port()
    bot = subprocess.Popen([sys.executable, "-m", "benchmarks.load", "--serve",
                            schema_url(schema), fake.api_base, team.bot_token, str(port),
                            str(args.workers)])
    endpoint = f"http://127.0.0.1:{port}/slack/events"
    acks: list[float] = []
    acks_by_kind: dict[str, list[float]] = {k: [] for k, _ in MIX}
    interim: list[str] = []
    replies: list[float] = []
    errors: list[str] = []
    per_kind: dict[str, list[float]] = {k: [] for k, _ in MIX}
    peak = [0.0]
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):  # up to 30 s for the bot to listen
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            else:
                raise SystemExit("the bot did not start")

            async def one(user: str, kind: str) -> None:
                words = {"answer": f"answer shipped step {rng.randrange(1000)}",
                         "pulse": f"pulse {rng.randint(1, 5)}"}.get(kind, kind)
                who = "U_COORD" if kind == "health" else user
                payload = sim.slash(words, user=who)
                tail = payload["response_url"].rsplit("/hooks/", 1)[-1]
                arrived[tail] = asyncio.get_running_loop().create_future()
                body = sim.form_body(payload)
                t0 = time.perf_counter()
                try:
                    async with http.post(endpoint, data=body, headers={
                            "content-type": "application/x-www-form-urlencoded",
                            **sim.sign(body)}) as r:
                        ack_body = await r.read()
                        status = r.status
                    acks.append((time.perf_counter() - t0) * 1000)
                    acks_by_kind[kind].append(acks[-1])
                    if b"Working on it" in ack_body:
                        interim.append(kind)
                    if status != 200:
                        errors.append(f"{kind}: HTTP {status}")
                        return
                    done = await asyncio.wait_for(arrived[tail], REPLY_TIMEOUT)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    errors.append(f"{kind}: {type(exc).__name__}")
                    return
                finally:
                    arrived.pop(tail, None)
                ms = (done - t0) * 1000
                replies.append(ms)
                per_kind[kind].append(ms)
                reply = next((x for x in reversed(fake.responses) if x["_hook"] == tail), {})
                if "went wrong" in str(reply):
                    errors.append(f"{kind}: the bot said something went wrong")

            kinds, weights = zip(*MIX, strict=True)
            weights = tuple(args.health if k == "health" else w * (1 - args.health) / 0.98
                            for k, w in zip(kinds, weights, strict=True))

            async def person(user: str) -> None:
                for _ in range(args.requests):
                    await one(user, rng.choices(kinds, weights)[0])

            async def watch() -> None:
                while bot.poll() is None:
                    peak[0] = max(peak[0], peak_mb(bot.pid))
                    await asyncio.sleep(0.5)

            watcher = asyncio.create_task(watch())
            t0 = time.perf_counter()
            await asyncio.gather(*(person(u) for u in people))
            elapsed = time.perf_counter() - t0
            peak[0] = max(peak[0], peak_mb(bot.pid))
            watcher.cancel()
    finally:
        bot.terminate()
        try:
            bot.wait(timeout=20)
        except subprocess.TimeoutExpired:
            bot.kill()
        await fake.close()
    return {"acks": acks, "replies": replies, "errors": errors, "per_kind": per_kind,
            "acks_by_kind": acks_by_kind, "interim": interim,
            "peak": peak[0], "elapsed": elapsed, "users_info": len(fake.calls_to("users.info")),
            "auth_test": len(fake.calls_to("auth.test")), "connections": len(fake.peers),
            "to_slack": len(fake.calls) + len(fake.responses),
            "violations": list(fake.violations)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="commands per person")
    parser.add_argument("--health", type=float, default=0.02,
                        help="share of commands that are a coordinator's /circle health")
    parser.add_argument("--workers", type=int, default=0,
                        help="the bot's [bot] workers (default: the config default)")
    parser.add_argument("--serve", nargs=5, metavar=("DB", "API", "TOKEN", "PORT", "WORKERS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        db_url, api, token, port, workers = args.serve
        serve(db_url, api, token, int(port), int(workers))
        return
    schema = f"load_{uuid.uuid4().hex[:10]}"
    try:
        seeded = seed(schema, args.members)
        out = asyncio.run(drive(args, schema))
    finally:
        drop(schema)
    acks, replies, errors = out["acks"], out["replies"], out["errors"]
    members = [ms for kind, values in out["per_kind"].items() if kind != "health" for ms in values]
    figures = {"ack p99": percentile(acks, 99), "reply p99 (whole mix)": percentile(replies, 99),
               "reply p99 (member commands)": percentile(members, 99),
               "errors": len(errors), "bot peak MB": out["peak"]}
    sent = len(acks)
    rows = [
        ("members / circles", f"{args.members} / {(args.members + 4) // 5}"),
        ("people x commands", f"{args.people} x {args.requests} = {sent} sent"),
        ("seed (set-based SQL)", f"{seeded:.1f} s"),
        ("run time", f"{out['elapsed']:.1f} s ({len(replies) / out['elapsed']:.1f} replies/s)"),
        ("ack p50 / p99", f"{percentile(acks, 50):.0f} / {figures['ack p99']:.0f} ms"),
    ]
    for kind, values in out["acks_by_kind"].items():
        rows.append((f"  ack p50 / p99 {kind}",
                     f"{percentile(values, 50):.0f} / {percentile(values, 99):.0f} ms"))
    rows += [
        ("reply p50 / p99, whole mix",
         f"{percentile(replies, 50):.0f} / {figures['reply p99 (whole mix)']:.0f} ms"),
        ("reply p50 / p99, member commands",
         f"{percentile(members, 50):.0f} / {figures['reply p99 (member commands)']:.0f} ms"),
    ]
    for kind, values in out["per_kind"].items():
        rows.append((f"  reply p50 / p99 {kind}",
                     f"{percentile(values, 50):.0f} / {percentile(values, 99):.0f} ms"
                     f" (n={len(values)})"))
    hits = 1 - out["users_info"] / sent if sent else float("nan")
    rows += [("'working on it' acks", f"{len(out['interim'])} ({', '.join(sorted(set(out['interim'])))})"),
             ("errors", f"{len(errors)} {sorted(set(errors))[:3] if errors else ''}".strip()),
             ("identity cache hit rate", f"{100 * hits:.1f} % ({out['users_info']} users.info "
                                         f"for {sent} commands)"),
             ("auth.test calls", str(out["auth_test"])),
             ("TCP connections to Slack", f"{out['connections']} for {out['to_slack']} requests"),
             ("fake Slack violations", str(len(out["violations"]))),
             ("bot peak memory (VmHWM)", f"{out['peak']:.0f} MB")]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}} | value")
    print(f"{'-' * width}-+-{'-' * 40}")
    for key, value in rows:
        print(f"{key:<{width}} | {value}")
    verdict = []
    for name, value in figures.items():
        target = TARGETS[name]
        met = value <= target if name == "errors" else value < target
        unit = "" if name == "errors" else (" MB" if "MB" in name else " ms")
        shown = f"{value:.0f}{unit}" if name != "errors" else str(value)
        verdict.append(f"{name} {shown} (target {'=' if name == 'errors' else '<'} "
                       f"{target:g}{unit}) {'met' if met else 'NOT met'}")
    print("RESULT: " + "; ".join(verdict))


if __name__ == "__main__":
    main()
