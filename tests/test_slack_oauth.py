"""Multi-workspace Slack: installing through OAuth stores the bot token in our database,
each workspace sees only its own data, and uninstalling forgets the token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from adapters.slack.installation_store import DbInstallationStore, SignedStateStore
from adapters.slack.runner import http_app
from bot.ports import DeliveryError
from bot.replies import Reply
from circles.model import Credential, Member, Workspace
from tests.fakes.fake_slack import SlackHarness, slack_harness, text_of


@pytest.fixture
async def slack(db) -> AsyncIterator[SlackHarness]:  # type: ignore[no-untyped-def]
    h = await slack_harness(db, oauth=True)
    yield h
    await h.fake.close()
    assert h.fake.violations == []


@pytest.fixture
async def server(slack: SlackHarness) -> AsyncIterator[TestServer]:
    srv = TestServer(http_app(slack.app), host="127.0.0.1")
    await srv.start_server()
    yield srv
    await srv.close()


async def install(server: TestServer, team: str, *, state: str | None = None) -> int:
    """A browser going through Slack's install screens: the install page sets a state
    cookie and links to Slack; Slack redirects back with a code."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as browser:
        page = await browser.get(server.make_url("/slack/install"))
        html = await page.text()
        # the state cookie is Secure; a browser on https would send it back, so do that
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', html)
        assert link is not None, html
        query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
        assert "commands" in query["scope"][0] and "groups:write" in query["scope"][0]
        back = await browser.get(server.make_url("/slack/oauth_redirect"), params={
            "code": f"good-{team}", "state": state or query["state"][0]},
            headers={"Cookie": cookie})
        await back.read()
        return back.status


async def test_oauth_install_stores_the_installation(slack: SlackHarness, server: TestServer,
                                                     db) -> None:  # type: ignore[no-untyped-def]
    assert await install(server, "T1") == 200
    with db() as s:
        row = s.scalar(select(Credential).where(Credential.workspace_key == "T1"))
        assert row is not None and (row.platform, row.kind) == ("slack", "bot")
    bot = await DbInstallationStore(db).async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == slack.fake.teams["T1"].bot_token
    assert bot.bot_user_id == slack.fake.teams["T1"].bot_user
    reply = await slack.command("help", user="U1")
    assert "/circle join" in text_of(reply)
    await slack.gateway.dm("T1", "U1", Reply(text="hello from the outbox"))
    assert slack.fake.calls_to("chat.postMessage")[-1].token == slack.fake.teams["T1"].bot_token


async def test_a_forged_state_installs_nothing(slack: SlackHarness, server: TestServer,
                                               db) -> None:  # type: ignore[no-untyped-def]
    forged = await SignedStateStore("not-our-secret").async_issue()
    assert await install(server, "T1", state=forged) != 200
    with db() as s:
        assert s.scalar(select(Credential)) is None


async def test_signed_state_expires() -> None:
    store = SignedStateStore("x", expiration_seconds=-1)
    assert not await store.async_consume(await store.async_issue())
    fresh = SignedStateStore("x")
    state = await fresh.async_issue()
    assert await fresh.async_consume(state)
    assert not await fresh.async_consume(state[:-2] + "zz")


async def test_requests_from_a_workspace_that_never_installed_are_refused(slack: SlackHarness,
                                                                          db) -> None:  # type: ignore[no-untyped-def]
    payload = slack.sim.slash("status", user="U1")
    await slack.send(slack.sim.form_body(payload), expect_listener=False)
    assert "reinstall it" in text_of(slack.reply_to(payload["response_url"]))
    with db() as s:
        assert s.scalar(select(Member)) is None


async def test_workspaces_never_see_each_others_data(slack: SlackHarness, server: TestServer,
                                                     db) -> None:  # type: ignore[no-untyped-def]
    slack.fake.add_team("T2", "Globex")
    slack.fake.add_user("T2", "UX", "mallory", admin=True)
    await install(server, "T1")
    await install(server, "T2")
    await slack.command('program create "Acme secret"', user="U_ADMIN")
    await slack.command("join peer", user="U1")
    asked = await slack.command("leave", user="U1")
    leave = next(e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"])
    listed = await slack.command("program list", user="UX", team="T2")
    assert "Acme secret" not in text_of(listed)
    # replaying T1's confirm button from T2 can't make T1's member leave
    await slack.press(leave["action_id"], leave["value"], user="UX", team="T2")
    with db() as s:
        assert s.scalar(select(Member.enrolled).where(Member.external_id == "U1"))
        teams = {w.external_id for w in s.scalars(select(Workspace))}
    assert teams == {"T1", "T2"}


async def test_uninstall_forgets_the_token_and_deactivates(slack: SlackHarness, server: TestServer,
                                                           db) -> None:  # type: ignore[no-untyped-def]
    await install(server, "T1")
    await slack.command("status", user="U1")
    await slack.event(slack.sim.event({"type": "app_uninstalled", "event_ts": "1.1"}))
    with db() as s:
        assert s.scalar(select(Credential)) is None
        assert not s.scalar(select(Workspace.active).where(Workspace.external_id == "T1"))
    with pytest.raises(DeliveryError) as err:
        await slack.gateway.post("T1", "C_GENERAL", Reply(text="hi"))
    assert err.value.permanent and "install" in str(err.value)
