"""Running the bot: the chosen adapters, the delivery worker and the scheduler share one
event loop, so one process can serve Slack and Discord from the same engine."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Any

from bot.bootstrap import App
from bot.config import ConfigError
from bot.delivery import DeliveryWorker
from bot.ports import ChatGateway

log = logging.getLogger(__name__)


def run(app: App, platform: str) -> int:
    logging.basicConfig(level=logging.INFO if platform != "console" else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(app, platform))
    except KeyboardInterrupt:
        pass
    except ConfigError as exc:  # configuration problems found before connecting
        print(f"circlebot: {exc}", file=sys.stderr)
        return 2
    return 0


async def serve(app: App, platform: str) -> None:
    wanted = {p.strip() for p in platform.split(",") if p.strip()}
    stop = asyncio.Event()
    gateways: dict[str, ChatGateway] = {}
    tasks: list[asyncio.Task[Any]] = []
    console = None
    if "slack" in wanted:
        from adapters.slack.runner import check_config, make_gateway, run_slack

        check_config(app.config)
        gateways["slack"] = make_gateway(app.bot, app.config)
        tasks.append(asyncio.create_task(run_slack(app.bot, app.config, gateways), name="slack"))
    if "discord" in wanted:
        from adapters.discord.runner import build_discord, run_discord

        if not app.config.discord.token:
            raise ConfigError("Set DISCORD_BOT_TOKEN (Developer Portal → your app → Bot → Reset Token) "
                              "to run on Discord.")
        client, gateways["discord"] = build_discord(app.bot, app.config)
        tasks.append(asyncio.create_task(run_discord(app.bot, app.config, client=client), name="discord"))
    if "console" in wanted:
        from adapters.console.adapter import ConsoleGateway, run_console

        gateways["console"] = ConsoleGateway(lambda text: print(f"\n{text}", flush=True))
        console = asyncio.create_task(run_console(app.bot, sys.stdout), name="console")
    worker = DeliveryWorker(app.sessions, gateways, app.config.scheduling)
    tasks.append(asyncio.create_task(worker.run_forever(stop), name="delivery"))
    scheduler = None
    if app.config.scheduling.enabled:
        from bot.scheduling import start_scheduler

        scheduler = await start_scheduler(app.sessions, app.config.scheduling, app.bot.clock)
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
