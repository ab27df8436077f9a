"""The real Bolt app and CircleBot wired to the fake Slack: send what Slack would send,
then look at what the app did to Slack. ``say``/``settled`` are the shared harness verbs
(``tests.fakes.harness``)."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.harness import ChatHarness, Seen
from tests.fakes.slack.blockkit import text_of
from tests.fakes.slack.server import FakeSlack
from tests.fakes.slack.sim import SlackSim


def seen(reply: dict[str, Any]) -> Seen:
    """A response_url body as the user saw it (Slack replies are ephemeral by default)."""
    buttons = {el["text"]["text"]: el.get("value", "")
               for block in reply.get("blocks") or [] if block.get("type") == "actions"
               for el in block["elements"]}
    return Seen(text=text_of(reply), ephemeral=reply.get("response_type") != "in_channel",
                buttons=buttons, raw=reply)


class SlackHarness(ChatHarness):
    def __init__(self, fake: FakeSlack, core: Any, config: Any, app: Any, listeners: Any,
                 gateway: Any, installations: Any = None) -> None:
        super().__init__()
        self.fake = fake
        self.sim = SlackSim(fake, config.slack.signing_secret)
        self.core = core
        self.config = config
        self.app = app
        self.listeners = listeners
        self.gateway = gateway
        self.installations = installations

    async def say(self, user: str, text: str) -> Seen:
        """``/circle text`` typed by ``user`` (a Slack user id in team T1)."""
        return seen(await self.command(text, user=user))

    async def send(self, body: str, *, content_type: str = "application/x-www-form-urlencoded",
                   headers: dict[str, str] | None = None, sign: bool = True,
                   expect_listener: bool = True) -> Any:
        """Dispatches one request through Bolt (signature check, authorize, ack) and
        returns Bolt's HTTP answer once everything it started has settled.
        ``expect_listener`` is accepted for older callers and ignored: ``settled()``
        needs no hint whether a listener will run."""
        from slack_bolt.async_app import AsyncBoltRequest

        hdrs = {"content-type": content_type, **(self.sim.sign(body) if sign else {}),
                **(headers or {})}
        with self.tracking():
            resp = await self.app.async_dispatch(AsyncBoltRequest(
                body=body, headers={k: [v] for k, v in hdrs.items()}))
        await self.settled()
        return resp

    async def command(self, text: str, **kw: Any) -> dict[str, Any]:
        """Runs `/circle text`; returns the response_url reply (or {} if none)."""
        payload = self.sim.slash(text, **kw)
        resp = await self.send(self.sim.form_body(payload))
        assert resp.status == 200, resp.body
        return self.reply_to(payload["response_url"])

    async def press(self, action_id: str, value: str, **kw: Any) -> dict[str, Any]:
        payload = self.sim.block_action(action_id, value, **kw)
        resp = await self.send(self.sim.interactive_body(payload))
        assert resp.status == 200, resp.body
        return self.reply_to(payload.get("response_url", ""))

    async def submit(self, view: dict[str, Any], values: dict[str, Any], **kw: Any) -> Any:
        resp = await self.send(self.sim.interactive_body(self.sim.view_submission(view, values,
                                                                                    **kw)))
        assert resp.status == 200, resp.body
        if resp.body.startswith("{") and '"response_action"' in resp.body:
            self._check_view_response(view, json.loads(resp.body))
        return resp

    def _check_view_response(self, view: dict[str, Any], answer: dict[str, Any]) -> None:
        """As Slack: ``errors`` name input blocks of the submitted view, each a string."""
        if answer.get("response_action") != "errors":
            return
        inputs = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
        errors = answer.get("errors")
        if not isinstance(errors, dict) or not errors:
            self.fake.violations.append("response_action errors without an errors object")
            return
        for block_id, message in errors.items():
            if block_id not in inputs:
                self.fake.violations.append(f"errors names {block_id!r}, not an input block")
            if not isinstance(message, str) or not message:
                self.fake.violations.append(f"error for {block_id!r} is not a non-empty string")

    async def event(self, payload: dict[str, Any]) -> Any:
        resp = await self.send(json.dumps(payload), content_type="application/json")
        assert resp.status == 200, resp.body
        return resp

    def reply_to(self, url: str) -> dict[str, Any]:
        tail = url.rsplit("/hooks/", 1)[-1]
        got = [r for r in self.fake.responses if r["_hook"] == tail]
        return got[-1] if got else {}

    async def deliver(self, skip_ahead: int = 5) -> int:
        """Runs the real outbox worker with this gateway until nothing is due; rows the
        worker deferred (a post waiting for its circle's channel) become due by moving the
        worker's clock ahead, at most ``skip_ahead`` times (0: only what is due now)."""
        import datetime as dt

        from bot.delivery import DeliveryWorker
        from circles.model import OutboxMessage, utcnow

        ahead = [0.0]
        worker = DeliveryWorker(self.core.sessions, {"slack": self.gateway},
                                self.config.scheduling,
                                clock=lambda: utcnow() + dt.timedelta(seconds=ahead[0]))
        total = 0
        skips = 0
        while True:
            n = await worker.run_once()
            total += n
            if n:
                continue
            with self.core.sessions() as s:
                pending = s.query(OutboxMessage).filter(OutboxMessage.status == "pending").count()
            if not pending or skips >= skip_ahead:
                return total
            skips += 1
            ahead[0] += 600


async def slack_harness(sessions: Any, *, oauth: bool = False, **slack: Any) -> SlackHarness:
    """A started fake with team T1 (admin U_ADMIN, members U1..U6) and the app in HTTP mode:
    token mode by default, OAuth mode (installations in our DB) with ``oauth=True``."""
    from adapters.slack.app import build_app
    from adapters.slack.gateway import SlackGateway
    from adapters.slack.installation_store import DbInstallationStore
    from bot.config import Config
    from bot.core import CircleBot

    fake = await FakeSlack().start()
    team = fake.add_team("T1", "Acme")
    fake.add_user("T1", "U_ADMIN", "ada", admin=True, tz="America/New_York")
    for i, name in enumerate(["bo", "cy", "di", "ed", "flo", "gus"], start=1):
        fake.add_user("T1", f"U{i}", name, tz="Europe/Berlin")
    fake.add_channel("T1", "general", cid="C_GENERAL",
                     members=["U_ADMIN", "U1", "U2", "U3", "U4", "U5", "U6"])
    config = Config()
    config.slack.mode = "http"
    config.slack.signing_secret = "test-signing-secret"
    config.slack.api_base_url = fake.api_base
    for key, value in slack.items():
        setattr(config.slack, key, value)
    installations = None
    if oauth:
        config.slack.client_id = "111.222"
        config.slack.client_secret = "client-secret"
        config.slack.state_secret = "state-secret"
        installations = DbInstallationStore(sessions)
    else:
        config.slack.bot_token = team.bot_token
    core = CircleBot(sessions, config)
    app, listeners = build_app(core, config, installations=installations)
    gateway = SlackGateway(token=config.slack.bot_token, installations=installations,
                           base_url=fake.api_base)
    return SlackHarness(fake, core, config, app, listeners, gateway, installations)
