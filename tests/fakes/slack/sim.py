"""Slack's side of a request: the signed HTTP bodies Slack sends to the app (slash
commands, block actions, view submissions, events), built like Slack's payloads."""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack.server import FakeSlack

# what Slack itself formats (mentions, channel links, broadcasts, links) and sends unescaped
_FORMATTED = re.compile(r"(<(?:[@#!][^<>]*|https?://[^<>]*|mailto:[^<>]*)>)")


def slack_escaped(text: str) -> str:
    """Text the way Slack sends what a person typed: `&`, `<`, `>` become `&amp;`,
    `&lt;`, `&gt;` (in slash commands, message events and view submissions alike);
    the mentions and links Slack formatted itself arrive as they are."""
    parts = _FORMATTED.split(text)
    return "".join(part if i % 2 else part.replace("&", "&amp;").replace("<", "&lt;")
                   .replace(">", "&gt;") for i, part in enumerate(parts))


class SlackSim:
    """What Slack sends to the app: signed HTTP requests, built like Slack's payloads."""

    def __init__(self, fake: FakeSlack, signing_secret: str = "test-signing-secret") -> None:
        self.fake = fake
        self.secret = signing_secret
        self._n = itertools.count(1)

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        return {"x-slack-signature": sig, "x-slack-request-timestamp": ts}

    def form_body(self, payload: dict[str, Any]) -> str:
        return urlencode(payload)

    def interactive_body(self, payload: dict[str, Any]) -> str:
        return urlencode({"payload": json.dumps(payload)})

    def slash(self, text: str, *, team: str = "T1", user: str = "U1",
              channel: str = "C_GENERAL", command: str = "/circle") -> dict[str, Any]:
        n = next(self._n)
        return {"token": "legacy", "team_id": team, "team_domain": team.lower(),
                "channel_id": channel, "channel_name": "general", "user_id": user,
                "user_name": self.fake.users.get(user, {}).get("name", user.lower()),
                "command": command, "text": slack_escaped(text), "api_app_id": "A1",
                "is_enterprise_install": "false",
                "response_url": self.fake.response_url(f"cmd-{n}"),
                "trigger_id": f"{n}.{n}.trigger"}

    def block_action(self, action_id: str, value: str, *, team: str = "T1", user: str = "U1",
                     channel: str | None = "C_GENERAL", ephemeral: bool = False,
                     home: bool = False) -> dict[str, Any]:
        n = next(self._n)
        payload: dict[str, Any] = {
            "type": "block_actions", "api_app_id": "A1", "token": "legacy",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "trigger_id": f"{n}.{n}.trigger",
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b1",
                         "value": value, "text": {"type": "plain_text", "text": "x"},
                         "action_ts": f"{int(time.time())}.000{n}"}]}
        if home:
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "blocks": []}
        else:
            payload["container"] = {"type": "message", "message_ts": "1.000001",
                                    "channel_id": channel, "is_ephemeral": ephemeral}
            payload["channel"] = {"id": channel, "name": "general"}
            payload["response_url"] = self.fake.response_url(f"act-{n}")
            payload["message"] = {"type": "message", "ts": "1.000001", "text": "x"}
        return payload

    def view_submission(self, view: dict[str, Any], values: dict[str, Any], *,
                        team: str = "T1", user: str = "U1") -> dict[str, Any]:
        """``values``: block_id -> str | list[str]; shaped as each element type reports it."""
        state: dict[str, Any] = {}
        for block in view["blocks"]:
            el = block["element"]
            v = values.get(block["block_id"])
            kind = el["type"]
            if kind == "static_select":
                opt = next((o for o in el["options"] if o["value"] == v), None)
                state[block["block_id"]] = {el["action_id"]: {"type": kind,
                                                              "selected_option": opt}}
            elif kind == "multi_static_select":
                opts = [o for o in el["options"] if o["value"] in (v or [])]
                state[block["block_id"]] = {el["action_id"]: {"type": kind,
                                                              "selected_options": opts}}
            else:
                typed = slack_escaped(v) if isinstance(v, str) else v
                state[block["block_id"]] = {el["action_id"]: {"type": kind, "value": typed}}
        n = next(self._n)
        return {"type": "view_submission", "team": {"id": team, "domain": team.lower()},
                "user": {"id": user, "username": user.lower(), "team_id": team},
                "api_app_id": "A1", "token": "legacy", "trigger_id": f"{n}.{n}.trigger",
                "view": {**view, "id": f"V{n}", "team_id": team, "state": {"values": state},
                         "hash": "h", "app_id": "A1", "bot_id": "B1"}}

    def event(self, event: dict[str, Any], *, team: str = "T1") -> dict[str, Any]:
        n = next(self._n)
        if isinstance(event.get("text"), str):
            event = {**event, "text": slack_escaped(event["text"])}
        return {"token": "legacy", "team_id": team, "api_app_id": "A1", "event": event,
                "type": "event_callback", "event_id": f"Ev{n:08d}",
                "event_time": int(time.time()), "authorizations": [
                    {"team_id": team, "user_id": "UBOT1", "is_bot": True,
                     "is_enterprise_install": False}]}

    def thread_reply(self, channel: str, thread_ts: str, text: str, *, user: str = "U1",
                     team: str = "T1") -> dict[str, Any]:
        ts = self.fake._new_ts()
        return self.event({"type": "message", "channel": channel, "user": user, "text": text,
                           "ts": ts, "thread_ts": thread_ts, "channel_type": "group",
                           "event_ts": ts, "team": team}, team=team)

    def last_modal(self) -> dict[str, Any]:
        calls = self.fake.calls_to("views.open")
        assert calls, "no modal was opened"
        return calls[-1].params["view"]
