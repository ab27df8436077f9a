"""A delivery worker process against the fake chat API, so a test can SIGKILL a real
process mid-fan-out and start another.

    python -m benchmarks._fake_worker DATABASE_URL API_BASE [--schema S] [--lease SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy import create_engine

from benchmarks._fake_platform import FakeChatGateway
from bot.config import SchedulingConfig
from bot.delivery import DeliveryWorker
from circles.db import make_engine, normalize_url, session_factory


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("api_base")
    parser.add_argument("--schema", default="")
    parser.add_argument("--lease", type=int, default=3)
    parser.add_argument("--rate", type=float, default=100.0, help="client-side messages/s per workspace")
    args = parser.parse_args(argv)
    if args.schema:
        engine = create_engine(normalize_url(args.database_url),
                               connect_args={"options": f"-csearch_path={args.schema}"})
    else:
        engine = make_engine(args.database_url)
    cfg = SchedulingConfig(delivery_lease_seconds=args.lease, delivery_poll_seconds=0.1,
                           per_workspace_per_second=args.rate)
    gateway = FakeChatGateway(args.api_base)
    worker = DeliveryWorker(session_factory(engine), {"slack": gateway}, cfg)
    print("ready", flush=True)
    await worker.run_forever(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
