"""Fan-out of one weekly prompt to many circles through the real outbox worker, against a
Slack-like API on loopback that enforces Slack's documented shape of limits: 1 message per
second per channel, and a workspace-wide budget (default 100 messages/s with a 1-second
burst; Slack does not publish one number, so it is a parameter) answered with HTTP 429 and
Retry-After when exceeded.

    .venv/bin/python -m benchmarks.fanout [--circles 10000] [--rate 100]

The floor is set by the workspace budget: (circles - burst) / rate seconds; the target is
delivery within 110 % of it. PostgreSQL from CIRCLES_BENCH_DATABASE_URL (default: the
``test`` database on 127.0.0.1:5432), in a schema of its own, dropped afterwards. The round is
seeded by set-based SQL (as in ``benchmarks.sweep``). Nothing polls: the run ends when the
fake platform has accepted the last prompt (an event it sets), then the worker is stopped
after its batch and the outbox is checked once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections import Counter

from sqlalchemy import func, select

from benchmarks._fake_platform import Accepted, FakeChat, FakeChatGateway
from benchmarks._pgschema import bench_schema, table
from benchmarks.sweep import NOW, seed
from bot.config import SchedulingConfig
from bot.delivery import DeliveryWorker
from circles.cycle import run_due
from circles.db import session_factory
from circles.model import OutboxMessage

TARGET_PERCENT = 110.0


class Arrivals(list[Accepted]):
    """The fake's list of accepted messages, setting ``full`` when the expected number is in."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.full = asyncio.Event()

    def append(self, item: Accepted) -> None:
        super().append(item)
        if len(self) >= self.expected:
            self.full.set()


async def bench(circles: int, rate: float) -> tuple[list[tuple[str, str]], float, bool]:
    with bench_schema("bench_fanout") as engine:
        sessions = session_factory(engine)
        t0 = time.perf_counter()
        seed(engine, circles, 2)
        seeded = time.perf_counter() - t0
        cfg = SchedulingConfig(per_workspace_per_second=rate, per_space_per_second=1.0,
                               delivery_batch=200, delivery_concurrency=32,
                               delivery_poll_seconds=0.05, digest_day="sun")
        t0 = time.perf_counter()
        queued = run_due(sessions, NOW, cfg)["prompt"]
        scheduled = time.perf_counter() - t0

        arrivals = Arrivals(queued)
        chat = FakeChat(per_channel_interval=1.0, workspace_rate=rate, workspace_burst=rate,
                        messages=arrivals)
        await chat.start()
        gateway = FakeChatGateway(chat.base)
        worker = DeliveryWorker(sessions, {"slack": gateway}, cfg)
        stop = asyncio.Event()
        t0 = time.perf_counter()
        task = asyncio.create_task(worker.run_forever(stop))
        deadline = 3 * queued / rate + 60  # bounded: a lost message ends the run, NOT met
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrivals.full.wait(), deadline)
        elapsed = time.perf_counter() - t0
        stop.set()
        await task  # the batch in hand is finished (and marked sent) before it returns
        with sessions() as s:
            unsent = s.scalar(select(func.count()).where(OutboxMessage.status != "sent")) or 0
        await gateway.close()
        await chat.stop()

    per_channel = Counter(m.channel for m in chat.messages)
    lost = queued - len(per_channel)
    duplicated = sum(n - 1 for n in per_channel.values())
    floor = max(0.0, (queued - chat.workspace_burst) / rate)
    percent = 100 * elapsed / floor if floor else float("nan")
    ok = bool(floor) and percent <= TARGET_PERCENT and not lost and not duplicated and not unsent
    rows = [
        ("circles (prompts queued)", f"{queued}"),
        ("workspace limit", f"{rate:g} msg/s, burst {chat.workspace_burst:g}; 1 msg/s per channel"),
        ("seed database (set-based SQL)", f"{seeded:.1f} s"),
        ("scheduler sweep (enqueue)", f"{scheduled:.1f} s"),
        ("delivery time", f"{elapsed:.1f} s"),
        ("rate-limit minimum", f"{floor:.1f} s"),
        ("delivery / minimum", f"{percent:.1f} %"),
        ("HTTP 429 answered", f"{chat.rejected_429}"),
        ("messages lost / duplicated", f"{lost} / {duplicated}"),
        ("outbox rows not marked sent", f"{unsent}"),
    ]
    return rows, percent, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--circles", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0,
                        help="workspace-wide messages per second")
    args = parser.parse_args()
    rows, percent, ok = asyncio.run(bench(args.circles, args.rate))
    table(rows)
    print(f"fan-out of {args.circles} prompts: {percent:.1f} % of the rate-limit minimum "
          f"(target <= {TARGET_PERCENT:.0f} %), none lost, duplicated or unsent: "
          f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
