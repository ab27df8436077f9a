"""One engine, one database, one event loop: Slack and Discord served side by side.

A Slack workspace and a Discord server are separate tenants; a member of one never sees
the other's programs, members or answers, even though the same CircleBot serves both.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adapters.discord.client import CircleClient
from circles.model import Member, Workspace
from tests.fakes.discord.harness import DiscordHarness, fake_discord_api, logged_in
from tests.fakes.discord.payloads import MANAGE_GUILD
from tests.fakes.slack.harness import slack_harness


async def test_a_slack_user_and_a_discord_user_each_see_only_their_own_workspace(
    db, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack = await slack_harness(db)
    core = slack.core  # the one engine both adapters call
    try:
        async with fake_discord_api(monkeypatch) as fake, logged_in(CircleClient(core, core.config)) as client:
            fake.add_guild("4000")
            discord = DiscordHarness(client, fake)

            # the same verbs on both platforms: say() returns what the user was shown
            await slack.say("U_ADMIN", 'program create "Slack spring"')
            await discord.say("100000000000000600", 'program create "Discord spring"',
                              permissions=MANAGE_GUILD)
            slack_join = await slack.say("U1", "join mentee")
            discord_join = await discord.slash("join", {"role": "mentor"}, user_id="100000000000000601")
            assert "Slack spring" in slack_join.text
            assert discord_join.type == 9  # the profile modal
            slack_programs = (await slack.say("U1", "program list")).text
            discord_programs = (await discord.say("100000000000000601", "program list")).text
            assert "Slack spring" in slack_programs and "Discord spring" not in slack_programs
            assert "Discord spring" in discord_programs and "Slack spring" not in discord_programs
            offered = await discord.autocomplete("health show", {"program": ""}, "program",
                                                 user_id="100000000000000600", permissions=MANAGE_GUILD)
            assert [c["value"] for c in offered] == ["Discord spring"]
    finally:
        await slack.fake.close()

    with db() as s:
        tenants = {(w.platform, w.external_id): w.id for w in s.scalars(select(Workspace))}
        assert set(tenants) == {("slack", "T1"), ("discord", "4000")}
        members = {(m.workspace_id, m.external_id) for m in s.scalars(select(Member))}
        assert (tenants[("slack", "T1")], "U1") in members
        assert (tenants[("discord", "4000")], "100000000000000601") in members
