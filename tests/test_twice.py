"""Anything that arrives twice has exactly one effect, and the second gets the normal reply:
a replayed signed request, an event Slack retries, a double click, a double submission."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from circles.model import Goal, ProcessedRequest, Response
from tests.fakes.slack.blockkit import text_of
from tests.fakes.slack.harness import SlackHarness
from tests.test_slack_interactions import circle_of, running_round


async def test_a_replayed_signed_slash_command_is_executed_once(
        slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "Spring"', user="U_ADMIN")
    payload = slack.sim.slash('goal set "Give a talk"', user="U1")
    body = slack.sim.form_body(payload)
    headers = slack.sim.sign(body)  # the same signature, replayed inside Slack's 300 s
    first = await slack.send(body, headers=headers)
    replayed = await slack.send(body, headers=headers)
    assert first.status == replayed.status == 200
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Goal)) == 1
        assert s.scalar(select(func.count()).select_from(ProcessedRequest)) >= 1
    assert "Goal 1 set" in text_of(slack.reply_to(payload["response_url"]))


async def test_a_slack_event_retried_stores_one_answer_and_confirms_once(
        slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    prompts = await running_round(slack, db)
    cid, channel = circle_of(db, "U1")
    _, ts = prompts[cid]
    event = slack.sim.thread_reply(channel, ts, "I shipped it", user="U1")
    for retry in range(4):  # the original, then Slack's three retries of the same event
        extra = {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
        await slack.send(json.dumps(event), content_type="application/json",
                         headers=extra if retry else None)
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Response)) == 1
    confirmations = [text_of(m) for m in slack.fake.posted(channel)
                     if m["ephemeral_to"] == "U1" and m.get("thread_ts") == ts]
    assert len(confirmations) == 1 and "recorded" in confirmations[0]


async def test_goal_set_double_submitted_makes_one_goal_and_the_same_reply_twice(
        slack: SlackHarness, db) -> None:  # type: ignore[no-untyped-def]
    await slack.command('program create "Spring"', user="U_ADMIN")
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    first = await slack.command(f'goal set "Give a talk" by {until}', user="U1")
    second = await slack.command(f'goal set "Give a talk" by {until}', user="U1")
    assert "Goal 1 set" in text_of(first) and "Goal 1 set" in text_of(second)
    other = await slack.command("goal set Write a blog post", user="U1")
    assert "Goal 2 set" in text_of(other)
    with db() as s:
        assert sorted(s.scalars(select(Goal.number))) == [1, 2]
