"""One composition root: `bot/bootstrap.py` builds every gateway, store, worker and adapter
exactly once, and the layers import each other only in the allowed direction."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.bootstrap import App, wire
from bot.config import Config, ConfigError
from bot.core import CircleBot

ROOT = Path(__file__).parents[1]


def app_for(db: sessionmaker[Session], config: Config) -> App:
    return App(config, db.kw["bind"], db, CircleBot(db, config))


def oauth_config() -> Config:
    config = Config()
    config.slack.mode, config.slack.signing_secret = "http", "s3cret"
    config.slack.client_id, config.slack.client_secret = "111.222", "client-secret"
    config.slack.state_secret = "state-secret"
    return config


async def test_slack_in_oauth_mode_has_one_installation_store_for_app_and_gateway(db) -> None:  # type: ignore[no-untyped-def]
    running = wire(app_for(db, oauth_config()), "slack")
    gateway = running.gateways["slack"]
    assert gateway.installations is not None  # type: ignore[attr-defined]
    assert running.adapters["slack"].args[0].installation_store is gateway.installations  # type: ignore[attr-defined]
    assert running.worker.gateways is running.gateways
    assert running.console is None


async def test_both_platforms_share_one_worker_and_the_console_is_the_default(db) -> None:  # type: ignore[no-untyped-def]
    config = Config()
    config.slack.mode, config.slack.signing_secret, config.slack.bot_token = "http", "s", "xoxb-1"
    config.discord.token = "discord-token"
    both = wire(app_for(db, config), "slack,discord")
    assert set(both.gateways) == set(both.adapters) == {"slack", "discord"}
    assert both.worker.gateways is both.gateways and both.scheduler is not None
    console = wire(app_for(db, config), config.bot.platform)
    assert set(console.gateways) == {"console"} and console.adapters == {}
    assert console.console is not None


async def test_a_missing_setting_is_named_before_anything_is_built(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        wire(app_for(db, Config()), "slack")
    with pytest.raises(ConfigError, match="DISCORD_BOT_TOKEN"):
        wire(app_for(db, Config()), "discord")


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_bot_imports_adapters_only_in_the_composition_root_and_the_cli() -> None:
    allowed = {"bootstrap.py", "cli.py"}
    wrong = {p.name: sorted(m for m in imports(p) if m.split(".")[0] == "adapters")
             for p in (ROOT / "bot").glob("*.py") if p.name not in allowed}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_adapters_never_import_each_other() -> None:
    wrong = []
    for platform in ("console", "slack", "discord"):
        for p in (ROOT / "adapters" / platform).rglob("*.py"):
            wrong += [(str(p.relative_to(ROOT)), m) for m in imports(p)
                      if m.startswith("adapters.") and m.split(".")[1] != platform]
    assert wrong == []


def test_the_engine_names_no_platform() -> None:
    """The first migration predates the rule and stays as it shipped."""
    word = re.compile(r"slack|discord", re.IGNORECASE)
    wrong = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "circles").rglob("*.py")
             if p.name != "0001_initial_schema.py"
             for n, line in enumerate(p.read_text().splitlines(), start=1) if word.search(line)]
    assert wrong == []
