"""Configuration: a TOML file (see config.example.toml) with secrets from the environment.

Every setting has a default so `circlebot run` works with no file at all: SQLite in the
working directory and the console adapter.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from circles import rules


class ConfigError(ValueError):
    pass


#: what `circlebot run` can serve; "slack,discord" runs both from one process
PLATFORMS = ("console", "slack", "discord", "slack,discord")


def check_platform(value: str, where: str = "[bot] platform") -> str:
    """The platform setting in its one spelling, or a ConfigError naming the choices (an
    unknown platform would otherwise start nothing and run forever)."""
    parts = sorted({p.strip().lower() for p in str(value).split(",") if p.strip()},
                   key=lambda p: PLATFORMS.index(p) if p in PLATFORMS else len(PLATFORMS))
    norm = ",".join(parts)
    if norm not in PLATFORMS:
        raise ConfigError(f"{where} = {value!r}: use console, slack or discord "
                          "(or slack,discord to serve both)")
    return norm


@dataclass
class DatabaseConfig:
    url: str = "sqlite:///circlebot.sqlite3"
    # seconds: a stalled database must not hold a person past the platform's deadline
    connect_timeout: float = 5.0
    statement_timeout: float = 15.0
    pool_timeout: float = 10.0


@dataclass
class BotConfig:
    platform: str = "console"  # console | slack | discord | "slack,discord"
    # first coordinators, as "platform:workspace:user" ("console:local:alice")
    coordinators: list[str] = field(default_factory=list)
    max_text_length: int = 4000
    # threads doing database work for commands; kept within the connection pool (5 + 10)
    workers: int = 4


@dataclass
class SlackConfig:
    mode: str = "socket"  # socket | http
    port: int = 3000
    path: str = "/slack/events"
    api_base_url: str = ""  # empty = Slack's own; tests point it at a fake
    bot_token: str = ""  # env SLACK_BOT_TOKEN (single-workspace mode)
    app_token: str = ""  # env SLACK_APP_TOKEN (Socket Mode)
    signing_secret: str = ""  # env SLACK_SIGNING_SECRET (HTTP mode)
    client_id: str = ""  # env SLACK_CLIENT_ID (OAuth, multi-workspace)
    client_secret: str = ""  # env SLACK_CLIENT_SECRET
    state_secret: str = ""  # env SLACK_STATE_SECRET
    host: str = "0.0.0.0"  # HTTP mode: interface to listen on
    command: str = "/circle"  # the slash command, as named in the app manifest
    identity_cache_seconds: int = 300  # how long users.info (admin flag, tz) is trusted


@dataclass
class DiscordConfig:
    token: str = ""  # env DISCORD_BOT_TOKEN
    guild_ids: list[str] = field(default_factory=list)  # env DISCORD_GUILD_IDS (comma separated)
    hub_channel: str = "circles"  # channel name or id that holds the circles' private threads
    coordinator_role: str = "Circle Coordinator"
    message_content_intent: bool = False
    shard_ids: list[int] = field(default_factory=list)
    shard_count: int | None = None
    api_base_url: str = ""  # tests point discord.http.Route.BASE at a fake
    sync_commands: bool = True  # sync /circle on start (per guild when guild_ids is set)
    defer_after_seconds: float = 2.0  # defer an interaction if the core is slower (3 s limit)
    max_ratelimit_timeout: float = 60.0  # longer 429 waits fail the send (retried by the outbox)


@dataclass
class SchedulingConfig:
    enabled: bool = True
    sweep_seconds: int = 60
    nudge_after_hours: int = 48
    quiet_hours_start: int = 20  # no nudges from 20:00 ...
    quiet_hours_end: int = 8  # ... to 08:00 in the member's own timezone
    prompt_grace_hours: int = 24  # later than this: skip with a note to the coordinator
    delivery_batch: int = 50
    max_attempts: int = 8
    # end-of-cycle check-in + pulse go out this long before the next prompt (at most half a cycle)
    checkin_lead_hours: int = 72
    # "member-local" programs: a circle whose members have no profile timezone uses this one
    member_local_default_timezone: str = "UTC"
    # coordinators' weekly digest
    digest_day: str = "mon"
    digest_time: str = "09:00"
    digest_timezone: str = "UTC"
    # delivery worker: a claimed row is retried by any replica after this lease expires
    delivery_lease_seconds: int = 120
    delivery_concurrency: int = 16
    delivery_poll_seconds: float = 1.0
    # client-side pacing so the platform rarely answers 429 (Slack: ~1 msg/s per channel)
    per_space_per_second: float = 1.0
    per_workspace_per_second: float = 20.0
    # PostgreSQL leader election: how often a follower retries / the leader re-checks its lock
    leader_check_seconds: int = 10


@dataclass
class PrivacyConfig:
    """Closing survey and data-protection settings (privacy12)."""

    purge_after_days: int = 30  # an uninstalled workspace's data is deleted after this
    survey_days: int = 14  # the closing survey stays open this many days after the round ends
    min_respondents: int = 3  # anonymity threshold N for survey aggregates (never below 2)
    files_dir: str = "circlebot-files"  # the console saves file replies (export-me) here


@dataclass
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    scheduling: SchedulingConfig = field(default_factory=SchedulingConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)


ENV = {
    ("database", "url"): "CIRCLES_DATABASE_URL",
    ("slack", "bot_token"): "SLACK_BOT_TOKEN",
    ("slack", "app_token"): "SLACK_APP_TOKEN",
    ("slack", "signing_secret"): "SLACK_SIGNING_SECRET",
    ("slack", "client_id"): "SLACK_CLIENT_ID",
    ("slack", "client_secret"): "SLACK_CLIENT_SECRET",
    ("slack", "state_secret"): "SLACK_STATE_SECRET",
    ("discord", "token"): "DISCORD_BOT_TOKEN",
    ("discord", "guild_ids"): "DISCORD_GUILD_IDS",
}


def _fill(obj: Any, data: dict[str, Any], where: str) -> None:
    known = {f.name: f for f in fields(obj)}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"Unknown setting [{where}] {key}; see config.example.toml")
        current = getattr(obj, key)
        if is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"[{where}.{key}] must be a table")
            _fill(current, value, f"{where}.{key}" if where else key)
        else:
            setattr(obj, key, value)


def load(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    cfg = Config()
    if path is None and Path("circlebot.toml").exists():
        path = "circlebot.toml"
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text())
        except FileNotFoundError as exc:
            raise ConfigError(f"Config file {path} not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from exc
        _fill(cfg, data, "")
    for (section, key), var in ENV.items():
        if env.get(var):
            value: Any = env[var]
            if key == "guild_ids":
                value = [v.strip() for v in value.split(",") if v.strip()]
            setattr(getattr(cfg, section), key, value)
    _check(cfg)
    return cfg


def _check(cfg: Config) -> None:
    """Settings the scheduler would otherwise trip over hours later are refused at start."""
    cfg.bot.platform = check_platform(cfg.bot.platform)
    if not isinstance(cfg.bot.workers, int) or not 1 <= cfg.bot.workers <= 15:
        raise ConfigError(f"[bot] workers = {cfg.bot.workers!r}: use a whole number from 1 to 15")
    for key in ("connect_timeout", "statement_timeout", "pool_timeout"):
        value = getattr(cfg.database, key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
            raise ConfigError(f"[database] {key} = {value!r}: use seconds, more than 0 and at most 600")
    sc = cfg.scheduling
    try:
        rules.parse_hhmm(str(sc.digest_time))
    except ValueError as exc:
        raise ConfigError(f"[scheduling] digest_time = {sc.digest_time!r}: use HH:MM, e.g. 09:00") from exc
    if rules.parse_weekday(str(sc.digest_day)) is None:
        raise ConfigError(f"[scheduling] digest_day = {sc.digest_day!r}: use a weekday, e.g. mon")
