"""The composition root: the one place that builds the database engine, the core, the
gateways, the Slack installation store, the delivery worker, the scheduler and the adapters.

Everything else receives its collaborators as arguments: adapter runners only run what
they are handed, and ``bot.runtime`` only starts and stops what ``wire`` built. Platform
libraries are imported on use, so a console session never loads Bolt or discord.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections import Counter
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config
from bot.core import CircleBot
from bot.delivery import DEFER_SECONDS, DeliveryWorker, RateLimiter
from bot.ports import ChatGateway
from bot.scheduling import CircleScheduler
from circles.db import Timeouts, make_engine, session_factory, upgrade
from circles.jobs import run_due
from circles.leader import LeaderElection
from circles.model import OutboxMessage, Workspace

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from adapters.console.adapter import ConsoleGateway, ConsoleSession
    from adapters.discord.client import CircleClient
    from adapters.discord.gateway import DiscordGateway
    from adapters.slack.gateway import SlackGateway
    from adapters.slack.installation_store import DbInstallationStore

Starter = Callable[[], Coroutine[Any, Any, None]]


@dataclass
class App:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    bot: CircleBot


def build(config: Config, migrate: bool = True) -> App:
    """Database and core: all `migrate`, `demo` and `status` need."""
    db = config.database
    engine = make_engine(db.url, Timeouts(db.connect_timeout, db.statement_timeout, db.pool_timeout))
    if migrate:
        upgrade(engine)
    sessions = session_factory(engine)
    # Sized on purpose ([bot] workers): the pool that keeps blocking work off the event loop.
    executor = ThreadPoolExecutor(max_workers=config.bot.workers, thread_name_prefix="circlebot")
    # and one more thread for coordinators' long commands, so they never hold members' workers
    coordinators = ThreadPoolExecutor(max_workers=1, thread_name_prefix="circlebot-coordinator")
    return App(config, engine, sessions, CircleBot(sessions, config, executor=executor,
                                                   coordinator_executor=coordinators))


@dataclass
class SlackParts:
    """One Bolt app, one gateway and (in OAuth mode) the one installation store both use."""

    app: AsyncApp
    gateway: SlackGateway
    installations: DbInstallationStore | None


def build_slack(core: CircleBot, config: Config) -> SlackParts:
    """Checks the Slack settings first, so a missing variable is named before connecting."""
    from adapters.slack.app import build_app
    from adapters.slack.gateway import SlackGateway
    from adapters.slack.installation_store import DbInstallationStore
    from adapters.slack.runner import check_config

    check_config(config)
    sc = config.slack
    installations = DbInstallationStore(core.sessions) if sc.client_id else None
    gateway = SlackGateway(token="" if sc.client_id else sc.bot_token,
                           installations=installations, base_url=sc.api_base_url)
    app, _ = build_app(core, config, installations=installations)
    return SlackParts(app, gateway, installations)


def build_discord(core: CircleBot, config: Config, *, shard_ids: list[int] | None = None,
                  shard_count: int | None = None) -> tuple[CircleClient, DiscordGateway]:
    """The client and the gateway that posts through it (needs no token until it runs)."""
    from adapters.discord.client import CircleClient
    from adapters.discord.gateway import DiscordGateway
    from adapters.discord.runner import shard_plan, use_api_base

    ids, count = shard_plan(config.discord, shard_ids, shard_count)
    use_api_base(config.discord.api_base_url)
    client = CircleClient(core, config, shard_ids=ids, shard_count=count)
    return client, DiscordGateway(client, config.discord.hub_channel)


@dataclass
class Running:
    """Everything `circlebot run` serves, built and connected but not started yet."""

    gateways: dict[str, ChatGateway]
    worker: DeliveryWorker
    scheduler: CircleScheduler | None
    adapters: dict[str, Starter] = field(default_factory=dict)  # run until cancelled
    console: Starter | None = None  # when present, the process ends when it does


def wire(app: App, platform: str) -> Running:
    """Builds what ``platform`` ("console", "slack", "discord", "slack,discord") needs.
    Raises ConfigError before anything connects when a setting is missing."""
    wanted = {p.strip() for p in platform.split(",") if p.strip()}
    config = app.config
    gateways: dict[str, ChatGateway] = {}
    adapters: dict[str, Starter] = {}
    console: Starter | None = None
    if "slack" in wanted:
        from adapters.slack.runner import run_slack

        slack = build_slack(app.bot, config)
        gateways["slack"] = slack.gateway
        adapters["slack"] = partial(run_slack, slack.app, config.slack)
    if "discord" in wanted:
        from adapters.discord.runner import check_config, run_discord

        check_config(config)
        client, gateways["discord"] = build_discord(app.bot, config)
        adapters["discord"] = partial(run_discord, client, config.discord.token)
    worker = DeliveryWorker(app.sessions, gateways, config.scheduling)
    if "console" in wanted:
        console = wire_console(app, gateways, worker, sys.stdout)
    scheduler = (CircleScheduler(app.sessions, config.scheduling, app.bot.clock,
                                 LeaderElection(app.engine))
                 if config.scheduling.enabled else None)
    return Running(gateways, worker, scheduler, adapters, console)


def wire_console(app: App, gateways: dict[str, ChatGateway], worker: DeliveryWorker,
                 out: TextIO, ask: Callable[[str], str] | None = None,
                 posts: Callable[[str], None] | None = None) -> Starter:
    """The console's gateway and its settable clock: the core, the delivery worker and the
    scheduler all read that clock, so `/clock +1w` moves the whole bot a week, running what
    falls due (the cycle engine) and delivering it (this worker, through this gateway).
    ``posts`` is where the gateway's posts and DMs go (printed to ``out`` by default)."""
    from adapters.console.adapter import ConsoleGateway, Timekeeper, run_console, terminal_input
    from adapters.console.clock import ConsoleClock

    clock = ConsoleClock(app.bot.clock)
    app.bot.clock = clock.now
    worker.clock = clock.now
    gateway = ConsoleGateway(posts or (lambda text: print(f"\n{text}", file=out, flush=True)))
    gateways["console"] = gateway
    if set(gateways) == {"console"}:  # nothing to pace in a terminal: no platform rate limits
        worker.limiter = RateLimiter(0, 0, clock=lambda: clock.now().timestamp())

    async def due(now: dt.datetime) -> Counter[str]:
        return await asyncio.to_thread(run_due, app.sessions, now, app.config.scheduling)

    async def deliver() -> int:
        """Send everything due; a post waiting for its circle's new space is deferred a few
        seconds, so let those seconds pass on the console's clock rather than wait for them."""
        sent = 0
        for _ in range(5):
            while handled := await worker.run_once():
                sent += handled
            soon = clock.now() + dt.timedelta(seconds=DEFER_SECONDS + 1)
            if not await asyncio.to_thread(_pending_before, app.sessions, soon):
                break
            clock.set(soon)
        return sent

    return partial(run_console, app.bot, out, ask or terminal_input, gateway=gateway,
                   time=Timekeeper(clock, due, deliver))


def _pending_before(sessions: sessionmaker[Session], when: dt.datetime) -> bool:
    """Is a console message still waiting to be sent, due before ``when``?"""
    with sessions() as session:
        return session.scalar(
            select(OutboxMessage.id).join(Workspace, Workspace.id == OutboxMessage.workspace_id)
            .where(OutboxMessage.status == "pending", OutboxMessage.not_before <= when,
                   Workspace.platform == "console").limit(1)) is not None


@dataclass
class DemoParts:
    """What `circlebot demo` drives: a console session wired exactly as `circlebot run`
    wires one (the console clock, the cycle engine, the delivery worker, a console gateway),
    and that gateway, whose posts go where the demo says."""

    session: ConsoleSession
    gateway: ConsoleGateway


def build_demo(app: App, out: TextIO, ask: Callable[[str], str], posts: Callable[[str], None],
               start: dt.datetime) -> DemoParts:
    """A console whose clock reads ``start`` (time flows from there as `/clock` moves it)."""
    from adapters.console.adapter import ConsoleSession

    gateways: dict[str, ChatGateway] = {}
    console = wire_console(app, gateways, DeliveryWorker(app.sessions, gateways, app.config.scheduling),
                           out, ask, posts)
    console.keywords["time"].clock.set(start)
    gateway = console.keywords["gateway"]
    return DemoParts(ConsoleSession(app.bot, out, ask, **console.keywords), gateway)
