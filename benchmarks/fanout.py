"""Fan-out of one weekly prompt to many circles through the real outbox worker, against a
Slack-like API on loopback that enforces Slack's documented shape of limits: 1 message per
second per channel, and a workspace-wide budget (default 100 messages/s with a 1-second
burst; Slack does not publish one number, so it is a parameter) answered with HTTP 429 and
Retry-After when exceeded.

    .venv/bin/python -m benchmarks.fanout [--circles 10000] [--rate 100] [--database-url URL]

The floor is set by the workspace budget: (circles - burst) / rate seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from benchmarks._fake_platform import FakeChat, FakeChatGateway
from bot.config import SchedulingConfig
from bot.delivery import DeliveryWorker
from circles.cycle import run_due
from circles.db import make_engine, session_factory, unit_of_work, upgrade
from circles.model import OutboxMessage
from tests.builders import seed_world


async def bench(circles: int, rate: float, url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    t0 = time.perf_counter()
    with unit_of_work(sessions) as s:
        seed_world(s, circles=circles, size=2, starts_on=dt.date(2026, 6, 1))
    seeded = time.perf_counter() - t0
    cfg = SchedulingConfig(per_workspace_per_second=rate, per_space_per_second=1.0, delivery_batch=200,
                           delivery_concurrency=32, delivery_poll_seconds=0.05, digest_day="sun")
    t0 = time.perf_counter()
    queued = run_due(sessions, dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), cfg)["prompt"]
    scheduled = time.perf_counter() - t0

    chat = FakeChat(per_channel_interval=1.0, workspace_rate=rate, workspace_burst=rate)
    await chat.start()
    gateway = FakeChatGateway(chat.base)
    worker = DeliveryWorker(sessions, {"slack": gateway}, cfg)
    stop = asyncio.Event()

    def unsent() -> int:
        with sessions() as s:
            return s.scalar(select(func.count()).where(OutboxMessage.status != "sent")) or 0

    t0 = time.perf_counter()
    task = asyncio.create_task(worker.run_forever(stop))
    while len(chat.messages) < queued or await asyncio.to_thread(unsent):
        await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - t0
    stop.set()
    await task
    await gateway.close()
    await chat.stop()
    engine.dispose()

    per_channel = Counter(m.channel for m in chat.messages)
    lost = queued - len(per_channel)
    duplicated = sum(n - 1 for n in per_channel.values())
    floor = max(0.0, (queued - chat.workspace_burst) / rate)
    return [
        ("circles (prompts queued)", f"{queued}"),
        ("workspace limit", f"{rate:g} msg/s, burst {chat.workspace_burst:g}; 1 msg/s per channel"),
        ("seed database", f"{seeded:.1f} s"),
        ("scheduler sweep (enqueue)", f"{scheduled:.1f} s"),
        ("delivery time", f"{elapsed:.1f} s"),
        ("rate-limit minimum", f"{floor:.1f} s"),
        ("delivery / minimum", f"{100 * elapsed / floor:.1f} %" if floor else "n/a"),
        ("HTTP 429 answered", f"{chat.rejected_429}"),
        ("messages lost", f"{lost}"),
        ("messages duplicated", f"{duplicated}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--circles", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0, help="workspace-wide messages per second")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'fanout.sqlite3'}"
        rows = asyncio.run(bench(args.circles, args.rate, url))
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}} | value")
    print(f"{'-' * width}-+-{'-' * 40}")
    for key, value in rows:
        print(f"{key:<{width}} | {value}")


if __name__ == "__main__":
    main()
