"""`circlebot` command line: run, demo, migrate, status, export."""

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
    sub.add_parser("demo", help="seed a demo workspace and print its health report")
    sub.add_parser("migrate", help="upgrade the database schema to the newest version")
    sub.add_parser("status", help="show the next due work and the outbox backlog")
    export = sub.add_parser("export", help="write program-evaluation CSV files to a folder")
    export.add_argument("--program", default="", help="one program's name (default: every program)")
    export.add_argument("--out", default="circlebot-export", help="folder to write (default: ./circlebot-export)")
    export.add_argument("--workspace", default="",
                        help="platform:id of the workspace, when the database holds more than one")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
        from bot.demo import main_demo

        if not args.database and cfg.database.url == config_mod.DatabaseConfig().url:
            cfg.database.url = "sqlite:///circlebot-demo.sqlite3"
            import os

            if os.path.exists("circlebot-demo.sqlite3"):
                os.remove("circlebot-demo.sqlite3")
        from bot.bootstrap import build_demo

        app = build(cfg)
        demo = build_demo(app)
        return main_demo(cfg, app.bot, sys.stdout, demo.render, demo.outlet)
    if command == "status":
        from bot.status import status_report

        app = build(cfg)
        print(status_report(app.sessions, app.bot.clock(), app.config.scheduling))
        return 0
    if command == "export":
        from bot.export_cli import run_export

        app = build(cfg)
        return run_export(app.sessions, cfg, args.program, args.out, args.workspace)
    if command == "run":
        from bot.runtime import run

        platform = getattr(args, "platform", None) or cfg.bot.platform
        if getattr(args, "shard_ids", None):
            cfg.discord.shard_ids = [int(x) for x in args.shard_ids.split(",") if x.strip()]
        if getattr(args, "shard_count", None):
            cfg.discord.shard_count = args.shard_count
        return run(build(cfg), platform)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
