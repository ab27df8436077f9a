"""Discord as strict as the real one: a member who left the server, a thread that archived
itself after a quiet week, and the first follow-up after a private "thinking…" all behave
the way Discord's API does, and the bot copes with each.

The real delivery worker sends the engine's outbox through DiscordGateway to the fake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import select

from adapters.discord.client import CircleClient
from adapters.discord.gateway import DiscordGateway
from bot.config import Config
from bot.core import CircleBot
from bot.delivery import DeliveryWorker
from circles.model import AuditEvent, OutboxMessage, utcnow
from tests.builders import Clock
from tests.fakes.discord.harness import Harness, fake_discord_api, logged_in
from tests.fakes.discord.payloads import MANAGE_GUILD
from tests.fakes.discord.server import FakeDiscord
from tests.test_discord_circles import circles_with_people, deliver

GUILD = "4000"
COORD = "100000000000000600"
PEOPLE = [str(100000000000000611 + i) for i in range(8)]


@pytest_asyncio.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with fake_discord_api(monkeypatch) as fake:
        fake.add_guild(GUILD, hub="circles")
        fake.add_channel(GUILD, "5000", "general")  # where the slash commands are typed
        yield fake


@pytest.fixture
def config() -> Config:
    cfg = Config()
    cfg.scheduling.per_workspace_per_second = 0
    cfg.scheduling.per_space_per_second = 0
    return cfg


@pytest_asyncio.fixture
async def world(fake, db, clock, config) -> AsyncIterator[tuple[Harness, DeliveryWorker]]:  # type: ignore[no-untyped-def]
    core = CircleBot(db, config, clock=clock)
    async with logged_in(CircleClient(core, config)) as client:
        gateway = DiscordGateway(client, config.discord.hub_channel)
        worker = DeliveryWorker(db, {"discord": gateway}, config.scheduling, clock=Clock(utcnow()))
        yield Harness(client, fake), worker


async def publish(h: Harness, people: list[str], size: str = "4") -> None:
    await h.say(COORD, f"program create Spring size={size}", permissions=MANAGE_GUILD)
    for uid in people:
        await h.say(uid, "join")
        await h.say(uid, 'profile set timezone=Europe/Berlin availability="weekdays 9-17"')
    await h.say(COORD, "round preview", permissions=MANAGE_GUILD)
    await h.say(COORD, "round publish", permissions=MANAGE_GUILD)


def unsent(db) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with db() as s:
        return [(m.key, m.status, m.last_error) for m in s.scalars(
            select(OutboxMessage).where(OutboxMessage.status != "sent"))]


# -- the fake says what Discord says --------------------------------------------------------


async def test_discord_refuses_members_for_archived_threads_and_people_who_left(fake):
    from discord.http import HTTPClient, Route

    http = HTTPClient(None)  # type: ignore[arg-type]
    await http.static_login("fake-token")
    try:
        hub = fake.guilds[GUILD].channels[0]
        thread = await http.start_thread_without_message(hub, name="c", auto_archive_duration=10080,
                                                         type=12, invitable=False)
        fake.auto_archive(thread["id"])
        import discord

        with pytest.raises(discord.HTTPException) as archived:
            await http.add_user_to_thread(thread["id"], PEOPLE[0])
        assert archived.value.status == 400 and archived.value.code == 50083
        await http.request(Route("PATCH", "/channels/{channel_id}", channel_id=thread["id"]),
                           json={"archived": False})
        fake.leave_guild(GUILD, PEOPLE[1])
        with pytest.raises(discord.NotFound) as gone:
            await http.add_user_to_thread(thread["id"], PEOPLE[1])
        assert gone.value.code == 10007
    finally:
        await http.close()


# -- the bot copes ---------------------------------------------------------------------------


async def test_a_member_who_left_the_server_does_not_fail_their_circles_thread(world, fake, db, clock):
    h, worker = world
    await publish(h, PEOPLE)
    fake.leave_guild(GUILD, PEOPLE[0])  # between publishing and the thread being made
    await deliver(worker, clock)
    assert unsent(db) == []
    for circle, people in circles_with_people(db):
        assert circle.space_id, "every circle got its thread"
        present = set(people) - {PEOPLE[0]}
        assert present <= fake.thread_members[circle.space_id]
        assert PEOPLE[0] not in fake.thread_members[circle.space_id]
        assert fake.posted(circle.space_id), "and its welcome"
    with db() as s:  # recorded, and the coordinators are told who is missing
        audit = s.scalars(select(AuditEvent).where(AuditEvent.kind == "space_member_unreachable")).all()
        assert [a.detail["users"] for a in audit] == [[PEOPLE[0]]]
    coordinator_dm = fake.dm_channels[COORD]
    told = " ".join(e.get("description") or "" for m in fake.posted(coordinator_dm)
                    for e in m.get("embeds") or [])
    assert "User" in told and "no longer in the workspace" in told


async def test_a_late_joiner_is_added_to_a_thread_that_archived_itself(world, fake, db, clock):
    h, worker = world
    await publish(h, PEOPLE[:6], size="3")
    await deliver(worker, clock)
    threads = [c.space_id for c, _ in circles_with_people(db)]
    for thread in threads:
        fake.auto_archive(thread)  # a quiet week
    await h.say(COORD, "program set size=3-4", permissions=MANAGE_GUILD)
    newcomer = PEOPLE[7]
    await h.say(newcomer, "join")
    await h.say(newcomer, 'profile set timezone=Europe/Berlin availability="weekdays 9-17"')
    await deliver(worker, clock)
    assert unsent(db) == []
    [placed] = [t for t in threads if newcomer in fake.thread_members[t]]
    unarchive = [c for c in fake.requests("PATCH", rf"/channels/{placed}")
                 if c.body.get("archived") is False]
    assert unarchive, "the thread was unarchived before adding the member"
    assert any("welcome" in (e.get("description") or "").lower() or "welcome" in (e.get("title") or "").lower()
               for m in fake.posted(placed) for e in m.get("embeds") or []) or len(fake.posted(placed)) >= 2


async def test_a_public_reply_stays_public_when_the_interaction_had_to_be_deferred(fake, db, clock, config):
    config.discord.defer_after_seconds = 0  # "slower than the threshold", deterministically
    core = CircleBot(db, config, clock=clock)
    async with logged_in(CircleClient(core, config)) as client:
        h = Harness(client, fake)
        await h.slash("program create", {"name": "Spring", "size": "4"}, user_id=COORD,
                      permissions=MANAGE_GUILD)
        private = await h.slash("help", user_id=PEOPLE[0])
    shown = [m for m in fake.public_messages() if m.get("channel_id") == "5000" or m.get("token")]
    said = " ".join(e.get("description") or "" for m in shown for e in m.get("embeds") or [])
    said += " ".join(m.get("content") or "" for m in shown)
    assert "Spring" in said and "Enrolment is open" in said, "the announcement is in the channel"
    assert "/circle join" not in said  # while help stays private
    assert "/circle join" in private.text
    # the private "thinking…" placeholder of the public reply was cleaned up
    assert fake.requests("DELETE", r"/webhooks/\d+/[^/]+/messages/@original")


async def test_a_followup_after_a_private_defer_is_private_whatever_its_flags(fake):
    import aiohttp

    from tests.fakes.discord.payloads import APP_ID

    async with aiohttp.ClientSession() as http:
        await http.post(f"{fake.base}/interactions/1/tok1/callback",
                        json={"type": 5, "data": {"flags": 64}})
        first = await (await http.post(f"{fake.base}/webhooks/{APP_ID}/tok1",
                                       json={"content": "public?", "flags": 0})).json()
        second = await (await http.post(f"{fake.base}/webhooks/{APP_ID}/tok1",
                                        json={"content": "later", "flags": 0})).json()
    assert first["flags"] & 64, "the first follow-up edits the private placeholder"
    assert not second["flags"] & 64
    assert [m["content"] for m in fake.public_messages()] == ["later"]


async def test_many_dms_to_one_member_create_their_dm_channel_once_even_after_a_restart(
        world, fake, db, clock, config):
    from circles import notices
    from circles.db import unit_of_work
    from circles.model import DmChannel, Member

    h, worker = world

    def queue(n: int, tag: str) -> None:
        with unit_of_work(db) as s:
            m = s.scalar(select(Member).where(Member.external_id == PEOPLE[0]))
            for i in range(n):
                notices.to_member(s, m.workspace_id, m.id, PEOPLE[0], f"note{tag}:{i}",
                                  notices.Waitlisted("Spring", f"reason {i}"))

    await h.say(PEOPLE[0], "join")
    queue(4, "a")
    await deliver(worker, clock)
    assert len(fake.requests("POST", r"/users/@me/channels")) == 1
    dm = fake.dm_channels[PEOPLE[0]]
    assert len([m for m in fake.posted(dm) if "reason" in str(m["embeds"]) + m["content"]]) == 4
    with db() as s:
        assert s.scalar(select(DmChannel.channel).where(DmChannel.user == PEOPLE[0])) == dm
    # a restarted process (a new gateway with no memory) uses the stored channel
    worker.gateways["discord"] = DiscordGateway(h.client, config.discord.hub_channel)
    queue(2, "b")
    await deliver(worker, clock)
    assert len(fake.requests("POST", r"/users/@me/channels")) == 1
    assert unsent(db) == []
