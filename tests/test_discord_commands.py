"""/circle on Discord, through real discord.py against the fake REST API, on the real engine.

Each test is what a member or coordinator would see: the slash command, its typed options,
the ephemeral answer, modals for forms, and the database state afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.discord.client import CircleClient
from adapters.discord.options import discord_paths
from bot.config import Config
from bot.core import CircleBot
from circles.model import Goal, Member, Profile, ProgramMember, Workspace
from tests.builders import Clock
from tests.fakes.discord.harness import Harness, fake_discord_api, logged_in, who_can_be_pinged
from tests.fakes.discord.payloads import MANAGE_GUILD, guild_create, guild_delete, role
from tests.fakes.discord.server import FakeDiscord

GUILD = "4000"
COORD = "600"


@pytest_asyncio.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with fake_discord_api(monkeypatch) as fake:
        fake.add_guild(GUILD)
        yield fake


@pytest.fixture
def config() -> Config:
    return Config()


@pytest.fixture
def core(db: sessionmaker[Session], clock: Clock, config: Config) -> CircleBot:
    return CircleBot(db, config, clock=clock)


@pytest_asyncio.fixture
async def discord_bot(fake: FakeDiscord, core: CircleBot, config: Config) -> AsyncIterator[Harness]:
    async with logged_in(CircleClient(core, config)) as client:
        yield Harness(client, fake)


async def coordinator(h: Harness, path: str, options: dict | None = None):  # type: ignore[no-untyped-def]
    return await h.slash(path, options, user_id=COORD, permissions=MANAGE_GUILD)


def members(db: sessionmaker[Session]) -> dict[str, Member]:
    with db() as s:
        return {m.external_id: m for m in s.scalars(select(Member))}


# -- registration -------------------------------------------------------------------------


async def test_start_syncs_circle_with_every_command_of_the_grammar(discord_bot, fake):
    [sync] = fake.requests("PUT", r"/applications/2000/commands")
    [circle] = sync.body
    assert circle["name"] == "circle"
    assert circle["contexts"] == [0] or circle.get("dm_permission") is False  # servers only
    seen = set()
    for opt in circle["options"]:
        if opt["type"] == 2:  # a subcommand group: /circle goal set
            seen |= {(opt["name"], sub["name"]) for sub in opt["options"]}
        else:
            seen.add((opt["name"],))
    assert seen == set(discord_paths())
    by_name = {o["name"]: o for o in circle["options"]}
    rating = next(o for o in by_name["pulse"]["options"] if o["name"] == "rating")
    assert (rating["type"], rating["min_value"], rating["max_value"], rating["required"]) == (4, 1, 5, True)
    status = by_name["checkin"]["options"][0]
    assert [c["value"] for c in status["choices"]] == ["yes", "not-yet", "skipped"]
    # `health` has subcommands (`health rounds`), so on Discord the report itself is `health show`
    show = next(o for o in by_name["health"]["options"] if o["name"] == "show")
    program = next(o for o in show["options"] if o["name"] == "program")
    assert program["autocomplete"] is True


async def test_with_guild_ids_commands_sync_to_those_guilds_only(fake, core, config):
    config.discord.guild_ids = ["4000", "4001"]
    async with logged_in(CircleClient(core, config)):
        pass
    assert fake.requests("PUT", r"/applications/2000/commands") == []
    assert {c.path for c in fake.requests("PUT", r"/applications/2000/guilds/\d+/commands")} == {
        "/applications/2000/guilds/4000/commands", "/applications/2000/guilds/4001/commands"}


# -- members ------------------------------------------------------------------------------


async def test_help_is_a_private_embed(discord_bot):
    answer = await discord_bot.slash("help")
    assert answer.type == 4 and answer.ephemeral
    assert "/circle join" in answer.text and "Circlebot commands" in answer.text


async def test_joining_opens_the_profile_form_split_into_modals_of_five(discord_bot, db):
    await coordinator(discord_bot, "program create", {"name": "Spring"})
    answer = await discord_bot.slash("join", {"role": "mentee"}, user_id="601")
    page1 = answer.modal
    assert page1["title"] == "Your circle profile (1/2)"
    assert answer.modal_fields == ["role", "experience", "department", "interests", "goals"]
    # selects for role/experience, text inputs for the rest
    assert page1["components"][0]["component"]["type"] == 3
    saved = await discord_bot.submit(page1, {"role": ["mentee"], "experience": ["2"], "department": "Data",
                                             "interests": "rust, design", "goals": "speak"}, user_id="601")
    assert saved.ephemeral and "Continue (2/2)" in saved.buttons
    page2 = (await discord_bot.press(saved.buttons["Continue (2/2)"], user_id="601")).modal
    assert [c["component"]["custom_id"] for c in page2["components"]] == [
        "offers", "wants", "timezone", "availability"]
    done = await discord_bot.submit(page2, {"offers": "sql", "wants": "rust", "timezone": "Europe/Berlin",
                                            "availability": "weekdays 9-17"}, user_id="601")
    assert "Profile saved" in done.text and not done.is_error
    with db() as s:
        p = s.scalar(select(Profile).join(Member).where(Member.external_id == "601"))
        role = s.scalar(select(ProgramMember.role).join(Member).where(Member.external_id == "601"))
        assert (role, p.timezone, p.interests, p.department) == ("mentee", "Europe/Berlin",
                                                                 ["rust", "design"], "Data")


async def test_a_bad_value_in_the_form_is_explained_and_nothing_is_saved(discord_bot, db):
    await coordinator(discord_bot, "program create", {"name": "Spring"})  # a role is per program
    await discord_bot.slash("join", user_id="601")
    page1 = (await discord_bot.slash("profile edit", user_id="601")).modal
    saved = await discord_bot.submit(page1, {"role": ["peer"], "experience": ["3"], "department": "",
                                             "interests": "", "goals": ""}, user_id="601")
    page2 = (await discord_bot.press(saved.buttons["Continue (2/2)"], user_id="601")).modal
    done = await discord_bot.submit(page2, {"offers": "", "wants": "", "timezone": "Mars/Olympus",
                                            "availability": ""}, user_id="601")
    assert done.is_error and "Mars/Olympus" in done.text
    with db() as s:
        p = s.scalar(select(Profile).join(Member).where(Member.external_id == "601"))
        assert p.timezone == "UTC"


async def test_a_mistake_on_a_form_page_reopens_that_page_with_everything_typed_kept(discord_bot, db):
    """Nobody retypes a ten-field profile for one typo: the page with the mistake comes back
    filled in as it was sent, and the pages before it stay filled."""
    await coordinator(discord_bot, "program create", {"name": "Spring"})  # a role is per program
    await discord_bot.slash("join", user_id="601")
    page1 = (await discord_bot.slash("profile edit", user_id="601")).modal
    saved = await discord_bot.submit(page1, {"role": ["peer"], "experience": ["3"], "department": "Data",
                                             "interests": "rust, design", "goals": "speak"}, user_id="601")
    page2 = (await discord_bot.press(saved.buttons["Continue (2/2)"], user_id="601")).modal
    wrong = await discord_bot.submit(page2, {"offers": "sql", "wants": "go", "timezone": "Mars/Olympus",
                                             "availability": "weekdays 9-17"}, user_id="601")
    assert wrong.is_error and wrong.ephemeral and "Time zone" in wrong.text and "Mars/Olympus" in wrong.text
    again = (await discord_bot.press(wrong.buttons["Fix this page (2/2)"], user_id="601")).modal
    kept = {c["component"]["custom_id"]: c["component"].get("value") for c in again["components"]}
    assert kept == {"offers": "sql", "wants": "go", "timezone": "Mars/Olympus",
                    "availability": "weekdays 9-17"}
    done = await discord_bot.submit(again, {"offers": "sql", "wants": "go", "timezone": "Europe/Berlin",
                                            "availability": "weekdays 9-17"}, user_id="601")
    assert "Profile saved" in done.text and not done.is_error
    with db() as s:
        p = s.scalar(select(Profile).join(Member).where(Member.external_id == "601"))
        assert (p.timezone, p.department, p.interests) == ("Europe/Berlin", "Data", ["rust", "design"])


async def test_profile_set_takes_typed_options_and_validates_like_the_text_grammar(discord_bot, db):
    await discord_bot.slash("join", user_id="601")
    ok = await discord_bot.slash("profile set", {"timezone": "Asia/Tokyo", "experience": 4,
                                                 "interests": "Rust, Go"}, user_id="601")
    assert not ok.is_error and "Saved" in ok.text
    bad = await discord_bot.slash("profile set", {"timezone": "Europe/Berln"}, user_id="601")
    assert bad.is_error and "Europe/Berlin" in bad.text  # the grammar's own suggestion
    shown = await discord_bot.slash("profile show", user_id="601")
    assert "Asia/Tokyo" in shown.text and "4/5" in shown.text and "rust, go" in shown.text


async def test_goals_pause_resume_status_and_leave(discord_bot, db):
    u = {"user_id": "601"}
    await discord_bot.slash("join", **u)
    assert "Goal 1 set by 2027-02-01" in (await discord_bot.slash(
        "goal set", {"text": "Give a talk", "due": "2027-02-01"}, **u)).text
    assert "Noted on goal 1" in (await discord_bot.slash(
        "goal note", {"number": 1, "text": "Outline done"}, **u)).text
    assert "Give a talk" in (await discord_bot.slash("goal list", **u)).text
    assert "Goal 1 done" in (await discord_bot.slash("goal done", {"number": 1}, **u)).text
    missing = await discord_bot.slash("goal done", {"number": 7}, **u)
    assert missing.is_error
    assert "Paused until 2026-12-31" in (await discord_bot.slash("pause", {"until": "2026-12-31"}, **u)).text
    assert (await discord_bot.slash("pause", {"until": "someday"}, **u)).is_error
    assert "Welcome back" in (await discord_bot.slash("resume", **u)).text
    assert "Your status" in (await discord_bot.slash("status", **u)).text
    leave = await discord_bot.slash("leave", **u)
    assert "Are you sure" in leave.text
    gone = await discord_bot.press(leave.buttons["Yes, leave"], **u)
    assert "Done." in gone.text
    with db() as s:
        assert s.scalar(select(Goal)).done is True


async def test_commands_that_need_a_circle_say_so(discord_bot):
    u = {"user_id": "601"}
    await discord_bot.slash("join", **u)
    for path, options in [("answer", {"text": "hi"}), ("answers", {}), ("checkin", {"status": "yes"}),
                          ("pulse", {"rating": 4})]:
        answer = await discord_bot.slash(path, options, **u)
        assert answer.is_error and answer.ephemeral, path


# -- coordinators -------------------------------------------------------------------------


async def test_a_member_without_manage_server_cannot_run_health(discord_bot):
    denied = await discord_bot.slash("health show", user_id="601", permissions=0)
    assert denied.is_error and denied.ephemeral and "for coordinators" in denied.text
    allowed = await discord_bot.slash("health show", user_id="602", permissions=MANAGE_GUILD)
    assert not allowed.is_error and "No programs yet" in allowed.text


async def test_the_configured_coordinator_role_counts_as_coordinator(discord_bot, config):
    discord_bot.client._connection.parse_guild_create(
        guild_create(GUILD, roles=[role("777", config.discord.coordinator_role)]))
    answer = await discord_bot.slash("health show", user_id="601", roles=["777"])
    assert not answer.is_error


async def test_programs_and_prompts(discord_bot):
    created = await coordinator(discord_bot, "program create", {
        "name": "Spring", "kind": "mentor-pair", "size": "2", "day": "wed", "time": "9:30",
        "tz": "Europe/Berlin", "weeks": 8})
    assert 'Created "Spring"' in created.text and not created.ephemeral  # announced in channel
    assert "mentor-pair" in (await coordinator(discord_bot, "program list")).text
    assert "closed" in (await coordinator(discord_bot, "program close", {"name": "Spring"})).text
    assert "is open" in (await coordinator(discord_bot, "program open", {"name": "Spring"})).text
    assert "Added a custom prompt" in (await coordinator(
        discord_bot, "prompt add", {"text": "What did you teach?", "program": "Spring"})).text
    bad = await coordinator(discord_bot, "program create", {"name": "X", "size": "9-3"})
    assert bad.is_error and "Size 9-3" in bad.text


async def test_autocomplete_offers_programs_members_and_timezones(discord_bot):
    await coordinator(discord_bot, "program create", {"name": "Spring peers"})
    await coordinator(discord_bot, "program create", {"name": "Autumn mentors"})
    choices = await discord_bot.autocomplete("health show", {"program": "spr"}, "program", user_id=COORD)
    assert choices == [{"name": "Spring peers", "value": "Spring peers"}]
    zones = await discord_bot.autocomplete("profile set", {"timezone": "Berl"}, "timezone")
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in zones
    await discord_bot.slash("join", {"program": "Spring peers"}, user_id="601")
    people = await discord_bot.autocomplete("rematch", {"member": "user"}, "member", user_id=COORD)
    assert {"value": "601", "name": "User601"} in people


async def test_coordinators_add_and_list(discord_bot):
    await discord_bot.slash("join", user_id="601")
    added = await coordinator(discord_bot, "coordinators add", {"member": "601"})
    assert "now a coordinator" in added.text
    assert "User601" in (await discord_bot.slash("coordinators list", user_id="602")).text
    # and now 601 may run coordinator commands without Manage Server
    assert not (await discord_bot.slash("health show", user_id="601")).is_error


async def test_rounds_preview_move_publish_health_rematch_end(discord_bot, core, db):
    await coordinator(discord_bot, "program create", {"name": "Spring", "size": "4"})
    for i in range(8):
        uid = str(611 + i)
        await discord_bot.slash("join", user_id=uid)
        await discord_bot.slash("profile set", {"timezone": "Europe/Berlin", "availability": "weekdays 9-17"},
                                user_id=uid)
    preview = await coordinator(discord_bot, "round preview", {"seed": 7})
    assert "Draft round 1" in preview.text and {"Publish", "Reshuffle"} <= set(preview.buttons)
    moved = await coordinator(discord_bot, "round move", {"member": "611", "circle": 2})
    assert "Moved User611 to circle 2" in moved.text
    published = await discord_bot.press(preview.buttons["Publish"], user_id=COORD, permissions=MANAGE_GUILD)
    assert "is live: 2 circles" in published.text
    assert "Round 1" in (await coordinator(discord_bot, "health show")).text
    rematch = await coordinator(discord_bot, "rematch", {"member": "611"})
    assert "Move User611" in rematch.text
    # a member can't confirm a coordinator's rematch
    sneaky = await discord_bot.press(rematch.buttons["Move them"], user_id="612")
    assert sneaky.is_error
    assert "Moved User611" in (await discord_bot.press(
        rematch.buttons["Move them"], user_id=COORD, permissions=MANAGE_GUILD)).text
    asked = await coordinator(discord_bot, "round end")
    assert "End round 1" in asked.text
    assert "Round 1 ended" in (await discord_bot.press(
        asked.buttons["End the round"], user_id=COORD, permissions=MANAGE_GUILD)).text
    wrong = await coordinator(discord_bot, "round publish")
    assert wrong.is_error


# -- interaction mechanics ----------------------------------------------------------------


async def test_slow_work_is_deferred_and_answered_as_a_follow_up(fake, core, config):
    config.discord.defer_after_seconds = 0  # "slower than the threshold", deterministically
    async with logged_in(CircleClient(core, config)) as client:
        answer = await Harness(client, fake).slash("help")
    assert answer.type == 5 and answer.callback["data"]["flags"] == 64  # thinking, privately
    [follow] = answer.followups
    assert "/circle join" in answer.text and follow["flags"] & 64


async def test_typed_answers_that_mention_everyone_never_ping(discord_bot):
    await discord_bot.slash("join", user_id="601")
    goal = await discord_bot.slash("goal set", {"text": "@everyone look <@&777> <@602> @here"}, user_id="601")
    assert "@\u200beveryone" in goal.text and "@\u200bhere" in goal.text
    assert who_can_be_pinged(goal.messages[0]) == set()


async def test_being_removed_from_a_server_deactivates_its_workspace(discord_bot, db):
    await discord_bot.slash("join", user_id="601")
    state = discord_bot.client._connection
    await discord_bot.feed(state.parse_guild_create, guild_create(GUILD))
    await discord_bot.feed(state.parse_guild_delete, guild_delete(GUILD))
    with db() as s:
        assert s.scalar(select(Workspace.active).where(Workspace.external_id == GUILD)) is False


def test_the_harness_fills_in_slash_options_the_way_a_member_would() -> None:
    """say(user, text) on Discord: text words become the command's path and options."""
    from tests.fakes.discord.harness import command_for

    assert command_for('program create "Spring" size=4') == (("program", "create"),
                                                             {"name": "Spring", "size": "4"})
    assert command_for("goal done 1") == (("goal", "done"), {"number": 1})
    assert command_for("profile") == (("profile", "show"), {})


async def test_say_returns_what_the_member_was_shown(discord_bot):
    seen = await discord_bot.say("601", "help")
    assert "/circle join" in seen.text and seen.ephemeral
