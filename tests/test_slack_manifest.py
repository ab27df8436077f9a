"""The manifest is what a newcomer pastes into Slack: it must ask for exactly the scopes the
app requests during OAuth and subscribe to every event the app listens for."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.slack.app import BOT_SCOPES
from bot.config import SlackConfig

MANIFEST = (Path(__file__).parents[1] / "adapters" / "slack" / "manifest.yml").read_text()


def _list_after(key: str) -> list[str]:
    block = MANIFEST.split(f"{key}:", 1)[1]
    items = []
    for line in block.splitlines()[1:]:
        m = re.match(r"\s+- ([\w.:]+)", line)
        if m:
            items.append(m.group(1))
        elif line.strip() and not line.strip().startswith("#"):
            break
    return items


def test_manifest_scopes_match_the_oauth_scopes() -> None:
    assert sorted(_list_after("    bot")) == sorted(BOT_SCOPES)


def test_manifest_subscribes_to_every_event_the_app_handles() -> None:
    assert set(_list_after("bot_events")) == {
        "app_home_opened", "message.channels", "message.groups", "message.mpim",
        "app_uninstalled", "tokens_revoked", "user_change", "team_join"}


def test_manifest_declares_the_configured_command_and_socket_mode() -> None:
    assert f"- command: {SlackConfig().command}" in MANIFEST
    assert "socket_mode_enabled: true" in MANIFEST
    assert "home_tab_enabled: true" in MANIFEST and "is_enabled: true" in MANIFEST


def test_the_fake_slack_checks_every_call_against_the_published_web_api_spec():
    from tests.fakes.slack.server import required_args

    required = required_args()
    assert len(required) > 100 and required["chat.postMessage"] == {"channel"}


def test_the_fakes_table_of_required_arguments_matches_the_published_spec():
    import json

    import pytest

    from tests.fakes.slack.server import SPEC, required_args, required_from_spec

    if not SPEC.exists():
        pytest.skip("shared/specs is not beside this checkout")
    assert required_args() == required_from_spec(json.loads(SPEC.read_text()))
