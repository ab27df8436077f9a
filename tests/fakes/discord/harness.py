"""A real ``CircleClient`` logged in against the fake Discord, driven the way Discord drives
it: gateway payloads fed to discord.py's own parsers. ``say``/``settled`` are the shared
harness verbs (``tests.fakes.harness``); ``interact``/``slash``/``press``/``submit`` give
the full ``Answer`` (callback and follow-ups) when a test needs Discord's details."""

from __future__ import annotations

import shlex
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from discord import AppCommandOptionType

from tests.fakes.discord.payloads import APP_ID, EPHEMERAL, button_press, modal_submit, slash
from tests.fakes.discord.server import FakeDiscord
from tests.fakes.harness import ChatHarness, Seen


def who_can_be_pinged(msg: dict[str, Any]) -> set[str]:
    """Whom Discord would notify for this message, per its ``allowed_mentions`` (no
    ``allowed_mentions`` at all would mean: anyone mentioned, @everyone included)."""
    allowed = msg.get("allowed_mentions")
    if allowed is None:
        return {"<anyone>"}
    out: set[str] = set()
    parse = allowed.get("parse", [])
    if "everyone" in parse:
        out.add("@everyone")
    if "roles" in parse or allowed.get("roles"):
        out.add("<roles>")
    if "users" in parse:
        out.add("<any user>")
    out.update(str(u) for u in allowed.get("users", []))
    return out


@dataclass
class Answer:
    """How our bot answered one interaction: the callback, plus any follow-ups."""

    callback: dict[str, Any]
    followups: list[dict[str, Any]]

    @property
    def type(self) -> int:
        return int(self.callback["type"])

    @property
    def messages(self) -> list[dict[str, Any]]:
        first = [self.callback.get("data") or {}] if self.type in (4, 7) else []
        return first + self.followups

    @property
    def text(self) -> str:
        """Every visible word of the answer's messages (content, embed titles, text, fields)."""
        parts: list[str] = []
        for m in self.messages:
            parts.append(m.get("content") or "")
            for e in m.get("embeds") or []:
                parts += [e.get("title") or "", e.get("description") or ""]
                parts += [f"{f['name']}: {f['value']}" for f in e.get("fields") or []]
        return "\n".join(p for p in parts if p)

    @property
    def ephemeral(self) -> bool:
        return bool(self.messages and (self.messages[0].get("flags", 0) & EPHEMERAL))

    @property
    def is_error(self) -> bool:
        return any(e.get("color") == 0xED4245 for m in self.messages for e in m.get("embeds") or [])

    @property
    def buttons(self) -> dict[str, str]:
        """label -> custom id, over every message of the answer."""
        out = {}
        for m in self.messages:
            for row in m.get("components") or []:
                for comp in row.get("components", []):
                    if comp.get("type") == 2:
                        out[comp["label"]] = comp["custom_id"]
        return out

    @property
    def modal(self) -> dict[str, Any]:
        assert self.type == 9, f"expected a modal, got callback type {self.type}: {self.callback}"
        return self.callback["data"]

    @property
    def modal_fields(self) -> list[str]:
        return [c["component"]["custom_id"] for c in self.modal["components"]]

    def seen(self) -> Seen:
        return Seen(text=self.text, ephemeral=self.ephemeral, buttons=self.buttons, raw=self)


# discord.py gives a view sent in an ephemeral message a 15-minute expiry (the interaction
# token's life) and runs that as a task: a timer, not work in flight.
VIEW_TIMERS = frozenset({"BaseView.__timeout_task_impl"})


class DiscordHarness(ChatHarness):
    """Feeds gateway payloads to a logged-in client and collects what it sent back."""

    def __init__(self, client: Any, fake: FakeDiscord) -> None:
        super().__init__(timers=VIEW_TIMERS)
        self.client = client
        self.fake = fake

    async def say(self, user: str, text: str, **kw: Any) -> Seen:
        """``/circle text`` typed by ``user`` (a Discord user id): the text is split into
        the slash command's path and options the way a member fills them in (positional
        words in option order, ``key=value`` by name). ``kw``: guild, permissions, ..."""
        path, options = command_for(text)
        answer = await self.interact(slash(path, options, user_id=user, **kw))
        return answer.seen()

    async def feed(self, parse: Callable[[dict[str, Any]], Any], payload: dict[str, Any]) -> None:
        """Hands one gateway dispatch to discord.py (``client._connection.parse_*``) and
        waits until everything it started has settled."""
        with self.tracking():
            parse(payload)
        await self.settled()

    async def interact(self, payload: dict[str, Any], followups: int = 0) -> Answer:
        iid, token = payload["id"], payload["token"]
        await self.feed(self.client._connection.parse_interaction_create, payload)
        path = f"/interactions/{iid}/{token}/callback"
        mine = [c for c in self.fake.calls if c.path == path]
        assert mine, f"the bot never answered interaction {iid}"
        callback = mine[0].body
        ups = self.fake.requests("POST", rf"/webhooks/{APP_ID}/{token}")
        # deferred: answered by a follow-up, unless the reply went to the channel instead
        # (a public reply after a private defer) and the placeholder was deleted
        replaced = self.fake.requests("DELETE", rf"/webhooks/{APP_ID}/{token}/messages/@original")
        wanted = max(followups, 1) if callback["type"] == 5 and not replaced else followups
        assert len(ups) >= wanted, f"{len(ups)} follow-up(s), expected {wanted}"
        return Answer(callback, [c.body for c in ups])

    async def slash(self, path: str, options: dict[str, Any] | None = None, **kw: Any) -> Answer:
        return await self.interact(slash(discord_path(path), options, **kw))

    async def press(self, custom_id: str, **kw: Any) -> Answer:
        return await self.interact(button_press(custom_id, **kw))

    async def submit(self, modal: dict[str, Any], values: dict[str, str | list[str]], **kw: Any) -> Answer:
        return await self.interact(modal_submit(modal["custom_id"], values, **kw))

    async def autocomplete(self, path: str, options: dict[str, Any], focused: str, **kw: Any) -> list[dict[str, Any]]:
        answer = await self.interact(slash(discord_path(path), options, focused=focused, **kw))
        assert answer.type == 8
        return list(answer.callback["data"]["choices"])


Harness = DiscordHarness  # the name the tests used before the shared harness


def discord_path(path: str) -> tuple[str, ...]:
    """The Discord path of a `/circle` command: a command that is also a group (`health`,
    once `health rounds` exists) is `<group> show` there."""
    from adapters.discord.options import discord_paths

    words = tuple(path.split())
    return (*words, "show") if (*words, "show") in discord_paths() else words


def command_for(text: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    """``/circle`` text as the slash command a member would fill in: the longest command
    path its first words name, then options (integers where Discord types them)."""
    from adapters.discord.options import discord_paths, options_for

    words = shlex.split(text)
    paths = discord_paths()
    for n in range(len(words), 0, -1):
        path = tuple(words[:n])
        if path in paths or (*path, "show") in paths:
            break
    else:
        raise AssertionError(f"no /circle command in {text!r}")
    path = path if path in paths else (*path, "show")
    options = options_for(paths[path])
    by_name = {o.name: o for o in options}
    values: dict[str, Any] = {}
    free = [o.name for o in options]
    for word in words[n:]:
        key, eq, value = word.partition("=")
        if eq and key in by_name:
            values[key] = value
            if key in free:
                free.remove(key)
        elif free:
            values[free.pop(0)] = word
        else:
            raise AssertionError(f"{word!r}: no option left for it in {text!r}")
    for key, value in values.items():
        if getattr(by_name[key].annotation, "type", None) == AppCommandOptionType.integer:
            values[key] = int(value)
    return path, values


@asynccontextmanager
async def fake_discord_api(monkeypatch: Any) -> AsyncIterator[FakeDiscord]:
    """A started fake with discord.py's REST base pointed at it."""
    import discord.http

    fake = FakeDiscord()
    await fake.server.start_server()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.base)
    try:
        yield fake
    finally:
        await fake.server.close()


@asynccontextmanager
async def logged_in(client: Any) -> AsyncIterator[Any]:
    """``login`` is the real one: GET /users/@me, /oauth2/applications/@me, setup_hook."""
    await client.login("fake-token")
    try:
        yield client
    finally:
        await client.close()


def discord_config():  # type: ignore[no-untyped-def]
    """A bot config for DM-heavy Discord specs: threads answered by message, no pacing."""
    from bot.config import Config

    cfg = Config()
    cfg.discord.message_content_intent = True
    cfg.scheduling.per_workspace_per_second = 0
    cfg.scheduling.per_space_per_second = 0
    return cfg
