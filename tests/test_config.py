"""Configuration: defaults that need nothing, a documented example, secrets from the env."""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load

EXAMPLE = Path(__file__).parents[1] / "config.example.toml"


def test_the_default_needs_no_file_and_no_tokens():
    cfg = load(environ={})
    assert cfg.database.url.startswith("sqlite:///") and cfg.bot.platform == "console"


def test_config_example_documents_every_setting_and_loads():
    text = EXAMPLE.read_text()
    documented = set(re.findall(r"^#?\s*([a-z_]+)\s*=", text, flags=re.M))
    for section in fields(Config):
        sub = getattr(Config(), section.name)
        assert is_dataclass(sub)
        assert f"[{section.name}]" in text
        for f in fields(sub):
            assert f.name in documented, f"config.example.toml misses [{section.name}] {f.name}"
    load(EXAMPLE, environ={})


def test_secrets_come_from_the_environment():
    cfg = load(environ={"SLACK_BOT_TOKEN": "xoxb-1", "DISCORD_GUILD_IDS": "1, 2",
                        "CIRCLES_DATABASE_URL": "postgresql://db/x"})
    assert cfg.slack.bot_token == "xoxb-1" and cfg.discord.guild_ids == ["1", "2"]
    assert cfg.database.url == "postgresql://db/x"


def test_a_typo_in_the_config_is_named(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[slack]\nmodee = 'http'\n")
    with pytest.raises(ConfigError, match=r"Unknown setting \[slack\] modee"):
        load(p, environ={})


def test_a_digest_time_or_day_the_scheduler_could_not_read_is_refused_at_start(tmp_path):
    import pytest

    from bot.config import ConfigError, load

    for line, word in [('digest_time = "9am"', "digest_time"), ('digest_day = "someday"', "digest_day")]:
        path = tmp_path / "c.toml"
        path.write_text(f"[scheduling]\n{line}\n")
        with pytest.raises(ConfigError, match=word):
            load(path, environ={})
