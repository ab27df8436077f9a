"""A round's life on Discord, end to end: publish → private threads in the hub with their
members and a welcome → a weekly prompt → answers typed in the thread or given through the
Answer button → check-in and pulse buttons (with an optional comment) → archive and lock.

The real delivery worker sends the engine's outbox through DiscordGateway to the fake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.discord.client import CircleClient
from adapters.discord.gateway import DiscordGateway
from bot.config import Config
from bot.core import CircleBot
from bot.delivery import DeliveryWorker
from circles.db import unit_of_work
from circles.model import CheckIn, Circle, Member, Membership, Pulse, Response, Round, utcnow
from circles.usecases import weekly as s
from tests.builders import Clock
from tests.fakes.discord.harness import Harness, fake_discord_api, logged_in
from tests.fakes.discord.payloads import MANAGE_GUILD, guild_create, message_create
from tests.fakes.discord.server import FakeDiscord

GUILD = "4000"
COORD = "100000000000000600"
PEOPLE = [str(100000000000000611 + i) for i in range(8)]


@pytest_asyncio.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with fake_discord_api(monkeypatch) as fake:
        fake.hub = fake.add_guild(GUILD, hub="circles")  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def config() -> Config:
    cfg = Config()
    cfg.discord.message_content_intent = True
    cfg.scheduling.per_workspace_per_second = 0  # the limiter's spacing is delivery's own test
    cfg.scheduling.per_space_per_second = 0
    return cfg


@pytest_asyncio.fixture
async def world(fake, db, clock, config) -> AsyncIterator[tuple[Harness, CircleBot, DeliveryWorker]]:
    core = CircleBot(db, config, clock=clock)
    async with logged_in(CircleClient(core, config)) as client:
        gateway = DiscordGateway(client, config.discord.hub_channel)
        # outbox rows are stamped with the real time, so the worker's clock starts from it
        worker = DeliveryWorker(db, {"discord": gateway}, config.scheduling, clock=Clock(utcnow()))
        yield Harness(client, fake), core, worker


async def deliver(worker: DeliveryWorker, clock: Clock) -> None:
    """Run the outbox dry; moving the clock lets rows parked for their space go again."""
    idle = 0
    for _ in range(20):
        handled = await worker.run_once()
        worker.clock.advance(seconds=30)  # type: ignore[attr-defined]
        idle = 0 if handled else idle + 1
        if idle >= 2:
            return


async def publish(h: Harness) -> None:
    await h.say(COORD, "program create Spring size=4", permissions=MANAGE_GUILD)
    for uid in PEOPLE:
        await h.say(uid, "join")
        await h.say(uid, 'profile set timezone=Europe/Berlin availability="weekdays 9-17"')
    await h.say(COORD, "round preview", permissions=MANAGE_GUILD)
    await h.say(COORD, "round publish", permissions=MANAGE_GUILD)


def circles_with_people(db: sessionmaker[Session]) -> list[tuple[Circle, list[str]]]:
    with db() as session:
        out = []
        for circle in session.scalars(select(Circle).order_by(Circle.number)):
            ids = session.scalars(select(Member.external_id).join(Membership)
                                  .where(Membership.circle_id == circle.id, Membership.active)).all()
            out.append((circle, list(ids)))
        return out


def post_prompts(core: CircleBot, cycle: int = 1) -> None:
    with unit_of_work(core.sessions) as session:
        for circle in session.scalars(select(Circle).join(Round).where(Round.status == "active")):
            s.post_prompt(session, circle, cycle, core.clock())


async def test_publishing_creates_a_private_thread_per_circle_with_members_and_welcome(world, fake, db, clock):
    h, core, worker = world
    await publish(h)
    await deliver(worker, clock)
    circles = circles_with_people(db)
    assert len(circles) == 2
    for circle, people in circles:
        thread = fake.channels[circle.space_id]
        assert thread["type"] == 12 and thread["parent_id"] == fake.hub
        assert fake.thread_members[circle.space_id] >= set(people)
        [welcome] = fake.posted(circle.space_id)
        assert welcome["embeds"][0]["title"] == "Your new circle"
        assert "Why you were matched" in welcome["embeds"][0]["description"]


async def test_a_message_typed_in_the_thread_answers_the_prompt(world, fake, db, clock):
    h, core, worker = world
    await publish(h)
    await deliver(worker, clock)
    post_prompts(core)
    await deliver(worker, clock)
    circle, people = circles_with_people(db)[0]
    thread = circle.space_id
    prompt = fake.posted(thread)[-1]
    assert prompt["embeds"][0]["title"] == "Week 1 prompt"
    # Discord tells the bot about its new thread, then a member types in it
    state = h.client._connection
    await h.feed(state.parse_guild_create, _guild_with(fake, thread))
    await h.feed(state.parse_message_create,
                 message_create(thread, "I want to learn @everyone", user_id=people[0]))
    assert fake.reactions.get(_last_message_id(fake, thread), []) == []
    [(member_id, text)] = _answers(db)
    assert text == "I want to learn @everyone"
    assert any(fake.reactions.values())  # the member's message got its acknowledgement
    # answers are shown back without pinging anyone
    shown = await h.slash("answers", user_id=people[1])
    assert "@\u200beveryone" in shown.text
    # someone else's plain chat in a non-thread channel is ignored
    await h.feed(state.parse_message_create, message_create(fake.hub, "hello", user_id=people[2]))
    assert len(_answers(db)) == 1


async def test_the_answer_button_opens_a_modal_and_records_the_answer(world, fake, db, clock):
    h, core, worker = world
    await publish(h)
    await deliver(worker, clock)
    post_prompts(core)
    await deliver(worker, clock)
    circle, people = circles_with_people(db)[0]
    prompt = fake.posted(circle.space_id)[-1]
    custom_id = prompt["components"][0]["components"][0]["custom_id"]
    assert custom_id.startswith("circle:answer:")
    modal = (await h.press(custom_id, user_id=people[0], channel_id=circle.space_id, channel_type=12)).modal
    done = await h.submit(modal, {"answer": "Public speaking"}, user_id=people[0])
    assert "your answer is recorded" in done.text
    assert [t for _, t in _answers(db)] == ["Public speaking"]
    # /circle answer changes it; /circle answers shows the circle's answers
    again = await h.slash("answer", {"text": "Public speaking, and Rust"}, user_id=people[0])
    assert "Updated your answer" in again.text
    assert "Public speaking, and Rust" in (await h.slash("answers", user_id=people[1])).text


async def test_check_in_and_pulse_buttons_with_an_optional_comment(world, fake, db, clock):
    h, core, worker = world
    await publish(h)
    await deliver(worker, clock)
    circle, people = circles_with_people(db)[0]
    with unit_of_work(db) as session:
        s.request_checkin_and_pulse(session, circle, 1)
    await deliver(worker, clock)
    card = fake.posted(circle.space_id)[-1]
    ids = {c["label"]: c["custom_id"] for row in card["components"] for c in row["components"]}
    assert set(ids) == {"Yes", "Not yet", "We skipped", "1", "2", "3", "4", "5"}
    met = await h.press(ids["Yes"], user_id=people[0], channel_id=circle.space_id)
    assert "you met" in met.text and met.ephemeral
    rated = await h.press(ids["4"], user_id=people[0], channel_id=circle.space_id)
    assert "4/5" in rated.text
    modal = (await h.press(rated.buttons["Add a comment"], user_id=people[0])).modal
    thanks = await h.submit(modal, {"comment": "Great energy"}, user_id=people[0])
    assert "Thanks for the comment" in thanks.text
    with db() as session:
        assert session.scalar(select(CheckIn.status)) == "met"
        assert session.execute(select(Pulse.rating, Pulse.comment)).one() == (4, "Great energy")
    # the same through the slash commands
    assert "haven't met yet" in (await h.slash("checkin", {"status": "not-yet"}, user_id=people[1])).text
    rated = await h.slash("pulse", {"rating": 5, "comment": "Loved it"}, user_id=people[1])
    assert "5/5" in rated.text and "Add a comment" not in rated.buttons
    # an outsider pressing the circle's buttons changes nothing
    outsider = [p for c, ps in circles_with_people(db)[1:] for p in ps][0]
    assert (await h.press(ids["1"], user_id=outsider)).is_error


async def test_ending_the_round_archives_and_locks_every_thread(world, fake, db, clock):
    h, core, worker = world
    await publish(h)
    await deliver(worker, clock)
    await h.slash("goal set", {"text": "Ship it"}, user_id=PEOPLE[0])
    asked = await h.slash("round end", user_id=COORD, permissions=MANAGE_GUILD)
    await h.press(asked.buttons["End the round"], user_id=COORD, permissions=MANAGE_GUILD)
    await deliver(worker, clock)
    for circle, _ in circles_with_people(db):
        meta = fake.channels[circle.space_id]["thread_metadata"]
        assert meta["archived"] and meta["locked"] and circle.archived
    # the goal check-in came by DM; its buttons work there, where Discord names no server
    dm = fake.dm_channels[PEOPLE[0]]
    # (the closing survey comes by DM too; the goal check is the card with a Done button)
    card = next(c for c in fake.posted(dm)
                if ":goal_done:" in c["components"][0]["components"][0]["custom_id"])
    done_id = card["components"][0]["components"][0]["custom_id"]
    assert done_id.startswith(f"circle@{GUILD}:goal_done:")
    done = await h.press(done_id, guild_id=None, channel_id=dm, user_id=PEOPLE[0])
    assert "Goal 1 done" in done.text


async def test_buttons_still_work_after_a_restart(world, fake, db, clock, config):
    h, core, worker = world
    await publish(h)
    await deliver(worker, clock)
    post_prompts(core)
    await deliver(worker, clock)
    circle, people = circles_with_people(db)[0]
    custom_id = fake.posted(circle.space_id)[-1]["components"][0]["components"][0]["custom_id"]
    await h.client.close()
    async with logged_in(CircleClient(CircleBot(db, config, clock=clock), config)) as fresh:
        answer = await Harness(fresh, fake).press(custom_id, user_id=people[0])
        assert answer.type == 9  # the Answer modal, from a brand-new process
        # a modal opened before the restart can't be completed, and says so
        stale = await Harness(fresh, fake).submit({"custom_id": "circleform:old"}, {"answer": "x"},
                                                  user_id=people[0])
        assert "expired" in stale.text and stale.ephemeral


async def test_a_post_to_a_deleted_thread_fails_for_good_with_the_reason_kept(world, fake, db, clock):
    h, core, worker = world
    await publish(h)
    await deliver(worker, clock)
    circle, _ = circles_with_people(db)[0]
    del fake.channels[circle.space_id]  # someone deleted the thread
    post_prompts(core)
    await deliver(worker, clock)
    from circles.model import OutboxMessage
    with db() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.key == f"prompt:{circle.id}:1"))
        assert row.status == "failed" and "unknown_channel" in row.last_error


def _answers(db: sessionmaker[Session]) -> list[tuple[int, str]]:
    with db() as session:
        return [tuple(r) for r in session.execute(select(Response.member_id, Response.text))]  # type: ignore[misc]


def _last_message_id(fake: FakeDiscord, channel: str) -> str:
    return fake.posted(channel)[-1]["id"]


def _guild_with(fake: FakeDiscord, thread_id: str) -> dict:  # type: ignore[type-arg]
    payload = guild_create(GUILD, channels=[fake.channels[fake.hub]])  # type: ignore[attr-defined]
    payload["threads"] = [fake.channels[thread_id]]
    return payload


async def test_the_welcome_tells_a_platform_with_threads_to_reply_in_the_thread(world, fake, db, clock):
    """Worded by capability: Discord has threads, so the welcome says to reply in one (the
    console, which has none, is told to press Answer instead: tests/test_console_words.py)."""
    h, core, worker = world
    await publish(h)
    await deliver(worker, clock)
    circle, _ = circles_with_people(db)[0]
    [welcome] = fake.posted(circle.space_id)
    assert "reply in its thread to answer" in welcome["embeds"][0]["description"]
