"""Slack round trips cost what they must and no more: one HTTP session (kept-alive
connections) for every Web API call and response_url post, and a per-workspace identity
cache that Slack's own events keep fresh."""

from __future__ import annotations

from sqlalchemy import select

from circles.model import Member
from tests.fakes.slack.blockkit import text_of
from tests.fakes.slack.harness import SlackHarness


async def test_many_commands_travel_over_one_kept_alive_connection(slack: SlackHarness) -> None:
    for user in ("U1", "U2", "U3", "U4", "U1", "U2"):
        assert "/circle join" in text_of(await slack.command("help", user=user))
    assert len(slack.fake.calls_to("users.info")) == 4
    assert len(slack.fake.responses) == 6
    assert slack.listeners.http is not None
    assert slack.listeners.http.connections_opened == 1


async def test_a_renamed_user_is_named_anew_without_asking_slack_again(slack: SlackHarness,
                                                                       db) -> None:  # type: ignore[no-untyped-def]
    await slack.command("join peer", user="U1")
    user = slack.fake.users["U1"]
    user["profile"]["display_name"] = "Bobby"
    await slack.event(slack.sim.event({"type": "user_change", "user": user}))
    await slack.command("status", user="U1")
    assert [c.params["user"] for c in slack.fake.calls_to("users.info")] == ["U1"]
    with db() as s:
        assert s.scalar(select(Member.display_name).where(Member.external_id == "U1")) == "Bobby"


async def test_someone_made_admin_is_a_coordinator_on_their_next_command(
        slack: SlackHarness) -> None:
    assert "coordinators" in text_of(await slack.command("health", user="U2"))
    user = slack.fake.users["U2"]
    user["is_admin"] = True
    await slack.event(slack.sim.event({"type": "user_change", "user": user}))
    assert "coordinators" not in text_of(await slack.command("health", user="U2"))
    assert len(slack.fake.calls_to("users.info")) == 1


async def test_a_newcomer_announced_by_team_join_needs_no_lookup(slack: SlackHarness) -> None:
    newcomer = slack.fake.add_user("T1", "U_NEW", "nia", tz="Asia/Tokyo")
    await slack.event(slack.sim.event({"type": "team_join", "user": newcomer}))
    assert "/circle join" in text_of(await slack.command("help", user="U_NEW"))
    assert slack.fake.calls_to("users.info") == []


async def test_a_burst_from_one_person_asks_slack_about_them_once(slack: SlackHarness) -> None:
    import asyncio

    await asyncio.gather(*(slack.command("help", user="U3") for _ in range(5)))
    assert len(slack.fake.calls_to("users.info")) == 1
