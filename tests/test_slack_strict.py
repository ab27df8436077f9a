"""Slack as strict as the real one: what a person types arrives escaped (`&amp;`, `&lt;`,
`&gt;`), and Slack refuses messages and views past its size limits. The bot unescapes once
on the way in and escapes once on the way out, so "R&D" stays "R&D" everywhere."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from circles.model import Goal, Profile, Program
from tests.fakes.slack.blockkit import check_message, check_view, text_of
from tests.fakes.slack.harness import SlackHarness


async def test_ampersands_and_brackets_survive_a_goal_a_profile_and_a_program(
        slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    made = await slack.command('program create "R&D <Guild>"', user="U_ADMIN")
    assert "R&amp;D &lt;Guild&gt;" in text_of(made)  # escaped exactly once for display
    await slack.command("join peer", user="U1")
    await slack.submit(slack.sim.last_modal(), {
        "role": "peer", "experience": "3", "timezone": "Europe/Berlin", "interests": "Q&A, R&D",
        "goals": "ship <b> & test", "availability": "weekdays 9-17"}, user="U1")
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    await slack.command(f'goal set "Run the Q&A > 1 hour" by {until}', user="U1")
    with db() as s:
        assert s.scalar(select(Program.name)) == "R&D <Guild>"
        assert s.scalar(select(Goal.text)) == "Run the Q&A > 1 hour"
        profile = s.scalar(select(Profile))
        assert profile is not None and profile.interests == ["q&a", "r&d"]
    listed = text_of(await slack.command("goal list", user="U1"))
    assert "Q&amp;A &gt; 1 hour" in listed and "&amp;amp;" not in listed
    shown = text_of(await slack.command("profile", user="U1"))
    assert "q&amp;a" in shown.lower() and "&amp;amp;" not in shown
    await slack.command("profile edit", user="U1")
    fields = {b["block_id"]: b for b in slack.sim.last_modal()["blocks"]}
    assert "q&a" in fields["interests"]["element"]["initial_value"]  # plain text: raw


async def test_interests_typed_in_a_command_match_the_same_interests_from_the_modal(
        slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "Spring"', user="U_ADMIN")
    await slack.command("join peer", user="U1")
    await slack.submit(slack.sim.last_modal(), {
        "role": "peer", "experience": "3", "timezone": "Europe/Berlin", "interests": "R&D",
        "availability": "weekdays 9-17"}, user="U1")
    await slack.command("join peer", user="U2")
    await slack.command('profile set interests="R&D" timezone=Europe/Berlin', user="U2")
    with db() as s:
        interests = {p.member_id: p.interests for p in s.scalars(select(Profile))}
    assert len(interests) == 2
    assert len({tuple(v) for v in interests.values()}) == 1, interests


def test_fake_slack_refuses_a_message_whose_blocks_add_up_past_12000_characters() -> None:
    sections = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2500}}
                for _ in range(5)]
    assert any("msg_blocks_too_long" in p for p in check_message({"blocks": sections}))
    assert not check_message({"blocks": sections[:4]})
    def modal(n: int) -> dict:
        return {"type": "modal", "blocks": [
            {"type": "input", "block_id": f"b{i}",
             "label": {"type": "plain_text", "text": "l" * 2000},
             "element": {"type": "plain_text_input", "action_id": "v",
                         "initial_value": "v" * 3000}} for i in range(n)]}

    assert not check_view(modal(40))  # about 200 kB: fine
    assert any("250000" in p for p in check_view(modal(60)))  # about 300 kB: refused


async def test_a_reply_too_long_for_slack_is_refused_by_the_fake_like_slack_does(
        slack: SlackHarness) -> None:
    import aiohttp

    url = slack.fake.response_url("long")
    body = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "z" * 3000}}
                       for _ in range(5)]}
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
        assert resp.status == 400 and await resp.text() == "msg_blocks_too_long"
    assert not [r for r in slack.fake.responses if r["_hook"] == "long"]
    slack.fake.violations.clear()


def test_a_long_reply_is_cut_to_fit_slack_with_a_note_and_keeps_its_buttons() -> None:
    from adapters.slack.render import message_kwargs
    from bot.replies import Button, Reply, Section

    reply = Reply(text="Health", sections=[Section(f"Circle {i}", "x" * 2900) for i in range(10)],
                  buttons=[Button("Refresh", "health", "1")])
    kwargs = message_kwargs(reply)
    assert check_message(kwargs) == []
    shown = text_of({"blocks": kwargs["blocks"]})
    assert "shortened to fit Slack" in shown and "Refresh" in shown
