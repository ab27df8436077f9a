"""Long replies never vanish: a coordinator reviews a 1,000-member draft on Slack and on
Discord, every circle arrives in messages that each fit the platform's limits, and the
Publish button comes after the last circle."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.discord.client import CircleClient
from bot.config import Config
from bot.core import CircleBot
from bot.paging import split_reply
from bot.replies import Button, Reply, Section
from circles.db import unit_of_work
from circles.model import Member, Profile, Program, ProgramMember, Workspace
from tests.builders import INTERESTS, Clock
from tests.fakes.discord.harness import Harness, fake_discord_api, logged_in
from tests.fakes.discord.payloads import MANAGE_GUILD
from tests.fakes.slack.blockkit import text_of
from tests.fakes.slack.harness import SlackHarness

PEOPLE = 1000
CIRCLE_TITLE = re.compile(r"Circle (\d+)\b")


def enrol_many(db: sessionmaker[Session], platform: str, workspace: str, program: str) -> None:
    """A thousand people who joined and filled in their profiles (set up directly: the
    review is what is under test, not a thousand join commands)."""
    with unit_of_work(db) as s:
        ws = s.scalar(select(Workspace).where(Workspace.platform == platform,
                                              Workspace.external_id == workspace))
        assert ws is not None
        prog = s.scalar(select(Program).where(Program.workspace_id == ws.id, Program.name == program))
        assert prog is not None
        for i in range(PEOPLE):
            m = Member(workspace_id=ws.id, external_id=f"9{i:05d}", display_name=f"Person {i}",
                       enrolled=True)
            s.add(m)
            s.flush()
            s.add(Profile(workspace_id=ws.id, member_id=m.id, experience=1 + i % 5,
                          interests=[INTERESTS[i % 6], INTERESTS[(i + 2) % 6]],
                          timezone="Europe/Berlin", availability=[["mon", 9, 17], ["wed", 9, 17]]))
            s.add(ProgramMember(workspace_id=ws.id, program_id=prog.id, member_id=m.id, role="peer"))


def circles_named(text: str) -> set[int]:
    return {int(n) for n in CIRCLE_TITLE.findall(text)}


def test_a_reply_that_fits_is_one_part_and_a_long_one_keeps_every_section_in_order() -> None:
    short = Reply(text="Hi", sections=[Section("a", "A")], buttons=[Button("Go", "go", "1")])
    assert split_reply(short, max_chars=1000, max_sections=10) == [short]
    long = Reply(text="Draft", title="Round 1", sections=[Section(f"people {i}", f"Circle {i}")
                                                          for i in range(1, 101)],
                 buttons=[Button("Publish", "publish_round", "1")])
    parts = split_reply(long, max_chars=300, max_sections=8)
    assert len(parts) > 10
    assert [s.title for p in parts for s in p.sections] == [f"Circle {i}" for i in range(1, 101)]
    assert all(len(p.sections) <= 8 for p in parts)
    assert [p.buttons for p in parts[:-1]] == [[]] * (len(parts) - 1)
    assert parts[-1].buttons == long.buttons and parts[0].text == "Draft"


async def test_a_1000_member_draft_arrives_whole_on_slack(slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "Big" size=4-5', user="U_ADMIN")
    enrol_many(db, "slack", "T1", "Big")
    payload = slack.sim.slash('round preview program="Big"', user="U_ADMIN")
    resp = await slack.send(slack.sim.form_body(payload))
    assert resp.status == 200
    await slack.settled()
    tail = payload["response_url"].rsplit("/hooks/", 1)[-1]
    parts = [r for r in slack.fake.responses if r["_hook"] == tail]
    # beyond Slack's five uses of a response_url, the rest come as ephemeral messages
    parts += [c.params for c in slack.fake.calls_to("chat.postEphemeral")
              if c.params.get("user") == "U_ADMIN"]
    assert len(parts) > 1  # too long for one message, and nothing was cut
    seen = circles_named("\n".join(text_of(p) for p in parts))
    assert "truncated" not in "\n".join(text_of(p) for p in parts)
    total = max(seen)
    assert total >= PEOPLE // 5 and seen == set(range(1, total + 1))
    assert "Publish" in str(parts[-1]["blocks"][-1])  # acted on after everything was seen


@pytest_asyncio.fixture
async def discord_bot(monkeypatch: pytest.MonkeyPatch, db) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    config = Config()
    async with fake_discord_api(monkeypatch) as fake:
        fake.add_guild("4000")
        async with logged_in(CircleClient(CircleBot(db, config, clock=Clock()), config)) as client:
            yield Harness(client, fake)


async def test_a_1000_member_draft_arrives_whole_on_discord(discord_bot: Harness, db) -> None:  # type: ignore[no-untyped-def]
    await discord_bot.slash("program create", {"name": "Big", "size": "4-5"}, user_id="600",
                            permissions=MANAGE_GUILD)
    enrol_many(db, "discord", "4000", "Big")
    preview = await discord_bot.slash("round preview", {"program": "Big"}, user_id="600",
                                      permissions=MANAGE_GUILD)
    assert len(preview.messages) > 1 and "truncated" not in preview.text
    seen = circles_named(preview.text)
    total = max(seen)
    assert total >= PEOPLE // 5 and seen == set(range(1, total + 1))
    assert "Publish" in preview.buttons
