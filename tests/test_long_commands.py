"""A coordinator's long command (health, preview, publish of a big program) is acknowledged
at once with "working on it", and its answer arrives later (Slack: through the command's
response_url; Discord: as the deferred interaction's follow-up). While it is being worked
out, members' commands are answered as usual: the long work runs on a lane of its own.

The coordinator's job is held mid-query on a ``threading.Event`` (a hook on the engine that
stops the coordinator lane's first SQL statement), so "still running" is a fact, not a race.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt.async_app import AsyncBoltRequest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from adapters.discord.client import CircleClient
from bot.config import Config
from bot.core import CircleBot
from tests.fakes.discord.harness import Harness, fake_discord_api, logged_in
from tests.fakes.discord.payloads import APP_ID, MANAGE_GUILD, slash
from tests.fakes.slack.blockkit import text_of
from tests.fakes.slack.harness import SlackHarness

COORDINATOR_LANE = "circlebot-coordinator"


class Held:
    """The coordinator lane's database work, stopped at its first statement until released."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def hook(self, *_: Any) -> None:
        if threading.current_thread().name.startswith(COORDINATOR_LANE):
            self.started.set()
            assert self.release.wait(timeout=60), "the test never released the coordinator"

    async def until_started(self) -> None:
        assert await asyncio.to_thread(self.started.wait, 60), "the coordinator job never ran"


@contextmanager
def coordinator_job_held(engine: Engine) -> Iterator[Held]:
    held = Held()
    event.listen(engine, "before_cursor_execute", held.hook)
    try:
        yield held
    finally:
        held.release.set()
        event.remove(engine, "before_cursor_execute", held.hook)


def engine_of(sessions: sessionmaker[Session]) -> Engine:
    bind = sessions.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


# ------------------------------------------------------------------ Slack


async def slash_without_settling(slack: SlackHarness, payload: dict[str, Any]) -> Any:
    """Bolt's HTTP answer (the ack) to a signed slash command, returned as soon as Bolt
    gives it, while the listener's work goes on."""
    body = slack.sim.form_body(payload)
    headers = {"content-type": "application/x-www-form-urlencoded", **slack.sim.sign(body)}
    with slack.tracking():
        return await slack.app.async_dispatch(AsyncBoltRequest(
            body=body, headers={k: [v] for k, v in headers.items()}))


async def test_slack_health_is_acknowledged_at_once_and_answered_through_response_url(
        slack: SlackHarness, db: sessionmaker[Session]) -> None:
    payload = slack.sim.slash("health", user="U_ADMIN")
    tail = payload["response_url"].rsplit("/hooks/", 1)[-1]
    with coordinator_job_held(engine_of(db)) as held:
        ack = await slash_without_settling(slack, payload)
        assert ack.status == 200
        interim = json.loads(ack.body)
        assert interim["response_type"] == "ephemeral"
        assert "Working on it" in text_of(interim)
        await held.until_started()
        # the health is still being worked out: nothing has reached the response_url yet
        assert [r for r in slack.fake.responses if r["_hook"] == tail] == []

        # ...and a member's command is answered meanwhile
        mine = slack.sim.slash("help", user="U1")
        await slash_without_settling(slack, mine)
        await slack.fake.in_flight.until(lambda: bool(slack.reply_to(mine["response_url"])),
                                         what="the member's reply")
        assert "/circle join" in text_of(slack.reply_to(mine["response_url"]))
        assert [r for r in slack.fake.responses if r["_hook"] == tail] == []
        held.release.set()
        await slack.settled()
    answer = slack.reply_to(payload["response_url"])
    assert answer and "Working on it" not in text_of(answer)
    assert "coordinators" not in text_of(answer)  # the admin got the health itself


async def test_slack_everyday_commands_are_acknowledged_with_an_empty_body(
        slack: SlackHarness) -> None:
    payload = slack.sim.slash("status", user="U1")
    resp = await slack.send(slack.sim.form_body(payload))
    assert resp.status == 200 and resp.body == ""
    assert slack.reply_to(payload["response_url"])


# ------------------------------------------------------------------ Discord


async def test_discord_health_is_deferred_at_once_and_answered_as_a_follow_up(
        monkeypatch: Any, db: sessionmaker[Session]) -> None:
    config = Config()
    # no timer would defer anything during this test: the long command itself asks for it
    config.discord.defer_after_seconds = 3600
    core = CircleBot(db, config)
    async with fake_discord_api(monkeypatch) as fake:
        fake.add_guild("4000")
        async with logged_in(CircleClient(core, config)) as client:
            h = Harness(client, fake)
            payload = slash(("health", "show"), user_id="600", permissions=MANAGE_GUILD)
            callback = f"/interactions/{payload['id']}/{payload['token']}/callback"
            followups = rf"/webhooks/{APP_ID}/{payload['token']}"
            with coordinator_job_held(engine_of(db)) as held:
                with h.tracking():
                    client._connection.parse_interaction_create(payload)
                await fake.in_flight.until(
                    lambda: any(c.path == callback for c in fake.calls), what="the defer")
                [deferred] = [c for c in fake.calls if c.path == callback]
                assert deferred.body["type"] == 5  # "thinking…", privately
                await held.until_started()
                assert fake.requests("POST", followups) == []

                mine = slash(("help",), user_id="601")
                with h.tracking():
                    client._connection.parse_interaction_create(mine)
                answered = f"/interactions/{mine['id']}/{mine['token']}/callback"

                def members_reply() -> list[Any]:  # the answer itself, or its follow-up
                    return [c.body for c in fake.calls if c.path == answered
                            and c.body["type"] == 4] + \
                        [c.body for c in fake.requests("POST", rf"/webhooks/{APP_ID}/{mine['token']}")]

                await fake.in_flight.until(lambda: bool(members_reply()), what="the member's reply")
                assert "/circle join" in json.dumps(members_reply())
                assert fake.requests("POST", followups) == []
                held.release.set()
                await h.settled()
            [answer] = [c.body for c in fake.requests("POST", followups)]
            assert answer.get("embeds") or answer.get("content")
            assert "coordinators" not in json.dumps(answer)
    core.close()
