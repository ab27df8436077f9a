"""The console adapter and the `circlebot` command a newcomer runs first."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.console.adapter import ConsoleSession, run_console
from bot.cli import main


def _script(*lines: str):
    feed = iter(lines)

    def ask(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None
    return ask


def test_console_session_joins_fills_the_profile_and_presses_buttons(circlebot):
    out = io.StringIO()
    ask = _script("/circle program create \"Local\"", "/as maya", "/circle join mentee",
                  "mentee", "3", "Design", "ux, writing", "leadership", "figma", "sql",
                  "Europe/Berlin", "weekdays 9-17", "/circle profile", "/circle leave", "2", "/quit")
    asyncio.run(run_console(circlebot, out, ask))
    text = out.getvalue()
    assert 'Created "Local"' in text
    assert "You are now @maya." in text
    assert "Profile saved" in text and "ux, writing" in text
    assert "[1] Yes, leave" in text and "Cancelled. Nothing changed." in text


def test_console_explains_unknown_input_and_bad_button_numbers(circlebot):
    out = io.StringIO()
    session = ConsoleSession(circlebot, out, _script())
    asyncio.run(session.handle_line("hello"))
    asyncio.run(session.handle_line("/frob"))
    asyncio.run(session.handle_line("/circle leave"))
    text = out.getvalue()
    assert "Type a /circle command" in text and "I only know /circle commands" in text
    assert "nothing to leave" in text


def test_migrate_creates_the_schema(tmp_path):
    db = tmp_path / "m.sqlite3"
    assert main(["--database", f"sqlite:///{db}", "migrate"]) == 0
    assert db.exists()


def test_circlebot_run_starts_the_console_on_the_embedded_default(tmp_path):
    """The README's first command, minus the install: no config, no tokens."""
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "run"], input="/circle help\n/quit\n",
                          capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env={"PATH": "", "PYTHONPATH": str(Path(__file__).parents[1])})
    assert proc.returncode == 0, proc.stderr
    assert "Circlebot commands" in proc.stdout
    assert (tmp_path / "circlebot.sqlite3").exists()


def test_a_bad_config_file_is_reported_clearly(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[bot]\nplatfrom = 'slack'\n")
    assert main(["--config", str(cfg), "migrate"]) == 2
    assert "Unknown setting [bot] platfrom" in capsys.readouterr().err


def test_running_on_a_platform_without_its_token_says_which_variable_to_set(tmp_path, capsys, monkeypatch):
    for var in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID",
                "DISCORD_BOT_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--platform", "discord"]) == 2
    assert "DISCORD_BOT_TOKEN" in capsys.readouterr().err
    assert main(["run", "--platform", "slack"]) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err


def test_status_shows_the_outbox_backlog(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    assert main(["--database", url, "status"]) == 0
    assert "outbox" in capsys.readouterr().out.lower()


def test_an_unknown_platform_in_the_config_is_refused_like_the_flag(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[bot]\nplatform = "teams"\n')
    assert main(["--config", str(cfg), "run"]) == 2
    assert "[bot] platform = 'teams': use console, slack or discord" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--platform", "teams"])
    assert "--platform = 'teams': use console, slack or discord" in capsys.readouterr().err


def test_run_help_lists_each_platform_once(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split()).lower()
    platform_help = out[out.index("--platform platform "):out.index("--shard-ids shard_ids ")]
    assert all(platform_help.count(name) == 1 for name in ("console", "slack", "discord")), out
