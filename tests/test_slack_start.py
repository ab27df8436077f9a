"""Starting on Slack: a token Slack refuses is one clear line (not a retry loop), and Socket
Mode with OAuth installs still serves the install and redirect pages."""

from __future__ import annotations

import asyncio
import re
import socket
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from sqlalchemy import select

from adapters.slack.runner import run_slack
from bot.bootstrap import App, build_slack
from bot.config import Config, ConfigError
from bot.core import CircleBot
from bot.runtime import run
from circles.model import Credential
from tests.fakes.settle import SETTLE_SECONDS
from tests.fakes.slack.server import FakeSlack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def fake():  # type: ignore[no-untyped-def]
    fake = await FakeSlack().start()
    fake.add_team("T1")
    fake.add_user("T1", "U1", "bo")
    yield fake
    await fake.close()


def slack_config(fake: FakeSlack, **settings: object) -> Config:
    config = Config()
    config.slack.api_base_url = fake.api_base
    config.slack.port = free_port()
    for key, value in settings.items():
        setattr(config.slack, key, value)
    return config


async def test_a_bot_token_slack_refuses_is_named_at_start(db, fake: FakeSlack) -> None:  # type: ignore[no-untyped-def]
    config = slack_config(fake, mode="http", signing_secret="s", bot_token="xoxb-revoked")
    app = build_slack(CircleBot(db, config), config).app
    with pytest.raises(ConfigError, match="Slack rejected SLACK_BOT_TOKEN .invalid_auth."):
        await asyncio.wait_for(run_slack(app, config.slack), SETTLE_SECONDS)


async def test_an_app_token_slack_refuses_is_named_at_start(db, fake: FakeSlack) -> None:  # type: ignore[no-untyped-def]
    config = slack_config(fake, mode="socket", app_token="xapp-wrong",
                          bot_token=fake.teams["T1"].bot_token)
    app = build_slack(CircleBot(db, config), config).app
    with pytest.raises(ConfigError, match="Slack rejected SLACK_APP_TOKEN"):
        await asyncio.wait_for(run_slack(app, config.slack), SETTLE_SECONDS)


async def test_circlebot_run_with_a_refused_token_prints_one_line_and_stops(db, fake: FakeSlack, capsys) -> None:  # type: ignore[no-untyped-def]
    config = slack_config(fake, mode="http", signing_secret="s", bot_token="xoxb-revoked")
    config.scheduling.enabled = False
    app = App(config, db.kw["bind"], db, CircleBot(db, config))
    code = await asyncio.wait_for(asyncio.to_thread(run, app, "slack"), SETTLE_SECONDS)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("circlebot: Slack rejected SLACK_BOT_TOKEN")


async def test_socket_mode_with_oauth_serves_the_install_pages(db, fake: FakeSlack) -> None:  # type: ignore[no-untyped-def]
    config = slack_config(fake, mode="socket", app_token=fake.app_token, client_id="111.222",
                          client_secret="client-secret", state_secret="state-secret")
    app = build_slack(CircleBot(db, config), config).app
    task = asyncio.create_task(run_slack(app, config.slack))
    base = f"http://127.0.0.1:{config.slack.port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as browser:
            page = None
            deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
            while page is None:  # the pages come up once Socket Mode is connected
                try:
                    page = await browser.get(f"{base}/slack/install")
                except aiohttp.ClientConnectionError:
                    assert asyncio.get_running_loop().time() < deadline, "install page never served"
                    assert not task.done(), task
                    await asyncio.sleep(0.05)
            html = await page.text()
            link = re.search(r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', html)
            assert link is not None, html
            query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
            cookie = page.headers["Set-Cookie"].split(";", 1)[0]
            back = await browser.get(f"{base}/slack/oauth_redirect", headers={"Cookie": cookie},
                                     params={"code": "good-T1", "state": query["state"][0]})
            await back.read()
            assert back.status == 200
        with db() as s:
            assert s.scalar(select(Credential)) is not None  # the installation was stored
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
