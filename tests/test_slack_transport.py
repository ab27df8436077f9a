"""How Slack reaches the bot: signed HTTP requests and Socket Mode, same listeners, acked
at once."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from adapters.slack.runner import check_config, http_app, run_slack
from bot.bootstrap import App, build_slack, wire
from bot.config import Config, ConfigError
from bot.core import CircleBot
from circles.model import Member
from tests.fakes.settle import SETTLE_SECONDS
from tests.fakes.slack.blockkit import text_of
from tests.fakes.slack.harness import SlackHarness
from tests.fakes.slack.server import FakeSlack
from tests.fakes.slack.sim import SlackSim


@pytest.fixture
async def server(slack: SlackHarness) -> AsyncIterator[TestServer]:
    srv = TestServer(http_app(slack.app, "/slack/events"), host="127.0.0.1")
    with slack.tracking():  # each connection's handler (and what it starts) is in flight
        await srv.start_server()
    yield srv
    await srv.close()


async def post(server: TestServer, body: str, headers: dict[str, str]) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(server.make_url("/slack/events"), data=body, headers={
            "content-type": "application/x-www-form-urlencoded", **headers})
        await resp.read()
        return resp


async def test_a_signed_slash_command_over_http_is_answered(slack: SlackHarness,
                                                            server: TestServer) -> None:
    payload = slack.sim.slash("help", user="U1")
    body = slack.sim.form_body(payload)
    before = slack.listeners.handled
    resp = await post(server, body, slack.sim.sign(body))
    assert resp.status == 200
    await slack.settled()
    assert slack.listeners.handled > before
    assert "/circle join" in text_of(slack.reply_to(payload["response_url"]))


@pytest.mark.parametrize("tamper", ["bad_signature", "stale_timestamp", "unsigned"])
async def test_forged_or_replayed_requests_are_rejected(slack: SlackHarness, server: TestServer,
                                                        db, tamper: str) -> None:  # type: ignore[no-untyped-def]
    body = slack.sim.form_body(slack.sim.slash("status", user="U1"))
    if tamper == "bad_signature":
        headers = slack.sim.sign(body) | {"x-slack-signature": "v0=" + "0" * 64}
    elif tamper == "stale_timestamp":
        headers = slack.sim.sign(body, timestamp=int(time.time()) - 600)
    else:
        headers = {}
    resp = await post(server, body, headers)
    assert resp.status == 401
    assert slack.listeners.handled == 0
    with db() as s:
        assert s.scalar(select(Member)) is None


async def test_a_request_signed_with_another_secret_is_rejected(slack: SlackHarness,
                                                               server: TestServer) -> None:
    body = slack.sim.form_body(slack.sim.slash("status"))
    resp = await post(server, body, SlackSim(slack.fake, "someone-else").sign(body))
    assert resp.status == 401


async def test_the_ack_comes_before_the_slow_work(slack: SlackHarness, server: TestServer) -> None:
    """Slack gives 3 s: the HTTP answer must not wait for Slack API calls or the database."""
    slack.fake.gates["users.info"] = asyncio.Event()
    payload = slack.sim.slash("help", user="U1")
    body = slack.sim.form_body(payload)
    resp = await post(server, body, slack.sim.sign(body))
    assert resp.status == 200
    assert slack.reply_to(payload["response_url"]) == {}  # nothing done yet: still held
    assert slack.listeners.busy == 1
    assert slack.inflight.pending()  # the held listener is seen as in flight
    slack.fake.gates["users.info"].set()
    await slack.settled()
    assert slack.listeners.busy == 0
    assert "/circle join" in text_of(slack.reply_to(payload["response_url"]))


async def test_an_expired_token_tells_the_user_to_reinstall(slack: SlackHarness) -> None:
    slack.fake.revoke("T1")
    payload = slack.sim.slash("status", user="U1")
    resp = await slack.send(slack.sim.form_body(payload))
    assert resp.status == 200  # Slack shows this text to the user who typed the command
    assert "reinstall it" in resp.body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_run_slack_http_mode_serves_the_endpoint_and_registers_the_gateway(
        db, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    fake = await FakeSlack().start()
    team = fake.add_team("T1")
    fake.add_user("T1", "U1", "bo")
    config = Config()
    config.slack.mode, config.slack.port = "http", free_port()
    config.slack.signing_secret, config.slack.bot_token = "s3cret", team.bot_token
    config.slack.api_base_url = fake.api_base
    listening = asyncio.Event()
    start_site = web.TCPSite.start

    async def start_and_tell(site: web.TCPSite) -> None:
        await start_site(site)
        listening.set()

    monkeypatch.setattr(web.TCPSite, "start", start_and_tell)
    running = wire(App(config, db.kw["bind"], db, CircleBot(db, config)), "slack")
    task = asyncio.create_task(running.adapters["slack"]())
    sim = SlackSim(fake, "s3cret")
    payload = sim.slash("help", user="U1")
    body = sim.form_body(payload)
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{config.slack.port}/slack/events"
            await asyncio.wait_for(listening.wait(), SETTLE_SECONDS)
            resp = await http.post(url, data=body, headers={
                "content-type": "application/x-www-form-urlencoded", **sim.sign(body)})
            assert resp.status == 200
        # run_slack builds its own app: wait for what the fake Slack receives
        await fake.in_flight.until(lambda: bool(fake.responses), what="the reply")
        assert "/circle join" in text_of(fake.responses[-1])
        assert running.gateways["slack"].platform == "slack"
        assert running.worker.gateways is running.gateways
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await fake.close()


async def test_socket_mode_end_to_end_acks_envelopes(db) -> None:  # type: ignore[no-untyped-def]
    fake = await FakeSlack().start()
    team = fake.add_team("T1")
    fake.add_user("T1", "U1", "bo")
    config = Config()
    config.slack.mode, config.slack.app_token = "socket", fake.app_token
    config.slack.bot_token, config.slack.api_base_url = team.bot_token, fake.api_base
    task = asyncio.create_task(run_slack(build_slack(CircleBot(db, config), config).app,
                                         config.slack))
    sim = SlackSim(fake)
    try:
        payload = sim.slash('goal set "Ship the thing"', user="U1")
        # push() returns the client's ack; run_slack builds its own app, so the rest is
        # waited for as what the fake Slack receives
        await fake.push({"envelope_id": "env-1", "type": "slash_commands",
                         "accepts_response_payload": True, "payload": payload})
        await fake.in_flight.until(lambda: bool(fake.responses), what="the reply")
        assert "Goal 1 set" in text_of(fake.responses[-1])
        event = sim.event({"type": "app_home_opened", "user": "U1", "tab": "home",
                           "channel": "D1", "event_ts": "1.1"})
        await fake.push({"envelope_id": "env-2", "type": "events_api",
                         "accepts_response_payload": False, "payload": event})
        await fake.in_flight.until(lambda: bool(fake.calls_to("views.publish")),
                                   what="the Home tab")
        assert "Ship the thing" in text_of(fake.calls_to("views.publish")[-1].params["view"])
        assert "apps.connections.open" in fake.methods()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await fake.close()
    assert fake.violations == []


@pytest.mark.parametrize(("settings", "complaint"), [
    ({"mode": "socket", "bot_token": "xoxb-1"}, "SLACK_APP_TOKEN"),
    ({"mode": "http", "bot_token": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    ({"mode": "http", "signing_secret": "s"}, "SLACK_BOT_TOKEN"),
    ({"mode": "http", "signing_secret": "s", "client_id": "1"}, "SLACK_CLIENT_SECRET"),
    ({"mode": "websocket"}, "mode"),
])
def test_missing_settings_are_named_at_start(settings: dict, complaint: str) -> None:
    config = Config()
    for k, v in settings.items():
        setattr(config.slack, k, v)
    with pytest.raises(ConfigError, match=complaint):
        check_config(config)


def _signed_bytes(sim: SlackSim, body: bytes) -> dict[str, str]:
    import hashlib
    import hmac

    ts = str(int(time.time()))
    digest = hmac.new(sim.secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"x-slack-signature": "v0=" + digest.hexdigest(), "x-slack-request-timestamp": ts}


@pytest.mark.parametrize(("body", "content_type", "signed", "status"), [
    (b"payload=not-json", "application/x-www-form-urlencoded", True, 400),
    (b"payload=%7B%22type%22", "application/x-www-form-urlencoded", True, 400),
    (b"{not json", "application/json", True, 400),
    (b"payload=not-json", "application/x-www-form-urlencoded", False, 401),
    (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded", False, 401),
    (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded", True, 401),
])
async def test_a_malformed_body_is_refused_plainly_and_the_endpoint_keeps_serving(
        slack: SlackHarness, server: TestServer, body: bytes, content_type: str, signed: bool,
        status: int) -> None:
    """Bodies are parsed only after the signature holds; what can't be parsed is a 400 (a
    forgery a 401), never a 500 with a traceback, and nothing is handled."""
    headers = {"content-type": content_type, **(_signed_bytes(slack.sim, body) if signed else {})}
    async with aiohttp.ClientSession() as http:
        resp = await http.post(server.make_url("/slack/events"), data=body, headers=headers)
        await resp.read()
    assert resp.status == status
    assert slack.listeners.handled == 0
    payload = slack.sim.slash("help", user="U1")  # the endpoint still answers real requests
    good = slack.sim.form_body(payload)
    assert (await post(server, good, slack.sim.sign(good))).status == 200
    await slack.settled()
