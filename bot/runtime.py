"""Running the bot: the adapters, the delivery worker and the scheduler that
``bot.bootstrap.wire`` built share one event loop, so one process can serve Slack and
Discord from the same engine. This module starts and stops them; it builds nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Any

from bot.bootstrap import App, Running, wire
from bot.config import ConfigError

log = logging.getLogger(__name__)


def run(app: App, platform: str) -> int:
    logging.basicConfig(level=logging.INFO if platform != "console" else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(app, platform))
    except KeyboardInterrupt:  # Ctrl-C: everything was stopped in order on the way out
        if platform == "console":
            print("\nBye!", flush=True)
    except ConfigError as exc:  # configuration problems found before or while connecting
        print(f"circlebot: {exc}", file=sys.stderr)
        return 2
    return 0


async def serve(app: App, platform: str) -> None:
    """Wires inside the running loop (platform clients expect one), then supervises."""
    await supervise(wire(app, platform))


async def supervise(running: Running) -> None:
    """Runs until the console ends (when there is one) or any adapter stops; then stops
    the worker and the scheduler and cancels the rest."""
    stop = asyncio.Event()
    tasks: list[asyncio.Task[Any]] = [asyncio.create_task(start(), name=name)
                                      for name, start in running.adapters.items()]
    console = (asyncio.create_task(running.console(), name="console")
               if running.console is not None else None)
    tasks.append(asyncio.create_task(running.worker.run_forever(stop), name="delivery"))
    scheduler = running.scheduler
    if scheduler is not None:
        await scheduler.start()
    try:
        if console is not None:
            await console
        else:
            await asyncio.gather(*tasks)
    finally:
        stop.set()
        if scheduler is not None:
            await scheduler.stop()
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
