"""`circlebot` command line: run, demo, migrate, status."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import config as config_mod

PLATFORMS = config_mod.PLATFORMS


def _platform(value: str) -> str:
    try:
        return config_mod.check_platform(value, "--platform")
    except config_mod.ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="circlebot", description="Peer-learning and mentoring circles "
                                "for Slack and Discord.")
    p.add_argument("--config", help="TOML config file (default: ./circlebot.toml if present)")
    p.add_argument("--database", help="database URL (default: sqlite:///circlebot.sqlite3)")
    sub = p.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the bot (console adapter by default)")
    run.add_argument("--platform", type=_platform, metavar="PLATFORM",
                     help="console (the default), slack or discord; name two with a comma "
                          "between them to serve both from one process")
    run.add_argument("--shard-ids", help="Discord: comma-separated shard ids this process runs")
    run.add_argument("--shard-count", type=int, help="Discord: total number of shards")
    sub.add_parser("console", help="same as `run --platform console`")
    sub.add_parser("demo", help="watch a week of circles in the console: prompt, answers, nudge, "
                   "check-in, pulses, digest and the health report")
    sub.add_parser("migrate", help="upgrade the database schema to the newest version")
    sub.add_parser("status", help="show the next due work and the outbox backlog")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Runs a command; a database that can't be used is one line on stderr (with the URL's
    password hidden), never a driver's traceback, and Ctrl-C ends quietly."""
    args = _parser().parse_args(argv)
    try:
        return _main(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from circles.db import database_problem, safe_url

        problem = database_problem(exc)
        if problem is None:
            raise
        url = safe_url(args.database or _configured_url(args))
        print(f"circlebot: {DB_PROBLEMS[problem.kind].format(url=url)} ({problem.detail})",
              file=sys.stderr)
        return 2


DB_PROBLEMS = {
    "bad_url": "{url} is not a database URL; use e.g. sqlite:///circlebot.sqlite3 or "
               "postgresql://user@host/dbname",
    "no_driver": "there is no driver for {url} installed; Circlebot supports SQLite and PostgreSQL",
    "unreachable": "can't reach the database at {url}",
    "timeout": "the database at {url} did not answer in time",
    "unavailable": "the database at {url} is not available",
}


def _configured_url(args: argparse.Namespace) -> str:
    try:
        return config_mod.load(args.config).database.url
    except config_mod.ConfigError:
        return config_mod.DatabaseConfig().url


def _main(args: argparse.Namespace) -> int:
    try:
        cfg = config_mod.load(args.config)
    except config_mod.ConfigError as exc:
        print(f"circlebot: {exc}", file=sys.stderr)
        return 2
    if args.database:
        cfg.database.url = args.database
    command = args.command or "run"
    if command == "console":
        command, args.platform = "run", "console"

    from bot.bootstrap import build

    if command == "migrate":
        build(cfg)
        print(f"Database is up to date ({cfg.database.url}).")
        return 0
    if command == "demo":
        return _demo(cfg, explicit_database=bool(args.database))
    if command == "status":
        from bot.status import status_report

        app = build(cfg)
        print(status_report(app.sessions, app.bot.clock(), app.config.scheduling))
        return 0
    if command == "run":
        from bot.runtime import run

        platform = getattr(args, "platform", None) or cfg.bot.platform
        if getattr(args, "shard_ids", None):
            cfg.discord.shard_ids = [int(x) for x in args.shard_ids.split(",") if x.strip()]
        if getattr(args, "shard_count", None):
            cfg.discord.shard_count = args.shard_count
        return run(build(cfg), platform)
    return 2


def _demo(cfg: config_mod.Config, explicit_database: bool) -> int:
    """The demo runs on a throwaway SQLite database unless one is named."""
    import tempfile

    from bot.bootstrap import build, build_demo
    from bot.demo import DIGEST_DAY, DIGEST_TIME, main_demo

    with tempfile.TemporaryDirectory(prefix="circlebot-demo-") as tmp:
        if not explicit_database and cfg.database.url == config_mod.DatabaseConfig().url:
            cfg.database.url = f"sqlite:///{tmp}/demo.sqlite3"
        cfg.scheduling.digest_day, cfg.scheduling.digest_time = DIGEST_DAY, DIGEST_TIME
        app = build(cfg)

        def console(out, ask, posts, start):  # type: ignore[no-untyped-def]
            parts = build_demo(app, out, ask, posts, start)
            return parts.session, parts.gateway

        try:
            return main_demo(console, sys.stdout)
        finally:
            app.bot.close()
            app.engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
